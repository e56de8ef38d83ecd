import { describe, expect, it } from 'vitest';
import { fitWidth, paint, plainLive } from './live.ts';

describe('live view', () => {
  it('cuts rows to the terminal width without counting or cutting ANSI colours', () => {
    const p = paint(true);
    const line = `${p.green('steady-axios')} ok 12`;
    expect(fitWidth(line, 100)).toBe(line);
    expect(fitWidth(line, 6)).toBe(`\u001b[32msteady\u001b[39m`);
  });

  it('prints plain lines (title, notes, final rows) when not on a terminal', () => {
    let out = '';
    const live = plainLive((text) => (out += text));
    let n = 0;
    live.beginAct('Act 1', () => [`row ${++n}`]);
    live.note('event');
    live.endAct();
    expect(out).toBe('\nAct 1\nevent\nrow 1\n');
    expect(paint(false).red('x')).toBe('x');
  });
});
