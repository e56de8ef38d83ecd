/**
 * Requests back to back on one connection: the first response's status and `Keep-Alive` hint,
 * how many requests the server serves before it closes (up to a bound), and how it treats a
 * request that carries `Connection: close`.
 */
import { performance } from 'node:perf_hooks';
import { openSocket } from './connect.ts';
import type { Budget } from './idle-ladder.ts';
import { ExchangeFailure, type ProbeSocket } from './probe-socket.ts';
import type { ResolvedProbeOptions } from './probe-options.ts';
import { announcesClose, requestText } from './request.ts';
import { parseKeepAlive, type KeepAliveHint, type ResponseHead } from './response-reader.ts';

/** Requests served on one connection before the server closed it. */
export interface RequestsPerConnection {
  /** Requests answered on the connection. */
  served: number;
  /** The bound: the probe stopped asking there. */
  limit: number;
  /** How the server ended the connection, or null when it was still open at the bound. */
  endedBy: 'connection-close' | 'fin' | 'reset' | null;
}

/** What a request with `Connection: close` did. */
export interface ConnectionCloseBehaviour {
  /** The response said `Connection: close` too. */
  echoed: boolean;
  /** The server closed the connection after answering (within `responseTimeout`). */
  honoured: boolean;
}

/** The sequence's findings. */
export interface SequenceResult {
  status: number;
  httpVersion: string;
  keepAliveHint: KeepAliveHint | null;
  /** The server keeps a connection open after a plain request. */
  keepAlive: boolean;
  requestsPerConnection: RequestsPerConnection;
  connectionClose: ConnectionCloseBehaviour;
  /** Median time from writing a request to having read its response, ms. */
  responseMs: number;
}

/** Run the sequence with at most `limit` requests before the `Connection: close` check. */
export async function runSequence(
  options: ResolvedProbeOptions,
  limit: number,
  budget: Budget,
): Promise<SequenceResult> {
  const headRequest = options.method === 'HEAD';
  const times: number[] = [];
  const timed = async (socket: ProbeSocket, close: boolean): Promise<ResponseHead> => {
    budget.requests++;
    const start = performance.now();
    const head = await socket.exchange(requestText(options, close), options.responseTimeout, headRequest);
    times.push(performance.now() - start);
    return head;
  };

  budget.sockets++;
  let socket = (await openSocket(options, ['http/1.1'])).socket;
  try {
    const first = await timed(socket, false);
    let served = 1;
    let endedBy: RequestsPerConnection['endedBy'] = announcesClose(first.version, first.headers)
      ? 'connection-close'
      : null;
    while (endedBy === null && served < limit) {
      if (socket.done) {
        endedBy = socket.errorCode === undefined ? 'fin' : 'reset';
        break;
      }
      try {
        const head = await timed(socket, false);
        served++;
        if (announcesClose(head.version, head.headers)) endedBy = 'connection-close';
      } catch (error) {
        if (!(error instanceof ExchangeFailure) || error.kind === 'timeout' || error.kind === 'protocol') throw error;
        endedBy = error.kind === 'closed' ? 'fin' : 'reset';
      }
    }

    if (endedBy !== null) {
      socket.destroy();
      budget.sockets++;
      socket = (await openSocket(options, ['http/1.1'])).socket;
    }
    const closing = await timed(socket, true);
    const connectionClose = {
      echoed: announcesClose(closing.version, closing.headers),
      honoured: await socket.closedWithin(options.responseTimeout),
    };
    return {
      status: first.status,
      httpVersion: first.version,
      keepAliveHint: parseKeepAlive(first.headers['keep-alive']),
      keepAlive: !announcesClose(first.version, first.headers),
      requestsPerConnection: { served, limit, endedBy },
      connectionClose,
      responseMs: median(times),
    };
  } finally {
    socket.destroy();
  }
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
