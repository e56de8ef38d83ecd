/**
 * The messages between the bench and its upstream process, and the routes the upstream serves.
 */
import type { FaultCounters, LoadBalancerCounters, RouteSpec } from '@steady/fault-server';

/** Routes every benchmark upstream serves; any other path gets the 1 KiB JSON document. */
export const BENCH_ROUTES: Record<string, RouteSpec> = {
  '/hang': { hang: true },
  '/drop': { resetBeforeResponse: true },
};

/** A command the bench sends to the upstream process. */
export interface UpstreamCommand {
  id: number;
  cmd: 'counters' | 'reset' | 'closeIdle';
}

/** The first message of the upstream process. */
export interface UpstreamReady {
  ready: true;
  url: string;
  port: number;
  lbUrl: string | undefined;
  pid: number;
}

/** The answer to a `counters` command. */
export interface UpstreamCounters {
  server: FaultCounters;
  lb: LoadBalancerCounters | undefined;
  openSockets: number;
}
