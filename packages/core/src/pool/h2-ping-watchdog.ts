import type { Socket } from 'node:net';
import type { EventEmitter } from 'node:events';

/**
 * Finds an HTTP/2 peer that stopped answering without closing its connection (a paused or
 * partitioned process: no FIN, no RST, the kernel may even keep ACKing). undici sends a PING
 * every `pingInterval` ms on each HTTP/2 session and emits `ping` on the client when one is
 * acknowledged, but never gives up on an unanswered one; this watchdog does: when no PING
 * has been acknowledged for `max(2 × pingInterval, 1 000)` ms, the socket is destroyed, undici
 * fails what still runs on it (calls that are not ended by their deadline first) and the next
 * call opens a fresh connection.
 *
 * One unref'd timer per HTTP/2 connection; it stops when the socket closes.
 */
export function watchHttp2Connection(
  client: Pick<EventEmitter, 'on' | 'off'>,
  socket: Socket,
  pingInterval: number,
  onDead: () => void,
): void {
  const deadAfter = Math.max(2 * pingInterval, 1_000);
  let lastAck = Date.now();
  const onPing = (): void => {
    lastAck = Date.now();
  };
  const timer = setInterval(
    () => {
      if (socket.destroyed) return stop();
      if (Date.now() - lastAck < deadAfter) return;
      stop();
      onDead();
      socket.destroy(
        Object.assign(new Error(`HTTP/2 PING unanswered for ${deadAfter} ms`), { code: 'UND_ERR_SOCKET' }),
      );
    },
    Math.min(pingInterval, deadAfter / 4),
  );
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    client.off('ping', onPing);
    socket.off('close', stop);
  };
  client.on('ping', onPing);
  socket.once('close', stop);
}
