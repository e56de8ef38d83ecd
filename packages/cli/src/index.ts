// Public API of @steady/cli (the `steady` binary is dist/bin.js). Explicit named exports only.
export { probe, type ProbeReport } from './probe/probe.ts';
export {
  DEFAULT_LADDER,
  DEFAULT_PROBE_OPTIONS,
  MAX_SOCKETS,
  type ProbeOptions,
  type ResolvedProbeOptions,
} from './probe/probe-options.ts';
export type { IdleSummary, RungOutcome, RungResult } from './probe/idle-ladder.ts';
export type { ConnectionCloseBehaviour, RequestsPerConnection } from './probe/request-sequence.ts';
export type { KeepAliveHint } from './probe/response-reader.ts';
export { recommendOptions, type RecommendedOptions, type RecommendInput } from './probe/recommend.ts';
export { runCli, EXIT, type CliIo } from './cli/run.ts';
export { formatReport } from './cli/report.ts';
export { NODE_FLOOR, nodeTooOld } from './node-version.ts';
