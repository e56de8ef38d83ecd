import { InvalidOptionError, isInvalidOptionError } from '@steady/core';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Whether `name` is a valid upstream name: 1…64 letters, digits, `.`, `_`, `-`, not starting with a symbol. */
export function isValidUpstreamName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** `upstreams.payments`, or `upstreams["bad name"]` when the name is not identifier-like. */
export function upstreamPath(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `upstreams.${name}` : `upstreams[${JSON.stringify(name)}]`;
}

/** The error for an upstream name that is not valid. */
export function invalidNameError(path: string, name: unknown): InvalidOptionError {
  return new InvalidOptionError(
    path,
    'an upstream name of 1…64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    name,
  );
}

/**
 * Re-root core's `InvalidOptionError` (whose `option` is relative to one upstream,
 * e.g. `retry.retries`) under the module options (`upstreams.payments.retry.retries`);
 * the original stays as `cause`. Anything else is returned unchanged.
 */
export function prefixOptionError(error: unknown, prefix: string): unknown {
  return isInvalidOptionError(error) ? (error as InvalidOptionError).withPrefix(prefix) : error;
}
