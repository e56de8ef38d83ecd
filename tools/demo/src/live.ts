/**
 * The live view. On a terminal a block of lines is redrawn in place with ANSI cursor
 * moves; elsewhere (a pipe, CI) the same information comes as plain lines; with
 * `--json` nothing is printed at all.
 */

/** Where the demo reports progress. */
export interface Live {
  /** Start an act: print its title, then keep `frame()` (the live rows) on screen. */
  beginAct(title: string, frame: () => string[]): void;
  /** Print a line above the live rows (an event, e.g. a breaker state change). */
  note(line: string): void;
  /** End the act: replace the live rows with their final version. */
  endAct(): void;
  /** Print lines outside any act. */
  print(lines: string[]): void;
  /** Stop redrawing and restore the cursor; safe to call twice. */
  stop(): void;
}

/** Styling helpers; identity functions when colours are off. */
export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const ESC = '\u001b[';

/** ANSI colours on a terminal, plain text elsewhere. */
export function paint(enabled: boolean): Paint {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `${ESC}${open}m${text}${ESC}${close}m` : text;
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39) };
}

/** Nothing at all (`--json`). */
export function silentLive(): Live {
  return { beginAct() {}, note() {}, endAct() {}, print() {}, stop() {} };
}

/** Plain lines: the title, each note, then the final rows of each act. */
export function plainLive(write: (text: string) => void): Live {
  let frame: (() => string[]) | undefined;
  return {
    beginAct(title, next) {
      frame = next;
      write(`\n${title}\n`);
    },
    note: (line) => write(`${line}\n`),
    endAct() {
      if (frame) write(`${frame().join('\n')}\n`);
      frame = undefined;
    },
    print: (lines) => write(`${lines.join('\n')}\n`),
    stop() {},
  };
}

/**
 * Cut `line` to `width` visible characters (ANSI sequences cost nothing): a wrapped row
 * would break the cursor arithmetic of the redraw.
 */
export function fitWidth(line: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\u001b') {
      const end = line.indexOf('m', i);
      if (end !== -1) {
        out += line.slice(i, end + 1);
        i = end;
        continue;
      }
    }
    if (visible >= width) continue;
    out += line[i];
    visible++;
  }
  return out;
}

/** Redraw the live rows in place every `intervalMs`; `columns()` is the terminal width. */
export function ttyLive(write: (text: string) => void, columns: () => number, intervalMs = 100): Live {
  let frame: (() => string[]) | undefined;
  let height = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const erase = (): void => {
    if (height > 0) write(`${ESC}${height}F${ESC}J`);
    height = 0;
  };
  const draw = (): void => {
    if (!frame) return;
    const width = Math.max(20, columns() - 1);
    const lines = frame().map((line) => fitWidth(line, width));
    erase();
    write(lines.map((line) => `${line}\n`).join(''));
    height = lines.length;
  };

  write(`${ESC}?25l`);
  return {
    beginAct(title, next) {
      frame = next;
      write(`\n${title}\n`);
      draw();
      timer = setInterval(draw, intervalMs);
    },
    note(line) {
      erase();
      write(`${line}\n`);
      draw();
    },
    endAct() {
      clearInterval(timer);
      draw();
      frame = undefined;
      height = 0;
    },
    print: (lines) => write(`${lines.join('\n')}\n`),
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      write(`${ESC}?25h`);
    },
  };
}
