/** Tracks the peak resident set size of the process (MiB), sampled at the points the caller chooses. */
export class PeakMemory {
  #peakBytes = 0;

  /** Records the current resident set size. */
  sample(): void {
    const rss = process.memoryUsage().rss;
    if (rss > this.#peakBytes) this.#peakBytes = rss;
  }

  /** The largest resident set size seen, in MiB. */
  get peakMiB(): number {
    return this.#peakBytes / 2 ** 20;
  }
}
