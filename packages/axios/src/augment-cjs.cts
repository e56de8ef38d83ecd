// The `config.steady` augmentation again, for CommonJS apps. There (`"module": "nodenext"` in a
// CommonJS package, Nest's usual setup) `import ... from 'axios'` resolves to axios' `index.d.cts`,
// a module of its own that `augment.ts` (ESM: `index.d.ts`) does not reach; this file is
// CommonJS, so its `'axios'` is that one. Shipped as `dist/augment-cjs.d.cts`, referenced from
// `index.d.ts` (type-only: nothing of it runs).
export {};

// @ts-expect-error TS2664: in this package's own (ESM-first) program the CommonJS `export =` module
// of axios is not seen as augmentable; in an app's program the emitted ambient `.d.cts` applies.
declare module 'axios' {
  interface AxiosRequestConfig {
    /** Steady policy overrides for this request (see `SteadyRequestOptions`). */
    steady?: import('./augment.ts').SteadyRequestOptions;
  }
}
