/**
 * Counters over a sliding time window, kept in a fixed ring of time buckets so that memory
 * stays O(1) whatever the traffic. The window covered is between `window − window/buckets`
 * and `window` long: the oldest bucket is dropped whole.
 */
export class SlidingWindow<K extends string> {
  readonly #width: number;
  readonly #keys: readonly K[];
  readonly #epochs: number[];
  readonly #counts: Array<Record<K, number>>;
  readonly #sum: Record<K, number>;

  /**
   * @param window length of the window in ms.
   * @param keys names of the counters, e.g. `['calls', 'failures']`.
   * @param buckets how many buckets the window is cut into. @default 10
   */
  constructor(window: number, keys: readonly K[], buckets = 10) {
    this.#width = Math.max(1, window / buckets);
    this.#keys = keys;
    this.#epochs = Array.from({ length: buckets }, () => -Infinity);
    this.#counts = Array.from({ length: buckets }, () => this.#zero());
    this.#sum = this.#zero();
  }

  /** Add `n` to counter `key` in the current bucket. */
  add(key: K, n = 1, now: number = Date.now()): void {
    const epoch = Math.floor(now / this.#width);
    const index = epoch % this.#epochs.length;
    if (this.#epochs[index] !== epoch) {
      this.#drop(index);
      this.#epochs[index] = epoch;
    }
    this.#counts[index]![key] += n;
    this.#sum[key] += n;
  }

  /**
   * Sum of every counter over the window ending `now`. Kept up to date as counts are added,
   * so reading it allocates nothing: the returned object is a live, read-only view.
   */
  totals(now: number = Date.now()): Readonly<Record<K, number>> {
    const epoch = Math.floor(now / this.#width);
    const oldest = epoch - this.#epochs.length;
    for (let i = 0; i < this.#epochs.length; i++) {
      const e = this.#epochs[i]!;
      if (e !== -Infinity && (e <= oldest || e > epoch)) this.#drop(i);
    }
    return this.#sum;
  }

  /** Forget everything. */
  clear(): void {
    this.#epochs.fill(-Infinity);
    for (const counts of this.#counts) for (const k of this.#keys) counts[k] = 0;
    for (const k of this.#keys) this.#sum[k] = 0;
  }

  /** Take bucket `index` out of the sums and empty it. */
  #drop(index: number): void {
    const counts = this.#counts[index]!;
    for (const k of this.#keys) {
      this.#sum[k] -= counts[k];
      counts[k] = 0;
    }
    this.#epochs[index] = -Infinity;
  }

  #zero(): Record<K, number> {
    const zero = {} as Record<K, number>;
    for (const k of this.#keys) zero[k] = 0;
    return zero;
  }
}
