import { defineConfig } from 'vitest/config';

/**
 * One vitest configuration for every project: sibling packages resolve to their
 * `src` through the `steady-source` export condition, so tests never wait for a build.
 */
export function steadyVitestConfig(options: { fileParallelism?: boolean } = {}) {
  return defineConfig({
    resolve: { conditions: ['steady-source'] },
    ssr: { resolve: { conditions: ['steady-source'] } },
    test: {
      include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
      environment: 'node',
      testTimeout: 20_000,
      hookTimeout: 20_000,
      fileParallelism: options.fileParallelism ?? true,
      // Chosen, not defaulted: specs start servers, patch process-wide hooks and use fake
      // timers, so each file gets a fresh worker (this also keeps vitest's hint about it quiet).
      isolate: true,
      reporters: ['default'],
    },
  });
}
