import { TesseraError } from '../engine/errors.js';

/**
 * Runs plugin code and bounds how long its promise may stay unsettled. A synchronous infinite loop cannot be
 * pre-empted in-process; this covers unsettled promises (API.md §6).
 */
export async function callWithTimeout<T>(fn: () => T | Promise<T>, ms: number, onTimeout: () => TesseraError): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref?.();
  });
  try {
    // Promise.resolve().then(fn) turns a synchronous throw into a rejection.
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
