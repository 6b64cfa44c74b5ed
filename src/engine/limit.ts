/** Runs at most `size` tasks at once; the rest queue in order. */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readLimiter: Limiter | undefined;

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new Error("concurrency must be at least 1");
  }

  /**
   * The bound for read-only observation: wider, so a no-op run reads every resource at once
   * (reads change nothing and AWS's read quotas are generous); serial stays serial.
   */
  get reads(): Limiter {
    this.readLimiter ??= this.size === 1 ? this : new Limiter(this.size * 4);
    return this.readLimiter;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}
