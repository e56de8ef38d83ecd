/**
 * One probe socket: writes a hand-made request, reads the response with {@link ResponseReader}
 * (bounded, with a deadline), and records how the socket ended: a FIN (`end`), an RST or another
 * error, or nothing at all. The idle ladder reads exactly these facts.
 */
import type { Socket } from 'node:net';
import { ProtocolViolation, ResponseReader, type ResponseHead } from './response-reader.ts';

/** Why an exchange failed: an RST/error, a FIN before the response, no answer in time, a broken response. */
export type ExchangeFailureKind = 'reset' | 'closed' | 'timeout' | 'protocol';

/** An exchange on a probe socket failed. */
export class ExchangeFailure extends Error {
  readonly kind: ExchangeFailureKind;
  constructor(kind: ExchangeFailureKind, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ExchangeFailure';
    this.kind = kind;
  }
}

/** How a socket stood at the end of an idle wait. */
export type IdleState = 'open' | 'fin' | 'reset';

interface Pending {
  reader: ResponseReader;
  resolve(head: ResponseHead): void;
  reject(error: ExchangeFailure): void;
}

/** A raw socket with its ending recorded. Every timer it starts is cleared when its wait settles. */
export class ProbeSocket {
  /** The peer sent a FIN. */
  fin = false;
  /** The socket failed (e.g. `ECONNRESET`), with this code. */
  errorCode: string | undefined;
  /** Bytes the server sent while no request was waiting (e.g. a `408` before closing). */
  unsolicitedBytes = 0;
  #pending: Pending | undefined;
  #idleWake: (() => void) | undefined;
  readonly #socket: Socket;
  readonly #onData = (chunk: Buffer): void => this.#data(chunk);
  readonly #onEnd = (): void => {
    this.fin = true;
    this.#ended();
  };
  readonly #onError = (error: Error): void => {
    this.errorCode = (error as { code?: string }).code ?? 'ERROR';
    this.#ended();
  };
  readonly #onClose = (): void => this.#ended();

  constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  /** True once the socket can carry no further request. */
  get done(): boolean {
    return this.fin || this.errorCode !== undefined || this.#socket.destroyed;
  }

  /** Stop listening (the socket is handed to a TLS layer); an error listener stays so nothing is thrown. */
  detach(): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onClose);
  }

  /** Write `request` and resolve with the response head once the whole response is read. */
  exchange(request: string, timeoutMs: number, headRequest: boolean): Promise<ResponseHead> {
    if (this.#pending) return Promise.reject(new ExchangeFailure('protocol', 'an exchange is already in flight'));
    if (this.done) return Promise.reject(this.#endedFailure());
    return new Promise<ResponseHead>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending = undefined;
        reject(new ExchangeFailure('timeout', `no complete response within ${Math.round(timeoutMs)} ms`));
      }, timeoutMs);
      this.#pending = {
        reader: new ResponseReader(headRequest),
        resolve: (head) => {
          clearTimeout(timer);
          resolve(head);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.#socket.write(request);
    });
  }

  /** Wait `ms` with the socket idle, ending early if it closes; resolves with how it stands. */
  waitIdle(ms: number): Promise<IdleState> {
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#idleWake = undefined;
        resolve(this.#idleState());
      };
      const timer = setTimeout(finish, ms);
      this.#idleWake = finish;
      if (this.done) finish();
    });
  }

  /** Resolves once the peer has closed (FIN or error) or after `ms`; true when it closed. */
  async closedWithin(ms: number): Promise<boolean> {
    return (await this.waitIdle(ms)) !== 'open';
  }

  /** Close the socket at once. */
  destroy(): void {
    this.#socket.destroy();
  }

  #idleState(): IdleState {
    if (this.errorCode !== undefined) return 'reset';
    return this.fin || this.#socket.destroyed ? 'fin' : 'open';
  }

  #data(chunk: Buffer): void {
    const pending = this.#pending;
    if (!pending) {
      this.unsolicitedBytes += chunk.length;
      if (this.unsolicitedBytes > 64 * 1024) this.destroy();
      return;
    }
    try {
      const head = pending.reader.push(chunk);
      if (head === undefined) return;
      this.#pending = undefined;
      pending.resolve(head);
    } catch (error) {
      this.#pending = undefined;
      this.destroy();
      pending.reject(new ExchangeFailure('protocol', (error as Error).message, error));
    }
  }

  #ended(): void {
    this.#idleWake?.();
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    if (this.errorCode === undefined) {
      try {
        pending.resolve(pending.reader.end());
        return;
      } catch (error) {
        if (!(error instanceof ProtocolViolation)) throw error;
        if (pending.reader.head !== undefined) {
          pending.reject(new ExchangeFailure('protocol', error.message, error));
          return;
        }
      }
    }
    pending.reject(this.#endedFailure());
  }

  #endedFailure(): ExchangeFailure {
    if (this.errorCode !== undefined)
      return new ExchangeFailure('reset', `the connection was reset (${this.errorCode})`);
    return new ExchangeFailure('closed', 'the server closed the connection without a response');
  }
}
