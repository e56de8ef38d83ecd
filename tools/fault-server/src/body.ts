/**
 * Response body construction: the deterministic default body, behaviour bodies,
 * and optional content-encoding.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Behaviour, BehaviourBody } from './types.ts';

/** Size in bytes of {@link DEFAULT_BODY}. */
export const DEFAULT_BODY_SIZE = 1024;

function buildDefaultBody(): Buffer {
  const items = Array.from({ length: 8 }, (_, i) => ({ id: i + 1, name: `item-${i + 1}`, value: (i + 1) * 11 }));
  const base = { ok: true, source: 'steady-fault-server', items, padding: '' };
  const without = Buffer.byteLength(JSON.stringify(base));
  base.padding = 'x'.repeat(Math.max(0, DEFAULT_BODY_SIZE - without));
  return Buffer.from(JSON.stringify(base));
}

/** The deterministic default body: a JSON document of exactly 1024 bytes. */
export const DEFAULT_BODY: Buffer = buildDefaultBody();

/** A body plus the content-type it implies. */
export interface RenderedBody {
  data: Buffer;
  contentType: string;
}

/** `n` deterministic bytes (a repeating printable pattern). */
export function patternBytes(n: number): Buffer {
  const out = Buffer.allocUnsafe(Math.max(0, n));
  for (let i = 0; i < out.length; i++) out[i] = 97 + (i % 26);
  return out;
}

/** Render a behaviour body (or the default body when absent). */
export function renderBody(body: BehaviourBody | undefined): RenderedBody {
  if (body === undefined) return { data: DEFAULT_BODY, contentType: 'application/json' };
  if (typeof body === 'string') return { data: Buffer.from(body), contentType: 'text/plain; charset=utf-8' };
  if ('json' in body)
    return { data: Buffer.from(JSON.stringify(body.json) ?? 'null'), contentType: 'application/json' };
  return { data: patternBytes(body.bytes), contentType: 'application/octet-stream' };
}

/** Compress `data` as the behaviour asks; returns the encoding name (or undefined) and the bytes. */
export function encodeBody(data: Buffer, behaviour: Behaviour): { encoding: string | undefined; data: Buffer } {
  if (behaviour.gzip) return { encoding: 'gzip', data: gzipSync(data) };
  if (behaviour.deflate) return { encoding: 'deflate', data: deflateSync(data) };
  if (behaviour.brotli) return { encoding: 'br', data: brotliCompressSync(data) };
  return { encoding: undefined, data };
}
