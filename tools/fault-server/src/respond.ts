/**
 * Writes the response a {@link Behaviour} describes, including the faulty ones
 * (hang, stall, reset, latency, chunked, compressed, redirect, echo).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { encodeBody, renderBody } from './body.ts';
import type { Behaviour } from './types.ts';

/** Everything {@link respond} needs about one exchange. */
export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  /** The fully read request body. */
  requestBody: Buffer;
  /** When true, keep-alive responses carry no `Keep-Alive: timeout=` hint. */
  suppressKeepAliveHint: boolean;
}

const NO_BODY_STATUSES = new Set([204, 304]);

/** Answer one request as `behaviour` says. Timers are cancelled if the response closes first. */
export function respond(behaviour: Behaviour, exchange: Exchange): void {
  const { req, res } = exchange;
  if (behaviour.hang) return;
  if (behaviour.resetBeforeResponse) {
    req.socket.resetAndDestroy();
    return;
  }
  const latency = behaviour.latency ?? 0;
  if (latency <= 0) {
    send(behaviour, exchange);
    return;
  }
  const timer = setTimeout(() => send(behaviour, exchange), latency);
  res.once('close', () => clearTimeout(timer));
}

function buildPayload(
  behaviour: Behaviour,
  exchange: Exchange,
): { status: number; data: Buffer; headers: OutgoingHttpHeaders } {
  const { req, requestBody } = exchange;
  const headers: OutgoingHttpHeaders = {};
  let status = behaviour.status ?? 200;
  let data: Buffer;
  if (behaviour.echo) {
    const echo = {
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: requestBody.toString('utf8'),
      bodyBytes: requestBody.length,
    };
    data = Buffer.from(JSON.stringify(echo));
    headers['content-type'] = 'application/json';
  } else if (behaviour.redirect) {
    status = behaviour.redirect.status ?? 302;
    headers.location = behaviour.redirect.location;
    const rendered = renderBody(behaviour.body ?? '');
    data = rendered.data;
    if (data.length > 0) headers['content-type'] = rendered.contentType;
  } else {
    const rendered = renderBody(behaviour.body);
    data = rendered.data;
    headers['content-type'] = rendered.contentType;
  }
  if (NO_BODY_STATUSES.has(status) || status < 200 || req.method === 'HEAD') {
    delete headers['content-type'];
    data = Buffer.alloc(0);
  }
  const encoded = encodeBody(data, behaviour);
  if (encoded.encoding && encoded.data.length > 0) {
    headers['content-encoding'] = encoded.encoding;
    data = encoded.data;
  }
  return { status, data, headers };
}

function send(behaviour: Behaviour, exchange: Exchange): void {
  const { res } = exchange;
  if (res.destroyed || res.headersSent) return;
  const { status, data, headers } = buildPayload(behaviour, exchange);
  if (!behaviour.chunked && !NO_BODY_STATUSES.has(status)) headers['content-length'] = data.length;
  if (behaviour.closeAfterResponse) {
    headers.connection = 'close';
  } else if (exchange.suppressKeepAliveHint && res.shouldKeepAlive) {
    // An explicit Connection header stops Node from adding `Keep-Alive: timeout=N`.
    headers.connection = 'keep-alive';
  }
  for (const [name, value] of Object.entries(behaviour.headers ?? {})) headers[name.toLowerCase()] = value;
  res.writeHead(status, headers);

  const stall = behaviour.stallAfterBytes;
  const reset = behaviour.resetAfterBytes;
  if (stall !== undefined || reset !== undefined) {
    const limit = Math.max(0, Math.min(stall ?? reset ?? 0, data.length));
    res.flushHeaders();
    res.write(data.subarray(0, limit), () => {
      if (reset === undefined) return; // stall: hold the socket forever
      // Give loopback a moment to deliver the bytes before the RST.
      const timer = setTimeout(() => res.socket?.resetAndDestroy(), 5);
      res.once('close', () => clearTimeout(timer));
    });
    return;
  }
  if (behaviour.chunked && data.length > 0) {
    writeChunks(exchange.res, data);
    return;
  }
  res.end(data);
}

function writeChunks(res: ServerResponse, data: Buffer): void {
  const pieces = Math.min(4, data.length);
  const size = Math.ceil(data.length / pieces);
  let offset = 0;
  const step = (): void => {
    if (res.destroyed) return;
    const piece = data.subarray(offset, offset + size);
    offset += size;
    if (offset >= data.length) {
      res.end(piece);
      return;
    }
    res.write(piece);
    setTimeout(step, 1);
  };
  step();
}
