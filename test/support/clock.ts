/**
 * The server's one clock, for tests that need time to pass: real time plus an offset, so a test waits for
 * nothing. Hand it to startServer({ clock }); everything that reads time in the server — the engine, token kinds,
 * sessions, the key store, the audit trail — reads it. Independent verifiers (PyJWT, xmlsec1) read the real
 * clock, so a test shifts time only around the steps that need it (`during`).
 */
import type { Clock } from '../../src/engine/types.js';

export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Runs `fn` with the server's time shifted by `ms` (negative: in the past), then puts it back. */
  async during<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    const before = this.offsetMs;
    this.offsetMs = before + ms;
    try {
      return await fn();
    } finally {
      this.offsetMs = before;
    }
  }
}
