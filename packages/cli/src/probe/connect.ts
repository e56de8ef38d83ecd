/**
 * Opening one probe socket by hand (`node:dns`, `node:net`, `node:tls`), timing each phase: DNS,
 * TCP connect, an HTTP `CONNECT` tunnel when a proxy is used for an `https:` origin, and the TLS
 * handshake. Raw sockets, because the idle ladder must see a FIN, an RST or silence on each one.
 */
import { lookup } from 'node:dns/promises';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { ProbeSocket } from './probe-socket.ts';
import type { ResolvedProbeOptions } from './probe-options.ts';

/** Timings and TLS facts of one opened socket. */
export interface OpenedSocket {
  socket: ProbeSocket;
  dnsMs: number;
  connectMs: number;
  /** Null for `http:`. */
  tlsMs: number | null;
  /** E.g. `TLSv1.3`; null for `http:`. */
  tlsVersion: string | null;
  /** The protocol the server chose by ALPN; null when none (or `http:`). */
  alpn: string | null;
}

/** A failure to reach the origin (or the proxy): DNS, refused, timeout, TLS, tunnel refused. */
export class ConnectFailure extends Error {
  readonly phase: 'dns' | 'connect' | 'proxy' | 'tls';
  readonly causeCode: string | undefined;
  /** The connect deadline passed. */
  readonly timedOut: boolean;
  constructor(phase: ConnectFailure['phase'], message: string, cause?: unknown, timedOut = false) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ConnectFailure';
    this.phase = phase;
    this.timedOut = timedOut;
    this.causeCode = (cause as { code?: string } | undefined)?.code;
  }
}

/**
 * Open a socket to the origin (through the proxy when one is set), ready for HTTP/1.1 requests.
 * `alpn` is what the TLS client offers; the ladder offers `http/1.1` only.
 */
export async function openSocket(options: ResolvedProbeOptions, alpn: string[]): Promise<OpenedSocket> {
  const { origin, proxy, connectTimeout } = options;
  const secure = origin.protocol === 'https:';
  const hop = proxy ?? origin;
  const host = hop.hostname.replace(/^\[|\]$/g, '');
  const port = Number(hop.port || (hop.protocol === 'https:' ? 443 : 80));
  const deadline = performance.now() + connectTimeout;

  let t = performance.now();
  const address =
    isIP(host) === 0 ? (await step(deadline, 'dns', `cannot resolve ${host}`, () => lookup(host))).address : host;
  const dnsMs = performance.now() - t;

  t = performance.now();
  const tcp = tcpConnect({ host: address, port, noDelay: true });
  const raw = new ProbeSocket(tcp);
  const where = `cannot connect to ${hop.host}${proxy ? ' (the proxy)' : ''}`;
  await step(deadline, 'connect', where, () => once(tcp, 'connect'), raw);
  const connectMs = performance.now() - t;

  if (proxy && secure) {
    const tunnel = connectRequest(origin, options.proxyAuthorization);
    const head = await step(
      deadline,
      'proxy',
      'the proxy tunnel failed',
      () => raw.exchange(tunnel, connectTimeout, true),
      raw,
    );
    if (head.status !== 200) {
      raw.destroy();
      throw new ConnectFailure('proxy', `the proxy refused CONNECT (status ${head.status})`);
    }
  }
  if (!secure) return { socket: raw, dnsMs, connectMs, tlsMs: null, tlsVersion: null, alpn: null };

  t = performance.now();
  raw.detach();
  const tls: TLSSocket = tlsConnect({
    socket: tcp,
    servername: isIP(origin.hostname) === 0 ? origin.hostname : undefined,
    ALPNProtocols: alpn,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  const secured = new ProbeSocket(tls);
  await step(deadline, 'tls', `TLS handshake with ${origin.host} failed`, () => once(tls, 'secureConnect'), secured);
  return {
    socket: secured,
    dnsMs,
    connectMs,
    tlsMs: performance.now() - t,
    tlsVersion: tls.getProtocol() ?? null,
    alpn: typeof tls.alpnProtocol === 'string' ? tls.alpnProtocol : null,
  };
}

function connectRequest(origin: URL, authorization: string | undefined): string {
  const authority = `${origin.hostname}:${origin.port || 443}`;
  const auth = authorization === undefined ? '' : `proxy-authorization: ${authorization}\r\n`;
  return `CONNECT ${authority} HTTP/1.1\r\nhost: ${authority}\r\n${auth}\r\n`;
}

function once(socket: Socket, event: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.off(event, onEvent);
      reject(error);
    };
    const onEvent = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once(event, onEvent);
    socket.once('error', onError);
  });
}

/** One phase of opening a socket, within the deadline; any failure becomes a {@link ConnectFailure} and closes `socket`. */
async function step<T>(
  deadline: number,
  phase: ConnectFailure['phase'],
  message: string,
  work: () => Promise<T>,
  socket?: ProbeSocket,
): Promise<T> {
  try {
    return await within(deadline, work(), phase);
  } catch (error) {
    socket?.destroy();
    throw error instanceof ConnectFailure ? error : new ConnectFailure(phase, message, error);
  }
}

function within<T>(deadline: number, work: Promise<T>, phase: ConnectFailure['phase']): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ConnectFailure(phase, `${phase} timed out`, undefined, true)),
      Math.max(1, deadline - performance.now()),
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
