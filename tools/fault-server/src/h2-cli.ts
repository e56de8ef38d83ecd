/**
 * Run {@link startH2Server} as a child process (see {@link spawnH2Server}): prints one JSON
 * ready line `{ url, port, pid }`, answers IPC messages `{ id, cmd: 'counters' | 'restart' |
 * 'reset' }` with `{ id, result }`, and exits when its parent goes away (IPC disconnect).
 *
 *   node h2-cli.ts [--h2c] [--port N]
 */
import { startH2Server } from './h2-server.ts';

const argv = process.argv.slice(2);
const portAt = argv.indexOf('--port');
const server = await startH2Server({
  tls: !argv.includes('--h2c'),
  port: portAt === -1 ? 0 : Number(argv[portAt + 1]),
});
process.on('message', (message: { id: number; cmd: string; gap?: number }) => {
  const reply = (result: unknown): void => {
    process.send?.({ id: message.id, result });
  };
  if (message.cmd === 'counters') reply(server.counters());
  else if (message.cmd === 'reset') reply(server.resetCounters());
  else if (message.cmd === 'restart') void server.restart(message.gap).then(() => reply(null));
});
process.on('disconnect', () => {
  void server.close().finally(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ url: server.url, port: server.port, pid: process.pid })}\n`);
