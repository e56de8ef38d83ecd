import { startFaultServer } from './fault-server.ts';

/**
 * An `http://127.0.0.1:<port>` origin nothing listens on: a real server's port, closed again, so
 * connecting to it is refused (`ECONNREFUSED`) — a dead upstream for failure-path tests.
 */
export async function deadOrigin(): Promise<string> {
  const server = await startFaultServer();
  const url = server.url;
  await server.close();
  return url;
}
