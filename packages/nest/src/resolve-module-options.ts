import { InvalidOptionError, type UpstreamOptions } from '@steady/core';
import { invalidNameError, isValidUpstreamName, upstreamPath } from './option-errors.ts';
import type { SteadyUpstreamOptions } from './steady-options.ts';

/** What the module was told about names before any factory ran (internal). */
export interface DeclaredUpstreams {
  /** The static method that built the module. */
  method: 'forRoot' | 'forRootAsync';
  /** `forRoot`: the keys of `upstreams`; `forRootAsync`: its `upstreams` list, unchecked. */
  names: unknown;
}

/** One upstream's validated pieces (internal). */
export interface UpstreamEntry {
  name: string;
  upstream: UpstreamOptions;
  axios: SteadyUpstreamOptions['axios'];
  ky: SteadyUpstreamOptions['ky'];
}

/**
 * The names a module declares tokens for, validated only loosely: the full check
 * (which reports errors) runs at bootstrap in {@link resolveModuleOptions}.
 */
export function declaredNames(names: unknown): string[] {
  return Array.isArray(names) ? [...new Set(names.filter((name): name is string => typeof name === 'string'))] : [];
}

/**
 * Check the module options against the declared names and split each upstream's
 * options into core options and client defaults. Throws `InvalidOptionError`
 * naming the full option path.
 */
export function resolveModuleOptions(options: unknown, declared: DeclaredUpstreams): UpstreamEntry[] {
  if (declared.method === 'forRootAsync') checkDeclaredList(declared.names);
  const upstreams = (options as { upstreams?: unknown } | null | undefined)?.upstreams ?? {};
  if (typeof upstreams !== 'object' || upstreams === null || Array.isArray(upstreams)) {
    throw new InvalidOptionError('upstreams', 'an object of upstream options keyed by name', upstreams);
  }
  const record = upstreams as Record<string, unknown>;
  const names = Object.keys(record);
  for (const name of names) {
    if (!isValidUpstreamName(name)) throw invalidNameError(upstreamPath(name), name);
  }
  if (declared.method === 'forRootAsync') {
    const listed = declared.names as string[];
    for (const name of listed) {
      if (!Object.hasOwn(record, name)) {
        throw new InvalidOptionError(
          upstreamPath(name),
          'the options of an upstream listed in forRootAsync({ upstreams }) (the factory returned none)',
          undefined,
        );
      }
    }
    for (const name of names) {
      if (!listed.includes(name)) {
        throw new InvalidOptionError(
          upstreamPath(name),
          `one of the names listed in forRootAsync({ upstreams }): ${listed.join(', ') || '(none)'}`,
          name,
        );
      }
    }
  }
  return names.map((name) => splitEntry(name, record[name]));
}

function checkDeclaredList(names: unknown): void {
  if (!Array.isArray(names)) {
    throw new InvalidOptionError(
      'upstreams',
      'the list of upstream names in SteadyModule.forRootAsync({ upstreams: [...] })',
      names,
    );
  }
  const seen = new Set<string>();
  names.forEach((name: unknown, index) => {
    if (!isValidUpstreamName(name)) throw invalidNameError(`upstreams[${index}]`, name);
    if (seen.has(name)) throw new InvalidOptionError(`upstreams[${index}]`, 'a name not listed before', name);
    seen.add(name);
  });
}

function splitEntry(name: string, value: unknown): UpstreamEntry {
  const path = upstreamPath(name);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(path, 'an object of upstream options with an `origin`', value);
  }
  const { axios, ky, ...upstream } = value as SteadyUpstreamOptions & { name?: unknown };
  if (upstream.name !== undefined && upstream.name !== name) {
    throw new InvalidOptionError(`${path}.name`, `omitted or equal to the key ${JSON.stringify(name)}`, upstream.name);
  }
  for (const [key, client] of [
    ['axios', axios],
    ['ky', ky],
  ] as const) {
    if (client !== undefined && (typeof client !== 'object' || client === null)) {
      throw new InvalidOptionError(`${path}.${key}`, 'an object', client);
    }
  }
  return { name, upstream: { ...upstream, name }, axios, ky };
}
