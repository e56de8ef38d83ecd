import { ErrorCode, SteadyError, isSteadyError, type ErrorContext } from './steady-error.ts';

/**
 * Why an agent refused an origin:
 * - `not-allowed`: `allowOrigins` does not list it (nothing was resolved or connected);
 * - `max-origins`: `maxOrigins` upstreams are live and none is idle enough to close.
 */
export type OriginRefusal = 'not-allowed' | 'max-origins';

/** An agent refused to route a call to an origin, before any DNS lookup or socket. */
export class OriginRefusedError extends SteadyError {
  /** The normalised origin (scheme, host, port; never credentials, path or query). */
  readonly origin: string;
  readonly reason: OriginRefusal;
  constructor(origin: string, reason: OriginRefusal, context: ErrorContext = {}, detail = '') {
    super(
      ErrorCode.ORIGIN_REFUSED,
      reason === 'not-allowed'
        ? `origin ${origin} is not in allowOrigins: nothing was sent`
        : `origin ${origin} refused: ${detail}`,
      context,
    );
    this.name = 'OriginRefusedError';
    this.origin = origin;
    this.reason = reason;
  }
}

/** True for an {@link OriginRefusedError} from any installed copy of Steady. */
export function isOriginRefusedError(error: unknown): error is OriginRefusedError {
  return isSteadyError(error) && error.code === ErrorCode.ORIGIN_REFUSED;
}
