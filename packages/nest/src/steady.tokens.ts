/**
 * Injection tokens. Strings (not symbols) so they read well in Nest's error
 * messages and stay equal across two installed copies of this package.
 */

/** Token of the module options (`forRoot` value or `forRootAsync` factory result). */
export const STEADY_MODULE_OPTIONS = 'steady:module-options';

/** Token of the upstream names declared to the module (internal). */
export const STEADY_DECLARED_UPSTREAMS = 'steady:declared-upstreams';

/** The client kinds the module can provide per upstream. */
export type SteadyClientKind = 'upstream' | 'axios' | 'ky';

/** The token of one kind of provider for one upstream name, e.g. `steady:axios:payments`. */
export function steadyToken(kind: SteadyClientKind, name: string): string {
  return `steady:${kind}:${name}`;
}

/**
 * Tokens the application asked for by name (through a `getXToken()` call or an
 * `@InjectX()` decorator). A missing optional peer fails the bootstrap for these;
 * for the others it fails on first use.
 */
const requested = new Set<string>();

/** Whether a client token was asked for by the application (internal). */
export function isRequested(token: string): boolean {
  return requested.has(token);
}

/**
 * The injection token of the {@link Upstream} named `name`: `steady:upstream:<name>`.
 * Use with `moduleRef.get()`, `@Inject()` or `overrideProvider()`; `@InjectUpstream(name)` is shorter.
 */
export function getUpstreamToken(name: string): string {
  return steadyToken('upstream', name);
}

/** Token of the module's agent. */
const AGENT_TOKEN = 'steady:agent';

/**
 * The injection token of the module's {@link Agent} (every origin called by absolute URL):
 * `steady:agent`. Use with `moduleRef.get()`, `@Inject()` or `overrideProvider()` (e.g. to put
 * an agent on a `MockAgent` transport in tests); `@InjectAgent()` is shorter.
 */
export function getAgentToken(): string {
  return AGENT_TOKEN;
}

/**
 * The injection token of the axios instance of the upstream `name`: `steady:axios:<name>`.
 * Needs the optional peers `@steady/axios` and `axios`.
 */
export function getAxiosToken(name: string): string {
  const token = steadyToken('axios', name);
  requested.add(token);
  return token;
}

/**
 * The injection token of the ky instance of the upstream `name`: `steady:ky:<name>`.
 * Needs the optional peers `@steady/ky` and `ky`.
 */
export function getKyToken(name: string): string {
  const token = steadyToken('ky', name);
  requested.add(token);
  return token;
}
