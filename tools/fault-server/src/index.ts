/**
 * @steady/fault-server: a programmable fault-injecting HTTP/1.1 upstream and a
 * load-balancer emulation for Steady's tests, benchmarks and demo.
 */
export { startFaultServer, DEFAULT_KEEP_ALIVE_TIMEOUT } from './fault-server.ts';
export { startLoadBalancer } from './load-balancer.ts';
export { MALFORMED_RESPONSES, startRawServer, type RawServer, type RawServerOptions } from './raw-server.ts';
export { spawnFaultServer } from './spawn.ts';
export { DEFAULT_BODY, DEFAULT_BODY_SIZE } from './body.ts';
export { waitFor, type WaitForOptions } from './wait-for.ts';
export { captureWarnings, type CapturedWarnings } from './capture-warnings.ts';
export { deadOrigin } from './dead-origin.ts';
export type { Behaviour, BehaviourBody, FaultCounters, FaultServer, FaultServerOptions, RouteSpec } from './types.ts';
export type { LoadBalancer, LoadBalancerCounters, LoadBalancerOptions } from './load-balancer.ts';
export type { SpawnedFaultServer, ReadyLine } from './spawn.ts';
export { startH2Server, TEST_TLS } from './h2-server.ts';
export type { H2Counters, H2Server, H2ServerOptions } from './h2-server.ts';
export { spawnH2Server } from './h2-spawn.ts';
export type { SpawnedH2Server } from './h2-spawn.ts';
export { goawayScenario, ghostScenario, multiplexScenario } from './h2-scenarios.ts';
export type { H2Caller, H2PoolFigures } from './h2-scenarios.ts';
