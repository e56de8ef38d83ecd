/** What {@link captureWarnings} has seen, and how to stop listening. */
export interface CapturedWarnings {
  /** The names of the process warnings emitted since the capture started (e.g. `TimeoutOverflowWarning`). */
  readonly names: string[];
  /** Stop listening (idempotent). */
  stop(): void;
}

/** Record the names of process warnings from now on, so a test can assert that one was (not) emitted. */
export function captureWarnings(): CapturedWarnings {
  const names: string[] = [];
  const listener = (warning: Error) => names.push(warning.name);
  process.on('warning', listener);
  return { names, stop: () => void process.off('warning', listener) };
}
