import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startFaultServer, type FaultServer } from '@steady/fault-server';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from './telemetry.ts';

const example = fileURLToPath(new URL('../examples/prometheus.ts', import.meta.url));
let child: ChildProcess | undefined;
let server: FaultServer | undefined;

afterEach(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
  await server?.close();
});

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  await once(probe, 'close');
  return port;
}

describe('the README example (examples/prometheus.ts)', () => {
  it('serves Steady metrics on /metrics for Prometheus, then shuts down on SIGTERM', async () => {
    server = await startFaultServer({ routes: { '/health': [{ status: 503 }, { status: 200 }] } });
    const port = await freePort();
    child = spawn(process.execPath, ['--conditions=steady-source', example], {
      env: { ...process.env, PAYMENTS_ORIGIN: server.url, METRICS_PORT: String(port), INTERVAL_MS: '20' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let text = '';
    await eventually(async () => {
      try {
        text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      } catch {
        return false;
      }
      return /steady_client_call_duration_count\{[^}]*steady_upstream="payments"[^}]*\} [1-9]/.test(text);
      // A child process starting on a busy machine: up to 40 s.
    }, 2_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- stderr:\n${stderr}\n--- last /metrics:\n${text}`);
    });
    expect(text).toMatch(/steady_client_events_total\{[^}]*steady_event="retry"[^}]*\} 1/);
    expect(text).toMatch(/http_client_open_connections\{[^}]*http_connection_state="idle"/);
    expect(text).toMatch(/steady_client_breaker_state\{[^}]*steady_breaker_state="closed"[^}]*\} 1/);
    expect(text).toMatch(/steady_client_retry_budget_available\{/);
    expect(text).toMatch(/steady_client_pool_sockets_opened_total\{/);
    expect(text).not.toContain('/health');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  }, 60_000);
});
