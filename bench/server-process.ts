/**
 * Tessera in its own process, started the way a deployment starts it (`node dist/src/main.js`, configured by
 * the environment), so the load generator's CPU is not the server's and a multi-process server is measured
 * the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const MAIN_JS = fileURLToPath(new URL('../src/main.js', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  pid: number;
  /** performance.now() when the process was spawned (a CPU profile's clock starts about then). */
  spawnedAt: number;
  /** CPU seconds (user + system, all threads) the server process has used so far; NaN where /proc is absent. */
  cpuSeconds(): number;
  /** Resident set in bytes of the process and of each of its worker processes (the primary first). */
  rssPerProcess(): number[];
  /** Output the server wrote to stderr (warnings and errors), for the report when something fails. */
  stderr(): string;
  stop(): Promise<void>;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function ownCpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

/** Child processes of `pid` (the worker processes of a node:cluster server). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident set of one process in bytes (VmRSS), or NaN when it is gone. */
function rssOf(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU of the server process and its worker processes (live ones; a worker that exited is not counted). */
function procCpuSeconds(pid: number): number {
  try {
    let ticks = ownCpuTicks(pid);
    for (const child of childPids(pid)) {
      try {
        ticks += ownCpuTicks(child);
      } catch {
        /* exited meanwhile */
      }
    }
    return ticks / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

export async function startServerProcess(opts: {
  databaseUrl: string;
  adminPassword: string;
  masterKey: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
}): Promise<ServerProcess> {
  return startProcess({
    script: MAIN_JS,
    nodeArgs: opts.nodeArgs,
    startTimeoutMs: opts.startTimeoutMs,
    name: 'Tessera',
    env: {
      TESSERA_DATABASE_URL: opts.databaseUrl,
      TESSERA_DEMO: 'false',
      TESSERA_ADMIN_PASSWORD: opts.adminPassword,
      TESSERA_MASTER_KEY: opts.masterKey,
      ...opts.env,
    },
  });
}

/**
 * A server script in its own process (Tessera, or a peer under bench/peers/), given PORT and HOST, ready once
 * it prints "serving on <url>". Its stdout (log lines, one audit line per translation at the default level)
 * is read and discarded, as a log collector would read it.
 */
export async function startProcess(opts: {
  script: string;
  name: string;
  nodeArgs?: string[];
  env?: Record<string, string>;
  startTimeoutMs?: number;
}): Promise<ServerProcess> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.script], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let serving = false;
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err = (err + c).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${opts.name} did not report "serving" within ${timeoutMs} ms\n${err}`)), timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      if (serving) return;
      out = (out + c).slice(-20_000);
      const m = /serving on (http:\/\/\S+)/.exec(out);
      if (m) {
        serving = true;
        out = '';
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${opts.name} exited with code ${code} before serving\n${err}`));
    });
  });
  const pid = child.pid!;
  return {
    url,
    pid,
    spawnedAt,
    cpuSeconds: () => procCpuSeconds(pid),
    rssPerProcess: () => [rssOf(pid), ...childPids(pid).map(rssOf)].filter((x) => Number.isFinite(x)),
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(t);
    },
  };
}
