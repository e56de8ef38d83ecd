import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import axios, { AxiosError, isCancel, type AxiosProgressEvent } from 'axios';
import NodeFormData from 'form-data';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_BODY, startFaultServer, type FaultServer } from '@steady/fault-server';
import { CLIENTS, fault, multipartParts, type Client, rejection } from './helpers.ts';

async function readStream(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe.each(CLIENTS)('parity: $name', ({ make }) => {
  let server: FaultServer;
  let client: Client;

  beforeEach(async () => {
    server = await startFaultServer({
      routes: {
        '/r1': { redirect: { location: '/echo' } },
        '/r303': { redirect: { location: '/echo', status: 303 } },
        '/r307': { redirect: { location: '/echo', status: 307 } },
        '/loop': { redirect: { location: '/loop' } },
        '/hang': { hang: true },
      },
    });
    client = make(server);
  });

  afterEach(async () => {
    await client.close();
    await server.close();
  });

  it.each(['get', 'delete', 'options', 'post', 'put', 'patch'] as const)('sends %s', async (method) => {
    const res = await client.api.request({ method, url: '/echo' });
    expect(res.status).toBe(200);
    expect(res.statusText).toBe('OK');
    expect(res.data.method).toBe(method.toUpperCase());
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('sends HEAD and gets an empty body', async () => {
    const res = await client.api.head('/echo');
    expect(res.status).toBe(200);
    expect(res.data).toBe('');
  });

  it('sends the same default headers', async () => {
    const { data } = await client.api.get('/echo', { headers: { 'X-Custom': 'a' } });
    expect(data.headers['user-agent']).toBe(`axios/${axios.VERSION}`);
    expect(data.headers.accept).toBe('application/json, text/plain, */*');
    expect(data.headers['accept-encoding']).toBe('gzip, compress, deflate, br');
    expect(data.headers['x-custom']).toBe('a');
  });

  it('sends JSON', async () => {
    const { data } = await client.api.post('/echo', { a: 1, b: ['x'] });
    expect(data.body).toBe('{"a":1,"b":["x"]}');
    expect(data.headers['content-type']).toBe('application/json');
    expect(data.headers['content-length']).toBe('17');
  });

  it('sends URLSearchParams urlencoded', async () => {
    const { data } = await client.api.post('/echo', new URLSearchParams({ a: '1', b: 'x y' }));
    expect(data.body).toBe('a=1&b=x+y');
    expect(data.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=utf-8');
  });

  it('sends a spec FormData', async () => {
    const form = new FormData();
    form.append('name', 'steady');
    form.append('file', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    const { data } = await client.api.post('/echo', form);
    expect(data.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(multipartParts(data.body, data.headers['content-type'])).toEqual({ name: 'steady', file: 'a.txt:hello' });
    expect(Number(data.headers['content-length'])).toBe(data.bodyBytes);
  });

  it('sends an object as multipart (axios.toFormData)', async () => {
    const { data } = await client.api.post(
      '/echo',
      { a: '1', nested: { b: '2' } },
      { headers: { 'Content-Type': 'multipart/form-data' } },
    );
    expect(multipartParts(data.body, data.headers['content-type'])).toEqual({ a: '1', 'nested[b]': '2' });
  });

  it('sends a form-data package instance', async () => {
    const form = new NodeFormData();
    form.append('a', 'b');
    form.append('file', Buffer.from('bytes'), { filename: 'f.bin' });
    const { data } = await client.api.post('/echo', form);
    expect(multipartParts(data.body, data.headers['content-type'])).toEqual({ a: 'b', file: 'f.bin:bytes' });
  });

  it('sends Buffer and stream bodies', async () => {
    const buffer = await client.api.put('/echo', Buffer.from('buffer-body'), {
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(buffer.data.body).toBe('buffer-body');
    expect(buffer.data.headers['content-length']).toBe('11');
    const stream = await client.api.post('/echo', Readable.from([Buffer.from('str'), Buffer.from('eam')]), {
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(stream.data.body).toBe('stream');
  });

  it('serialises params like axios, with paramsSerializer', async () => {
    const params = { a: 1, list: [1, 2], s: 'x y&z' };
    const plain = await client.api.get('/echo?q=0', { params });
    expect(plain.data.url).toBe(axios.getUri({ url: '/echo?q=0', params }));
    const custom = await client.api.get('/echo', { params: { a: 1 }, paramsSerializer: () => 'custom=1' });
    expect(custom.data.url).toBe('/echo?custom=1');
    const indexes = await client.api.get('/echo', { params: { l: [1, 2] }, paramsSerializer: { indexes: null } });
    expect(indexes.data.url).toBe('/echo?l=1&l=2');
  });

  it('honours responseType json, text, arraybuffer and stream', async () => {
    const json = await client.api.get('/');
    expect(json.data).toEqual(JSON.parse(DEFAULT_BODY.toString()));
    const text = await client.api.get('/', { responseType: 'text' });
    expect(text.data).toBe(DEFAULT_BODY.toString());
    const bytes = await client.api.get('/', { responseType: 'arraybuffer' });
    expect(Buffer.isBuffer(bytes.data)).toBe(true);
    expect(Buffer.compare(bytes.data, DEFAULT_BODY)).toBe(0);
    const stream = await client.api.get('/', { responseType: 'stream' });
    expect(stream.data).toBeInstanceOf(Readable);
    expect(await readStream(stream.data)).toBe(DEFAULT_BODY.toString());
  });

  it('rejects by validateStatus with ERR_BAD_REQUEST / ERR_BAD_RESPONSE and the response', async () => {
    const notFound = await rejection(client.api.get('/status/404'));
    expect(notFound.code).toBe('ERR_BAD_REQUEST');
    expect(notFound.message).toBe('Request failed with status code 404');
    expect(notFound.response?.status).toBe(404);
    const broken = await rejection(client.api.post('/status/500'));
    expect(broken.code).toBe('ERR_BAD_RESPONSE');
    expect(broken.status).toBe(500);
    const allowed = await client.api.get('/status/404', { validateStatus: (s) => s === 404 });
    expect(allowed.status).toBe(404);
  });

  it('enforces maxContentLength and maxBodyLength', async () => {
    const big = await rejection(client.api.get('/', { maxContentLength: 100 }));
    expect(big.code).toBe('ERR_BAD_RESPONSE');
    expect(big.message).toBe('maxContentLength size of 100 exceeded');
    const ok = await client.api.get('/', { maxContentLength: 2048 });
    expect(ok.status).toBe(200);
    const upload = await rejection(client.api.post('/echo', 'x'.repeat(200), { maxBodyLength: 100 }));
    expect(upload.code).toBe('ERR_BAD_REQUEST');
    expect(upload.message).toBe('Request body larger than maxBodyLength limit');
  });

  it.each(['gzip', 'deflate', 'brotli'])('decompresses %s', async (encoding) => {
    const res = await client.api.get('/', { headers: fault({ [encoding]: true }) });
    expect(res.data).toEqual(JSON.parse(DEFAULT_BODY.toString()));
    expect(res.headers['content-encoding']).toBeUndefined();
    const streamed = await client.api.get('/', { headers: fault({ [encoding]: true }), responseType: 'stream' });
    expect(await readStream(streamed.data)).toBe(DEFAULT_BODY.toString());
  });

  it('keeps the body compressed with decompress: false', async () => {
    const res = await client.api.get('/', {
      headers: fault({ gzip: true }),
      decompress: false,
      responseType: 'arraybuffer',
    });
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(zlib.gunzipSync(res.data), DEFAULT_BODY)).toBe(0);
  });

  it('follows redirects as axios does', async () => {
    const get = await client.api.get('/r1');
    expect(get.data.url).toBe('/echo');
    const post = await client.api.post('/r1', { a: 1 });
    expect(post.data.method).toBe('GET');
    expect(post.data.body).toBe('');
    expect(post.data.headers['content-type']).toBeUndefined();
    const see = await client.api.put('/r303', 'x');
    expect(see.data.method).toBe('GET');
    const keep = await client.api.post('/r307', { a: 1 });
    expect(keep.data.method).toBe('POST');
    expect(keep.data.body).toBe('{"a":1}');
  });

  it('does not follow with maxRedirects: 0, and stops after maxRedirects', async () => {
    const raw = await client.api.get('/r1', { maxRedirects: 0, validateStatus: () => true });
    expect(raw.status).toBe(302);
    expect(raw.headers.location).toBe('/echo');
    const loop = await rejection(client.api.get('/loop', { maxRedirects: 3 }));
    expect(loop.code).toBe('ERR_FR_TOO_MANY_REDIRECTS');
    expect(server.counters().byPath['/loop']).toBe(4);
  });

  it('calls beforeRedirect, whose header changes apply', async () => {
    const seen: number[] = [];
    const res = await client.api.get('/r1', {
      beforeRedirect: (options, response) => {
        seen.push(response.statusCode);
        (options.headers as Record<string, string>)['x-redirected'] = 'yes';
      },
    });
    expect(seen).toEqual([302]);
    expect(res.data.headers['x-redirected']).toBe('yes');
  });

  it('sends basic auth', async () => {
    const { data } = await client.api.get('/echo', {
      auth: { username: 'user', password: 'päss' },
      headers: { Authorization: 'Bearer replaced' },
    });
    expect(data.headers.authorization).toBe('Basic ' + Buffer.from('user:päss').toString('base64'));
  });

  it('cancels with an AbortSignal', async () => {
    const controller = new AbortController();
    const pending = client.api.get('/hang', { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    const error = await rejection(pending);
    expect(isCancel(error)).toBe(true);
    expect(error.code).toBe('ERR_CANCELED');
  });

  it('cancels with a legacy cancelToken', async () => {
    const source = axios.CancelToken.source();
    const pending = client.api.get('/hang', { cancelToken: source.token });
    setTimeout(() => source.cancel('bye'), 30);
    const error = await rejection(pending);
    expect(isCancel(error)).toBe(true);
    expect(error.message).toBe('bye');
  });

  it('runs interceptors and transforms once per request', async () => {
    let requests = 0;
    client.api.interceptors.request.use((config) => {
      requests++;
      config.headers.set('x-intercepted', '1');
      return config;
    });
    client.api.interceptors.response.use((res) => ({ ...res, data: { wrapped: res.data } }));
    const res = await client.api.post('/echo', 'raw', {
      transformRequest: [(data: string) => data.toUpperCase()],
      transformResponse: [(data: string) => JSON.parse(data).body],
    });
    expect(res.data).toEqual({ wrapped: 'RAW' });
    expect(requests).toBe(1);
  });

  it('reports download and upload progress', async () => {
    const downloads: AxiosProgressEvent[] = [];
    const uploads: AxiosProgressEvent[] = [];
    await client.api.post('/', 'x'.repeat(300), {
      onDownloadProgress: (event) => downloads.push(event),
      onUploadProgress: (event) => uploads.push(event),
    });
    expect(downloads.at(-1)).toMatchObject({ loaded: 1024, total: 1024, download: true });
    expect(uploads.at(-1)).toMatchObject({ loaded: 300, upload: true });
  });

  it('rejects on timeout with an AxiosError', async () => {
    const error = await rejection(client.api.get('/hang', { timeout: 80 }));
    expect(error).toBeInstanceOf(AxiosError);
    expect(['ECONNABORTED', 'STEADY_TIMEOUT']).toContain(error.code);
  });
});
