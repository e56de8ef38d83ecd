import { describe, expect, it } from 'vitest';
import { summarizeIdle, type RungResult } from './idle-ladder.ts';

const rung = (idleMs: number, outcome: RungResult['outcome'], detail: string | null = null): RungResult => ({
  idleMs,
  outcome,
  detail,
});

describe('summarizeIdle', () => {
  it('the first failing rung decides; the alive rung below it bounds the timeout', () => {
    expect(
      summarizeIdle([rung(60, 'reset', 'rst'), rung(30, 'alive'), rung(45, 'alive'), rung(90, 'hang')]),
    ).toMatchObject({
      aliveUpToMs: 45,
      closedByMs: 60,
      mode: 'silent',
      silentHow: 'rst',
    });
    expect(summarizeIdle([rung(1, 'alive'), rung(2, 'hang')])).toMatchObject({ mode: 'silent', silentHow: 'hang' });
    expect(summarizeIdle([rung(1, 'alive'), rung(2, 'closed', 'fin')])).toMatchObject({ mode: 'fin', silentHow: null });
  });

  it('every rung alive: mode none, aliveUpTo the longest rung', () => {
    expect(summarizeIdle([rung(1, 'alive'), rung(2, 'alive')])).toMatchObject({
      aliveUpToMs: 2,
      closedByMs: null,
      mode: 'none',
    });
  });

  it('failed at the first rung: aliveUpTo null', () => {
    expect(summarizeIdle([rung(1, 'closed', 'rst'), rung(2, 'closed', 'fin')])).toMatchObject({
      aliveUpToMs: null,
      closedByMs: 1,
      mode: 'fin',
    });
  });

  it('ignores rungs that could not be measured, and an alive rung above the first failure', () => {
    const summary = summarizeIdle([
      rung(1, 'alive'),
      rung(2, 'error', 'connect timed out'),
      rung(5, 'reset'),
      rung(10, 'alive'),
    ]);
    expect(summary).toMatchObject({ aliveUpToMs: 1, closedByMs: 5, mode: 'silent' });
    expect(summary.rungs.map((r) => r.idleMs)).toEqual([1, 2, 5, 10]);
    expect(summarizeIdle([rung(1, 'error', 'x')])).toMatchObject({ aliveUpToMs: null, closedByMs: null, mode: 'none' });
  });
});
