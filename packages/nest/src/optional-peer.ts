/**
 * Optional peer dependencies (`@steady/axios` + `axios`, `@steady/ky` + `ky`,
 * `@nestjs/terminus`) are loaded with a dynamic `import()` only when a provider
 * needs them, so the package works without them.
 */

/** An optional peer dependency is not installed; `packages` lists what to install. */
export class MissingPeerError extends Error {
  /** A stable code for programs. */
  readonly code = 'STEADY_MISSING_PEER';
  /** The packages to install, e.g. `['@steady/axios', 'axios']`. */
  readonly packages: readonly string[];

  constructor(feature: string, packages: readonly string[], cause?: unknown) {
    super(
      `${feature} needs the optional peer ${packages.length > 1 ? 'packages' : 'package'} ` +
        `${packages.map((name) => `"${name}"`).join(' and ')}: run \`npm install ${packages.join(' ')}\``,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'MissingPeerError';
    this.packages = packages;
  }
}

/** How a module is imported; replaceable in tests. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

const defaultLoader: ModuleLoader = (specifier) => import(specifier);

/**
 * Import `specifier`; when it (or one of its own imports, e.g. `axios` under
 * `@steady/axios`) is not installed, throw a {@link MissingPeerError} naming `packages`.
 * Any other failure is rethrown as is.
 */
export async function importOptionalPeer<T>(
  specifier: string,
  feature: string,
  packages: readonly string[],
  loader: ModuleLoader = defaultLoader,
): Promise<T> {
  try {
    return (await loader(specifier)) as T;
  } catch (error) {
    if (isModuleNotFound(error)) throw new MissingPeerError(feature, packages, error);
    throw error;
  }
}

/** "Module not found", directly or as the cause of a loader's wrapper error (a few levels deep). */
function isModuleNotFound(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { code, cause } = error as { code?: unknown; cause?: unknown };
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || isModuleNotFound(cause, depth + 1);
}
