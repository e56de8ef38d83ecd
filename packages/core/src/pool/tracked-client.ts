import '../runtime/node-check.ts';
import type { Socket } from 'node:net';
import { Client, type Dispatcher } from 'undici';

/** What a pool's client knows of its current socket. */
export interface SocketState {
  /** The socket requests are written to, or null between connections. */
  socket: Socket | null;
  /** Requests started on the current socket so far. More than 0 means the socket is reused. */
  served: number;
}

/** A handler that wants to know which client (and socket) serves it. */
export interface ClientAware {
  attachClient(client: TrackedClient): void;
}

type ConnectFn = (
  options: Record<string, unknown>,
  callback: (error: Error | null, socket: Socket | null) => void,
) => void;

/** Hooks a pool's clients call as sockets open; they must be cheap. */
export interface SocketHooks {
  onSocketOpen(socket: Socket, client: TrackedClient): void;
}

/**
 * An undici `Client` (one connection with `pipelining: 1`) that remembers whether its
 * current socket has served requests before. The stale-socket replay uses it to tell a
 * reused keep-alive socket from a fresh one, and to replay on this same client, whose
 * socket has just died: the replay therefore opens a fresh connection and the pool never
 * holds more than `connections` sockets.
 */
export class TrackedClient extends Client {
  readonly socketState: SocketState = { socket: null, served: 0 };

  constructor(origin: URL, options: Client.Options & { connect: ConnectFn }, hooks: SocketHooks) {
    const base = options.connect;
    const state = { socket: null, served: 0 } as SocketState;
    const self: { client: TrackedClient | undefined } = { client: undefined };
    super(origin, {
      ...options,
      connect: ((connectOptions: Record<string, unknown>, callback: Parameters<ConnectFn>[1]) => {
        base(connectOptions, (error, socket) => {
          if (socket !== null && error === null) {
            state.socket = socket;
            state.served = 0;
            hooks.onSocketOpen(socket, self.client!);
          }
          callback(error, socket);
        });
      }) as unknown as Client.Options['connect'],
    });
    this.socketState = state;
    self.client = this;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    (handler as Partial<ClientAware>).attachClient?.(this);
    return super.dispatch(options, handler);
  }
}
