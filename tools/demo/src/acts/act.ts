/**
 * What every act receives and returns, plus the helpers they share.
 */
import type { Upstream } from '@steady/core';
import type { DemoOptions } from '../args.ts';
import { CLIENT_NAMES, demoClients, isSteady } from '../clients.ts';
import type { ClientName, DemoClient } from '../clients.ts';
import type { Live, Paint } from '../live.ts';
import type { SteadyApp } from '../nest-app.ts';
import { newTally } from '../outcome.ts';
import type { Tally } from '../outcome.ts';

/** Everything an act needs. */
export interface ActContext {
  options: DemoOptions;
  live: Live;
  paint: Paint;
  app: SteadyApp;
}

/** Fields every act's summary has. */
export interface ActSummaryBase {
  /** Act number, 1…5. */
  act: number;
  title: string;
  durationMs: number;
  /** Per-client counts. */
  clients: Record<ClientName, Tally>;
  /** Whether Steady's clients did what the act shows they do. */
  steadyHeld: boolean;
  /** One line saying what happened. */
  verdict: string;
}

/** The five clients for upstream `name`. */
export function clientsFor(ctx: ActContext, name: string): DemoClient[] {
  return demoClients(ctx.app.clients(name), ctx.app.upstream(name).origin);
}

/** A fresh tally per client. */
export function newTallies(): Record<ClientName, Tally> {
  return Object.fromEntries(CLIENT_NAMES.map((name) => [name, newTally()])) as Record<ClientName, Tally>;
}

/** Sleep `ms` (never longer). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Clamp `value` into `min…max` and round it. */
export function clamp(value: number, min: number, max: number): number {
  return Math.round(Math.min(max, Math.max(min, value)));
}

/** The most frequent failure codes of a tally, e.g. `ECONNRESET×3`. */
export function topErrors(tally: Tally, count = 2): string {
  return Object.entries(tally.errors)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
}

/** One live row: name, ok, failed, the main failure codes and an optional extra column. */
export function clientRow(paint: Paint, name: ClientName, tally: Tally, extra = ''): string {
  const label = isSteady(name) ? paint.green(name.padEnd(13)) : name.padEnd(13);
  const failed = String(tally.failed).padStart(5);
  return `  ${label} ok ${String(tally.ok).padStart(5)}  failed ${tally.failed > 0 ? paint.red(failed) : failed}  ${extra}${topErrors(tally)}`;
}

/** Seconds with one decimal. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The live gauges of a Steady upstream: pool sockets, calls in flight, breaker state. */
export function steadyGauges(upstream: Upstream): string {
  const stats = upstream.stats();
  const breaker = (stats.breaker as { state?: string } | null)?.state ?? 'off';
  return `Steady pool ${stats.pool.socketsOpen}/${stats.pool.connections} sockets · ${stats.inFlight} in flight · breaker ${breaker}`;
}
