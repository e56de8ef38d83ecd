import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createDecoders, decodeBody, type DecodeRules } from './decompress.ts';

const TEXT = 'steady decompression '.repeat(200);
const PLAIN = Buffer.from(TEXT);
const hasZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
const zstdCompress = (zlib as unknown as { zstdCompressSync?: (data: Buffer) => Buffer }).zstdCompressSync;

/** A body of `data` cut into small chunks, so decoders see it arrive piece by piece. */
function body(data: Buffer, chunkSize = 97): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
  return Readable.from(chunks);
}

async function read(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

async function decode(data: Buffer, encoding: string | string[], rules?: DecodeRules): Promise<string> {
  const decoded = decodeBody(body(data), encoding, { rules });
  expect(decoded).toBeDefined();
  return read(decoded!);
}

describe.each(['fetch', 'node'] as const)('decodeBody with %s rules', (rules) => {
  it.each([
    ['gzip', zlib.gzipSync(PLAIN)],
    ['x-gzip', zlib.gzipSync(PLAIN)],
    ['GZip', zlib.gzipSync(PLAIN)],
    ['deflate', zlib.deflateSync(PLAIN)],
    ['br', zlib.brotliCompressSync(PLAIN)],
  ])('decodes %s', async (encoding, data) => {
    expect(await decode(data, encoding, rules)).toBe(TEXT);
  });

  it('decodes raw deflate as well as zlib-wrapped deflate', async () => {
    expect(await decode(zlib.deflateRawSync(PLAIN), 'deflate', rules)).toBe(TEXT);
    expect(await decode(zlib.deflateRawSync(Buffer.from('x')), 'deflate', rules)).toBe('x');
  });

  it('decodes zlib deflate with a small window (a header byte other than 0x78)', async () => {
    const data = zlib.deflateSync(PLAIN, { windowBits: 9 });
    expect(data[0]).not.toBe(0x78);
    expect(await decode(data, 'deflate', rules)).toBe(TEXT);
  });

  it('decodes deflate whose first chunk is empty', async () => {
    const data = zlib.deflateRawSync(PLAIN);
    const decoded = decodeBody(Readable.from([Buffer.alloc(0), data]), 'deflate', { rules })!;
    expect(await read(decoded)).toBe(TEXT);
  });

  it.runIf(hasZstd)('decodes zstd where Node has it', async () => {
    expect(await decode(zstdCompress!(PLAIN), 'zstd', rules)).toBe(TEXT);
  });

  it('accepts a truncated body, decoding what arrived', async () => {
    const data = zlib.gzipSync(PLAIN);
    const text = await decode(data.subarray(0, data.length - 8), 'gzip', rules);
    expect(TEXT.startsWith(text)).toBe(true);
    expect(text.length).toBeGreaterThan(0);
  });

  it('errors the stream on corrupt data', async () => {
    await expect(decode(Buffer.from('definitely not gzip'), 'gzip', rules)).rejects.toThrow();
    await expect(decode(Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff]), 'deflate', rules)).rejects.toThrow();
  });

  it('passes unknown codings, identity and no encoding through', () => {
    const source = body(PLAIN);
    expect(decodeBody(source, 'x-custom', { rules })).toBeUndefined();
    expect(decodeBody(source, 'identity', { rules })).toBeUndefined();
    expect(decodeBody(source, undefined, { rules })).toBeUndefined();
    expect(createDecoders('', { rules })).toBeUndefined();
    source.destroy();
  });

  it('reads a one-element header array like its value', async () => {
    expect(await decode(zlib.gzipSync(PLAIN), ['gzip'], rules)).toBe(TEXT);
  });

  it('creates fresh transforms per call', () => {
    const first = createDecoders('gzip', { rules })!;
    const second = createDecoders('gzip', { rules })!;
    expect(first).toHaveLength(1);
    expect(first[0]).not.toBe(second[0]);
    for (const transform of [...first, ...second]) transform.destroy();
  });

  it('destroys the source when the decoded stream is destroyed', async () => {
    const source = new Readable({ read() {} });
    const decoded = decodeBody(source, 'gzip', { rules })!;
    decoded.destroy();
    await new Promise((resolve) => source.once('close', resolve));
    expect(source.destroyed).toBe(true);
  });

  it('errors the decoded stream when the source fails', async () => {
    const source = new Readable({ read() {} });
    const decoded = decodeBody(source, 'br', { rules })!;
    source.destroy(new Error('socket reset'));
    await expect(read(decoded)).rejects.toThrow('socket reset');
  });
});

describe("decodeBody with fetch's rules", () => {
  it('is the default', async () => {
    expect(await read(decodeBody(body(zlib.gzipSync(PLAIN)), 'x-gzip')!)).toBe(TEXT);
    expect(createDecoders('compress')).toBeUndefined();
  });

  it('undoes a list of codings last-first', async () => {
    const data = zlib.brotliCompressSync(zlib.gzipSync(PLAIN));
    expect(createDecoders('gzip, br')).toHaveLength(2);
    expect(await decode(data, 'gzip, br')).toBe(TEXT);
    expect(await decode(data, ['gzip', 'br'])).toBe(TEXT);
    expect(await decode(zlib.gzipSync(zlib.deflateRawSync(PLAIN)), ' Deflate ,gzip')).toBe(TEXT);
  });

  it('skips identity and empty members of a list', async () => {
    expect(createDecoders('identity, gzip,,')).toHaveLength(1);
    expect(await decode(zlib.gzipSync(PLAIN), 'identity, gzip,,')).toBe(TEXT);
    expect(createDecoders('identity, identity')).toBeUndefined();
  });

  it('passes the whole body through when any coding of a list is unknown', () => {
    expect(createDecoders('gzip, x-custom')).toBeUndefined();
    expect(createDecoders('x-custom, gzip')).toBeUndefined();
    expect(createDecoders('compress')).toBeUndefined();
  });

  it('requires gzip data under gzip', async () => {
    await expect(decode(zlib.deflateSync(PLAIN), 'gzip')).rejects.toThrow();
  });
});

describe("decodeBody with Node's rules", () => {
  it('accepts gzip or zlib data under gzip, x-gzip, compress and x-compress', async () => {
    for (const encoding of ['gzip', 'x-gzip', 'compress', 'x-compress']) {
      expect(await decode(zlib.deflateSync(PLAIN), encoding, 'node')).toBe(TEXT);
      expect(await decode(zlib.gzipSync(PLAIN), encoding, 'node')).toBe(TEXT);
    }
  });

  it('decodes a single coding only: a list, or padding, passes through', () => {
    expect(createDecoders('gzip, br', { rules: 'node' })).toBeUndefined();
    expect(createDecoders(['gzip', 'br'], { rules: 'node' })).toBeUndefined();
    expect(createDecoders(' gzip', { rules: 'node' })).toBeUndefined();
    expect(createDecoders('identity', { rules: 'node' })).toBeUndefined();
  });
});
