import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { toResponse } from './fetch-response.ts';

describe('toResponse', () => {
  it('keeps every set-cookie and skips undefined headers', async () => {
    const response = toResponse(
      {
        statusCode: 200,
        headers: { 'set-cookie': ['a=1', 'b=2'], 'x-one': '1', 'x-none': undefined },
        body: Readable.from([Buffer.from('ok')]),
      },
      'GET',
      'http://h/x',
      false,
    );
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('x-one')).toBe('1');
    expect(response.headers.has('x-none')).toBe(false);
    expect(response.statusText).toBe('OK');
    expect(response.url).toBe('http://h/x');
    expect(await response.text()).toBe('ok');
  });

  it('decodes raw deflate as well as zlib deflate', async () => {
    const response = toResponse(
      {
        statusCode: 200,
        headers: { 'content-encoding': 'deflate' },
        body: Readable.from([deflateRawSync(Buffer.from('raw deflate'))]),
      },
      'GET',
      'http://h/x',
      false,
    );
    expect(await response.text()).toBe('raw deflate');
  });

  it('passes an unknown coding through untouched', async () => {
    const response = toResponse(
      { statusCode: 200, headers: { 'content-encoding': 'x-custom' }, body: Readable.from([Buffer.from('as is')]) },
      'GET',
      'http://h/x',
      false,
    );
    expect(response.headers.get('content-encoding')).toBe('x-custom');
    expect(await response.text()).toBe('as is');
  });
});

describe('a streamed Response', () => {
  const make = (chunks: Array<Buffer | string>, signal?: AbortSignal): Response =>
    toResponse(
      {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: Readable.from(chunks.map((c) => Buffer.from(c))),
      },
      'GET',
      'http://h/x',
      true,
      signal,
    );

  it('reads json, text, bytes and arrayBuffer straight from the body, once', async () => {
    const json = make(['\ufeff{"a":', '[1,2]}']);
    expect(json).toBeInstanceOf(Response);
    expect(json.bodyUsed).toBe(false);
    expect(await json.json()).toEqual({ a: [1, 2] });
    expect(json.bodyUsed).toBe(true);
    await expect(json.text()).rejects.toBeInstanceOf(TypeError);
    expect(() => json.clone()).toThrow(TypeError);
    // After a read, `body` is a stream that is already used up, and still nothing can read it twice.
    expect(json.body).not.toBeNull();
    expect(json.bodyUsed).toBe(true);
    await expect(json.arrayBuffer()).rejects.toBeInstanceOf(TypeError);

    const bytes = await make(['ab', 'c']).bytes();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(bytes)).toBe(false);
    expect([...bytes]).toEqual([97, 98, 99]);
    const buffer = await make(['xyz']).arrayBuffer();
    expect(buffer.byteLength).toBe(3);
    expect(await make(['héllo ', 'wörld']).text()).toBe('héllo wörld');
  });

  it('serves body, blob, formData and clone from one web stream, keeping url and redirected', async () => {
    const viaBody = make(['{"b":2}']);
    const reader = viaBody.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('{"b":2}');
    expect(viaBody.bodyUsed).toBe(true);
    reader.releaseLock();
    await expect(viaBody.text()).rejects.toBeInstanceOf(TypeError);

    const original = make(['{"c":3}']);
    const copy = original.clone();
    expect(copy.url).toBe('http://h/x');
    expect(copy.redirected).toBe(true);
    expect(await copy.json()).toEqual({ c: 3 });
    expect(await original.json()).toEqual({ c: 3 });
    expect(await (await make(['blob']).blob()).text()).toBe('blob');
  });

  it('a body that failed before anyone asked for `body` fails its web stream too (it never hangs)', async () => {
    const broken = new Readable({ read() {} });
    const response = toResponse({ statusCode: 200, headers: {}, body: broken }, 'GET', 'http://h/x', false);
    const failure = new Error('socket reset');
    broken.destroy(failure);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(response.body!.getReader().read()).rejects.toBe(failure);

    const closed = new Readable({ read() {} });
    const early = toResponse({ statusCode: 200, headers: {}, body: closed }, 'GET', 'http://h/x', false);
    closed.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(early.blob()).rejects.toThrow('terminated');
  });

  it('fails a read like fetch: the body error, the caller reason, or terminated — even before anyone reads', async () => {
    const broken = new Readable({ read() {} });
    const response = toResponse({ statusCode: 200, headers: {}, body: broken }, 'GET', 'http://h/x', false);
    const failure = new Error('socket reset');
    broken.destroy(failure); // nobody reads yet: no crash
    await new Promise((resolve) => setImmediate(resolve));
    await expect(response.text()).rejects.toBe(failure);

    const closed = new Readable({ read() {} });
    const early = toResponse({ statusCode: 200, headers: {}, body: closed }, 'GET', 'http://h/x', false);
    const reading = early.json();
    closed.push('{"partial":');
    closed.destroy();
    await expect(reading).rejects.toThrow('terminated');

    const controller = new AbortController();
    const aborted = new Readable({ read() {} });
    const byCaller = toResponse(
      { statusCode: 200, headers: {}, body: aborted },
      'GET',
      'http://h/x',
      false,
      controller.signal,
    );
    const pending = byCaller.arrayBuffer();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    aborted.destroy(new Error('aborted by undici'));
    await expect(pending).rejects.toBe(reason);
  });
});
