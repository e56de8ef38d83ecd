/**
 * The most recent attempt latencies of one upstream, in a fixed ring (O(1) memory whatever
 * the traffic), and a percentile of them. The percentile is recomputed at most once per
 * `refreshEvery` new samples, so reading it per call costs a comparison.
 */
export class LatencyWindow {
  readonly #ring: Float64Array;
  #size = 0;
  #next = 0;
  #sinceRefresh = 0;
  readonly #refreshEvery: number;
  readonly #cache = new Map<number, number>();

  /**
   * @param capacity samples kept (the oldest is overwritten). @default 1000
   * @param refreshEvery new samples between two recomputations of a percentile. @default 50
   */
  constructor(capacity = 1_000, refreshEvery = 50) {
    this.#ring = new Float64Array(capacity);
    this.#refreshEvery = refreshEvery;
  }

  /** Samples held. */
  get size(): number {
    return this.#size;
  }

  /** Record one latency in ms. */
  add(ms: number): void {
    this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#ring.length;
    if (this.#size < this.#ring.length) this.#size++;
    if (++this.#sinceRefresh >= this.#refreshEvery) {
      this.#sinceRefresh = 0;
      this.#cache.clear();
    }
  }

  /** The p-th percentile (0…100, nearest rank) of the samples held; undefined when there are none. */
  percentile(p: number): number | undefined {
    if (this.#size === 0) return undefined;
    let value = this.#cache.get(p);
    if (value === undefined) {
      const sorted = this.#ring.slice(0, this.#size).sort();
      const rank = Math.min(this.#size - 1, Math.max(0, Math.ceil((p / 100) * this.#size) - 1));
      value = sorted[rank]!;
      this.#cache.set(p, value);
    }
    return value;
  }
}
