import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { BodySink } from './body-sink.ts';

/** A dispatch controller that records what the sink asks of the socket. */
function recorder() {
  const calls: string[] = [];
  const controller = {
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
    abort: (reason: Error) => calls.push(`abort:${reason.message}`),
  } as unknown as Dispatcher.DispatchController;
  return { calls, controller };
}

const chunk = (n: number, fill = 97) => Buffer.alloc(n, fill);

describe('BodySink', () => {
  it('reads the whole body once, as text, json, bytes or arrayBuffer', async () => {
    for (const [kind, expected] of [
      ['text', '{"a":1}'],
      ['json', { a: 1 }],
      ['bytes', new Uint8Array(Buffer.from('{"a":1}'))],
    ] as const) {
      const sink = new BodySink();
      sink.attach(recorder().controller);
      sink.push(Buffer.from('{"a"'));
      const reading = sink.read(kind);
      sink.push(Buffer.from(':1}'));
      sink.end();
      expect(await reading).toEqual(expected);
      await expect(sink.read('text')).rejects.toThrow(TypeError);
      expect(sink.bodyUsed).toBe(true);
    }
    const sink = new BodySink();
    sink.push(Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69]));
    sink.end();
    expect(await sink.read('text')).toBe('hi'); // a leading BOM is dropped, as fetch does
  });

  it('pauses the socket past 64 KiB while nobody reads, and resumes when someone does', async () => {
    const { calls, controller } = recorder();
    const sink = new BodySink();
    sink.attach(controller);
    for (let i = 0; i < 5; i++) sink.push(chunk(16 * 1024));
    expect(calls).toEqual(['pause']);
    const reading = sink.read('bytes');
    expect(calls).toEqual(['pause', 'resume']);
    sink.push(chunk(10));
    sink.end();
    expect((await reading).length).toBe(5 * 16 * 1024 + 10);
  });

  it('fails every reader with the error that ended its request, before or after the read began', async () => {
    const early = new BodySink();
    early.fail(new Error('reset'));
    await expect(early.read('text')).rejects.toThrow('reset');
    expect(early.errored).toBeInstanceOf(Error);
    const late = new BodySink();
    late.push(chunk(10));
    const reading = late.read('json');
    late.fail(new Error('deadline'));
    await expect(reading).rejects.toThrow('deadline');
    // A later end or data is ignored: it settled once.
    late.end();
    late.push(chunk(1));
    expect(late.destroyed).toBe(true);
  });

  it("tells 'close' listeners once it ends or fails (the call's deadline holds until then)", async () => {
    const sink = new BodySink();
    let closed = 0;
    sink.once('close', () => closed++).once('close', () => closed++);
    expect(sink.destroyed).toBe(false);
    expect(sink.readableDidRead).toBe(false);
    sink.end();
    expect(closed).toBe(2);
    await new Promise<void>((resolve) => sink.once('close', resolve)); // after the end: at once
  });

  it('streams as a web stream with backpressure, buffered chunks first', async () => {
    const { calls, controller } = recorder();
    const sink = new BodySink();
    sink.attach(controller);
    sink.push(chunk(100, 1));
    const reader = sink.toWebStream().getReader();
    expect(() => sink.toWebStream()).toThrow(TypeError);
    sink.push(chunk(100 * 1024, 2)); // past the stream's high-water mark: the socket pauses
    expect(calls).toContain('pause');
    const first = await reader.read();
    expect(first.value?.[0]).toBe(1);
    const second = await reader.read();
    expect(second.value?.length).toBe(100 * 1024);
    expect(calls.at(-1)).toBe('resume');
    sink.end();
    expect((await reader.read()).done).toBe(true);
  });

  it('maps the error of a failed stream, and cancelling the stream dumps the rest', async () => {
    const failing = new BodySink();
    const reader = failing.toWebStream((error) => new TypeError('mapped', { cause: error })).getReader();
    failing.fail(new Error('reset'));
    await expect(reader.read()).rejects.toThrow('mapped');

    const { calls, controller } = recorder();
    const cancelled = new BodySink();
    cancelled.attach(controller);
    await cancelled.toWebStream().cancel();
    cancelled.push(chunk(200 * 1024)); // past 128 KiB of a dumped body: the request is aborted
    expect(calls.at(-1)).toBe('abort:response body dumped');
  });

  it('dump() drops what it holds and settles when the body ends', async () => {
    const { calls, controller } = recorder();
    const sink = new BodySink();
    sink.attach(controller);
    for (let i = 0; i < 5; i++) sink.push(chunk(16 * 1024));
    const dumped = sink.dump();
    expect(calls).toEqual(['pause', 'resume']);
    sink.push(chunk(1024));
    sink.end();
    await dumped;
    expect(sink.bodyUsed).toBe(true);
    await expect(sink.read('text')).rejects.toThrow(TypeError);
  });
});
