/**
 * A deliberately small HTTP/1.x response reader for the probe's raw sockets: the status line, the
 * headers, and the body skipped by its framing (`Content-Length`, `chunked`, or until close). Every
 * part is bounded, so a hostile server can make a probe fail but never make it buffer without limit.
 */

/** Bounds of {@link ResponseReader}. */
export interface ReaderLimits {
  /** Status line plus headers, bytes. */
  maxHeadBytes: number;
  /** Header lines per response. */
  maxHeaders: number;
  /** Body bytes skipped before the response is given up as too large. */
  maxBodyBytes: number;
}

/** The defaults: generous for real servers, small enough to be harmless. */
export const DEFAULT_READER_LIMITS: Readonly<ReaderLimits> = Object.freeze({
  maxHeadBytes: 16 * 1024,
  maxHeaders: 100,
  maxBodyBytes: 1024 * 1024,
});

/** A parsed response head. Header names are lower-case; repeated headers are joined with `, `. */
export interface ResponseHead {
  status: number;
  /** `1.0` or `1.1`. */
  version: string;
  headers: Record<string, string>;
}

/** The server broke the protocol or a bound; the socket cannot be used further. */
export class ProtocolViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolViolation';
  }
}

type BodyState =
  | { kind: 'none' }
  | { kind: 'length'; left: number }
  | { kind: 'chunk-size' }
  | { kind: 'chunk-data'; left: number }
  | { kind: 'chunk-end' }
  | { kind: 'trailers' }
  | { kind: 'until-close' };

const MAX_INTERIM = 5;
const MAX_LINE = 1024;
const STATUS_LINE = /^HTTP\/(1\.[01]) (\d{3})(?: [^\r\n]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Feed it the bytes of one response with {@link ResponseReader.push}; it returns the head once the
 * whole response (body included) has been read, and throws {@link ProtocolViolation} on anything
 * malformed or over a bound. A body framed by the end of the connection completes on {@link end}.
 */
export class ResponseReader {
  #buffer: Buffer = Buffer.alloc(0);
  #head: ResponseHead | undefined;
  #body: BodyState | undefined;
  #bodyBytes = 0;
  #interim = 0;
  #trailerBytes = 0;
  readonly #limits: ReaderLimits;
  readonly #headRequest: boolean;

  constructor(headRequest: boolean, limits: ReaderLimits = DEFAULT_READER_LIMITS) {
    this.#headRequest = headRequest;
    this.#limits = limits;
  }

  /** The head, once it has been parsed (the body may still be arriving). */
  get head(): ResponseHead | undefined {
    return this.#head;
  }

  /** True when the body runs until the server closes the connection. */
  get untilClose(): boolean {
    return this.#body?.kind === 'until-close';
  }

  /** Add bytes; returns the head when the response is complete, else undefined. */
  push(chunk: Buffer): ResponseHead | undefined {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    while (this.#head === undefined) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.#buffer.length > this.#limits.maxHeadBytes) throw new ProtocolViolation('response head too large');
        return undefined;
      }
      if (end > this.#limits.maxHeadBytes) throw new ProtocolViolation('response head too large');
      const head = this.#parseHead(this.#buffer.subarray(0, end).toString('latin1'));
      this.#buffer = this.#buffer.subarray(end + 4);
      if (head.status >= 100 && head.status < 200) {
        if (head.status === 101) throw new ProtocolViolation('unexpected 101 Switching Protocols');
        if (++this.#interim > MAX_INTERIM) throw new ProtocolViolation('too many interim responses');
        continue;
      }
      this.#head = head;
      this.#body = this.#framing(head);
    }
    return this.#skipBody() ? this.#head : undefined;
  }

  /** The connection ended: completes a response whose body runs until close, else throws. */
  end(): ResponseHead {
    if (this.#head !== undefined && this.#body?.kind === 'until-close') return this.#head;
    throw new ProtocolViolation(this.#head === undefined ? 'closed before a response' : 'closed mid-body');
  }

  #parseHead(text: string): ResponseHead {
    const lines = text.split('\r\n');
    const match = STATUS_LINE.exec(lines[0] ?? '');
    if (!match) throw new ProtocolViolation('malformed status line');
    if (lines.length - 1 > this.#limits.maxHeaders) throw new ProtocolViolation('too many headers');
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN.test(name)) throw new ProtocolViolation('malformed header line');
      const key = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
    }
    return { version: match[1] as string, status: Number(match[2]), headers };
  }

  #framing(head: ResponseHead): BodyState {
    if (this.#headRequest || head.status === 204 || head.status === 304) return { kind: 'none' };
    const encoding = head.headers['transfer-encoding'];
    if (encoding !== undefined) {
      if (/(?:^|,)\s*chunked\s*$/i.test(encoding)) return { kind: 'chunk-size' };
      return { kind: 'until-close' };
    }
    const length = head.headers['content-length'];
    if (length === undefined) return { kind: 'until-close' };
    if (!/^\d{1,15}$/.test(length)) throw new ProtocolViolation('malformed content-length');
    return { kind: 'length', left: this.#countBody(Number(length)) };
  }

  #countBody(bytes: number): number {
    this.#bodyBytes += bytes;
    if (this.#bodyBytes > this.#limits.maxBodyBytes) throw new ProtocolViolation('response body too large');
    return bytes;
  }

  /** Skips what the framing allows; true once the body is complete. */
  #skipBody(): boolean {
    for (;;) {
      const body = this.#body as BodyState;
      switch (body.kind) {
        case 'none':
          return true;
        case 'until-close':
          this.#countBody(this.#buffer.length);
          this.#buffer = Buffer.alloc(0);
          return false;
        case 'length':
        case 'chunk-data': {
          const take = Math.min(body.left, this.#buffer.length);
          body.left -= take;
          this.#buffer = this.#buffer.subarray(take);
          if (body.left > 0) return false;
          this.#body = body.kind === 'length' ? { kind: 'none' } : { kind: 'chunk-end' };
          break;
        }
        case 'chunk-end': {
          const line = this.#line();
          if (line === undefined) return false;
          if (line !== '') throw new ProtocolViolation('malformed chunk end');
          this.#body = { kind: 'chunk-size' };
          break;
        }
        case 'chunk-size': {
          const line = this.#line();
          if (line === undefined) return false;
          const size = /^([0-9a-fA-F]{1,8})(?:;[^\r\n]*)?$/.exec(line.trim());
          if (!size) throw new ProtocolViolation('malformed chunk size');
          const bytes = this.#countBody(parseInt(size[1] as string, 16));
          this.#body = bytes === 0 ? { kind: 'trailers' } : { kind: 'chunk-data', left: bytes };
          break;
        }
        case 'trailers': {
          const line = this.#line();
          if (line === undefined) return false;
          this.#trailerBytes += line.length + 2;
          if (this.#trailerBytes > this.#limits.maxHeadBytes) throw new ProtocolViolation('trailers too large');
          if (line === '') this.#body = { kind: 'none' };
          break;
        }
      }
    }
  }

  #line(): string | undefined {
    const end = this.#buffer.indexOf('\r\n');
    if (end < 0) {
      if (this.#buffer.length > MAX_LINE) throw new ProtocolViolation('line too long');
      return undefined;
    }
    if (end > MAX_LINE) throw new ProtocolViolation('line too long');
    const line = this.#buffer.subarray(0, end).toString('latin1');
    this.#buffer = this.#buffer.subarray(end + 2);
    return line;
  }
}

/** The `Keep-Alive` response header's hints, e.g. `timeout=5, max=100`. */
export interface KeepAliveHint {
  /** `timeout=` in ms, or null when absent. */
  timeoutMs: number | null;
  /** `max=` (requests the server will serve on the connection), or null when absent. */
  max: number | null;
}

/** Parse `Keep-Alive: timeout=N, max=M`; null when the header is absent or carries neither. */
export function parseKeepAlive(value: string | undefined): KeepAliveHint | null {
  if (value === undefined) return null;
  const hint: KeepAliveHint = { timeoutMs: null, max: null };
  for (const part of value.slice(0, 256).split(',')) {
    const match = /^\s*(timeout|max)\s*=\s*"?(\d{1,9})"?\s*$/i.exec(part);
    if (!match) continue;
    const n = Number(match[2]);
    if ((match[1] as string).toLowerCase() === 'timeout') hint.timeoutMs = n * 1000;
    else hint.max = n;
  }
  return hint.timeoutMs === null && hint.max === null ? null : hint;
}
