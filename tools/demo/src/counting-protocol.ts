/**
 * The IPC messages between the demo and its counting fault server.
 */
import type { FaultCounters } from '@steady/fault-server';

/** Demo → child: `reset` drops idle sockets then zeroes the counters; `counters` reads them. */
export interface CountingRequest {
  id: number;
  cmd: 'reset' | 'counters';
}

/** Child → demo: the answer to a request (or, with id 0, the ready message). */
export interface CountingReply {
  id: number;
  counters?: FaultCounters;
  openSockets?: number;
  ready?: { url: string; pid: number };
}
