/**
 * The Node floor of `steady` (undici 8's): checked before anything else is loaded, so an old
 * Node gets one clear sentence instead of a syntax or import error.
 */

/** The oldest Node `steady` runs on. */
export const NODE_FLOOR = '22.19.0';

/** A message when `version` (e.g. `20.11.1`) is below the floor, else undefined. */
export function nodeTooOld(version: string): string | undefined {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, '').split('.').map(Number);
  const [fMajor = 0, fMinor = 0, fPatch = 0] = NODE_FLOOR.split('.').map(Number);
  const below = major !== fMajor ? major < fMajor : minor !== fMinor ? minor < fMinor : patch < fPatch;
  return below
    ? `steady needs Node.js ${NODE_FLOOR} or newer; this is Node.js ${version.replace(/^v/, '')}. Run it on a newer Node, e.g. "npx -p node@22 -- steady probe …".`
    : undefined;
}
