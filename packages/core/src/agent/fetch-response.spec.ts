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
