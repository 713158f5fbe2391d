/**
 * Event-loop priority over helper threads (Linux).
 *
 * A Tessera process has one event loop and several helper threads: libuv's pool (signatures, SQLite
 * statements) and V8's (garbage collection, compilation). When a request hands a signature to the pool, the
 * thread it wakes can preempt the event loop on the same core, and every other request then waits for the
 * event loop. Giving the helper threads a higher nice value lets the event loop keep its core while the
 * helpers use the others; with no competition for a core, nice changes nothing.
 *
 * Raising one's own nice value needs no privilege. Threads started later by the event loop (none on the hot
 * path) keep the default priority.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * Sets `nice` on every thread of this process but the event loop (a thread already nicer is left as it is);
 * returns how many threads it changed.
 */
export function lowerHelperThreadPriority(nice: number): number {
  if (nice === 0 || process.platform !== 'linux') return 0;
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  let changed = 0;
  for (const t of tids) {
    const tid = Number(t);
    if (!Number.isSafeInteger(tid) || tid === process.pid) continue;
    try {
      // On Linux setpriority(PRIO_PROCESS, tid) applies to that one thread. Never raise a priority.
      if (getPriority(tid) >= nice) continue;
      setPriority(tid, nice);
      changed++;
    } catch {
      // The thread ended meanwhile, or the system refused: the process works the same, only less evenly.
    }
  }
  return changed;
}
