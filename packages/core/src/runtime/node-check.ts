/**
 * Steady refuses to load on a Node.js older than it supports, with one clear error, instead of
 * undici 8's own crash at import (`createZstdDecompress.bind` on Node 20).
 *
 * This module is imported first by `@steady/core`'s entry point and by every core module that
 * loads undici, so ESM evaluates it before undici; the adapters load core before anything else.
 * It is listed in core's `sideEffects`, so bundlers keep it.
 */

/** The oldest Node.js Steady runs on (undici 8's floor). */
export const MIN_NODE_VERSION = '22.19.0';

/** Throws `STEADY_UNSUPPORTED_NODE` when `version` (e.g. `'20.20.2'`) is older than {@link MIN_NODE_VERSION}. */
export function assertSupportedNode(version: string): void {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 19)) return;
  const error = new Error(`Steady needs Node ≥ 22.19 (this is ${version})`);
  Object.defineProperty(error, 'code', { value: 'STEADY_UNSUPPORTED_NODE', enumerable: true });
  throw error;
}

assertSupportedNode(process.versions.node);
