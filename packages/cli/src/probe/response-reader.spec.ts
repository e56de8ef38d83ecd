import { describe, expect, it } from 'vitest';
import { parseKeepAlive, ProtocolViolation, ResponseReader } from './response-reader.ts';

const b = (text: string) => Buffer.from(text, 'latin1');

describe('ResponseReader', () => {
  it('reads a head and skips a Content-Length body, whatever the chunking of the bytes', () => {
    const bytes = b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhello');
    for (const size of [1, 3, bytes.length]) {
      const reader = new ResponseReader(false);
      let head;
      for (let i = 0; i < bytes.length; i += size) head = reader.push(bytes.subarray(i, i + size)) ?? head;
      expect(head).toEqual({
        status: 200,
        version: '1.1',
        headers: { 'content-length': '5', 'keep-alive': 'timeout=5', 'x-a': '1, 2' },
      });
    }
  });

  it('is not complete until the whole body has arrived', () => {
    const reader = new ResponseReader(false);
    expect(reader.push(b('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab'))).toBeUndefined();
    expect(reader.head?.status).toBe(200);
    expect(reader.push(b('cd'))?.status).toBe(200);
  });

  it('skips a chunked body with extensions and trailers', () => {
    const reader = new ResponseReader(false);
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nTrailer: 1\r\n\r\n';
    expect(reader.push(b(text.slice(0, 50)))).toBeUndefined();
    expect(reader.push(b(text.slice(50)))?.status).toBe(200);
  });

  it('expects no body for HEAD, 204 and 304, and skips 1xx interim responses', () => {
    expect(new ResponseReader(true).push(b('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n'))?.status).toBe(200);
    expect(new ResponseReader(false).push(b('HTTP/1.1 204 No Content\r\n\r\n'))?.status).toBe(204);
    expect(new ResponseReader(false).push(b('HTTP/1.1 304 Not Modified\r\n\r\n'))?.status).toBe(304);
    const head = new ResponseReader(true).push(
      b('HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'),
    );
    expect(head?.status).toBe(200);
  });

  it('a body without framing runs until the connection ends', () => {
    const reader = new ResponseReader(false);
    expect(reader.push(b('HTTP/1.0 200 OK\r\n\r\nsome body'))).toBeUndefined();
    expect(reader.untilClose).toBe(true);
    expect(reader.end()).toMatchObject({ status: 200, version: '1.0' });
    expect(() => new ResponseReader(false).end()).toThrow('closed before a response');
    const mid = new ResponseReader(false);
    mid.push(b('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    expect(() => mid.end()).toThrow('closed mid-body');
  });

  it.each([
    ['a malformed status line', 'HTTP/2 200 OK\r\n\r\n', 'malformed status line'],
    ['garbage', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', 'malformed status line'],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', 'malformed header line'],
    ['a header name with a space', 'HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n', 'malformed header line'],
    ['a bad content-length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', 'malformed content-length'],
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching\r\n\r\n', 'unexpected 101'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'malformed chunk size'],
    [
      'a chunk without its CRLF',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX\r\n',
      'malformed chunk end',
    ],
  ])('refuses %s', (_name, text, message) => {
    expect(() => new ResponseReader(false).push(b(text))).toThrow(message);
  });

  it('bounds a hostile server: head size, header count, interim responses, body size, chunk lines', () => {
    const endless = new ResponseReader(false);
    expect(() => {
      for (let i = 0; i < 100; i++) endless.push(b(`X-${i}: ${'a'.repeat(400)}\r\n`));
    }).toThrow(ProtocolViolation);
    const many = Array.from({ length: 101 }, (_, i) => `h${i}: v`).join('\r\n');
    expect(() => new ResponseReader(false).push(b(`HTTP/1.1 200 OK\r\n${many}\r\n\r\n`))).toThrow('too many headers');
    expect(() => new ResponseReader(false).push(b('HTTP/1.1 100 Continue\r\n\r\n'.repeat(6)))).toThrow(
      'too many interim responses',
    );
    expect(() => new ResponseReader(false).push(b('HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n'))).toThrow(
      'response body too large',
    );
    expect(() =>
      new ResponseReader(false).push(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffff\r\n')),
    ).toThrow('response body too large');
    expect(() =>
      new ResponseReader(false).push(b(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'1'.repeat(2000)}`)),
    ).toThrow('line too long');
    const unframed = new ResponseReader(false, { maxHeadBytes: 1024, maxHeaders: 10, maxBodyBytes: 10 });
    expect(() => unframed.push(b('HTTP/1.1 200 OK\r\n\r\n0123456789AB'))).toThrow('response body too large');
  });
});

describe('parseKeepAlive', () => {
  it('reads timeout= (as ms) and max=, case- and space-insensitive, quoted or not', () => {
    expect(parseKeepAlive('timeout=5, max=100')).toEqual({ timeoutMs: 5000, max: 100 });
    expect(parseKeepAlive('Timeout = "60"')).toEqual({ timeoutMs: 60_000, max: null });
    expect(parseKeepAlive('max=3')).toEqual({ timeoutMs: null, max: 3 });
  });

  it('is null when absent or carrying neither hint, and ignores junk', () => {
    expect(parseKeepAlive(undefined)).toBeNull();
    expect(parseKeepAlive('')).toBeNull();
    expect(parseKeepAlive('foo=bar, timeout=-1, max=abc')).toBeNull();
    expect(parseKeepAlive('timeout=99999999999')).toBeNull();
  });
});
