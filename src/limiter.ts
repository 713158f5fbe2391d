/**
 * A first-come first-served limit on work in flight, without promises of its own (it sits on hot paths:
 * every signature goes through one). `enter(start)` runs `start` now when fewer than `limit` are in flight,
 * else when a slot frees, in order; the work calls `leave()` exactly once when it ends, which hands its slot
 * to the next in line. Used for signatures on the thread pool (keys/pool-sign.ts) and password derivations
 * (identity/password.ts).
 */
export class FifoLimiter {
  private running = 0;
  private readonly waiting: Array<(() => void) | undefined> = [];
  private head = 0;

  constructor(readonly limit: number) {}

  enter(start: () => void): void {
    if (this.running < this.limit) {
      this.running++;
      start();
    } else {
      this.waiting.push(start);
    }
  }

  leave(): void {
    if (this.head < this.waiting.length) {
      // The slot passes to the next in line: the count never goes past the limit.
      const next = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      if (this.head === this.waiting.length) {
        this.waiting.length = 0;
        this.head = 0;
      }
      next();
    } else {
      this.running--;
    }
  }

  /** In flight and waiting (for tests and diagnostics). */
  load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length - this.head };
  }
}
