/** Shared set-up for the plugin tests: temporary plugin folders with the permissions the loader demands. */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PublishedInstance, RequestContext } from '../../../src/engine/types.js';

/** The repository root, from test/unit/plugins (tsx) or dist/test/unit/plugins (compiled). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples', 'plugins', 'legacy-ticket.mjs'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const examplesDir = (): string => join(repoRoot(), 'examples', 'plugins');

const created: string[] = [];

/** A fresh 0755 folder holding `files` (name → source), each 0644. */
export async function pluginDir(files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-plugins-'));
  created.push(dir);
  await chmod(dir, 0o755);
  for (const [name, text] of Object.entries(files)) await writePlugin(dir, name, text);
  return dir;
}

export async function writePlugin(dir: string, name: string, text: string, mode = 0o644): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  // chmod after writing: writeFile's mode is filtered by the umask.
  await chmod(file, mode);
  return file;
}

/** A temporary copy of examples/plugins with deployment permissions (0755 folder, 0644 files). */
export async function examplesCopy(): Promise<string> {
  const dir = await pluginDir();
  for (const name of await readdir(examplesDir())) {
    await copyFile(join(examplesDir(), name), join(dir, name));
    await chmod(join(dir, name), 0o644);
  }
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(created.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export const NOW = new Date('2025-06-01T12:00:00.000Z');

export function instance(name = 'legacy-bridge'): PublishedInstance {
  return {
    id: 'inst-1',
    config: { name, transforms: [], persistIssuedTokens: true },
    createdAt: NOW,
    updatedAt: NOW,
  };
}

export function request(): RequestContext {
  return { caller: null, clientAddress: '192.0.2.10', door: 'graphql' };
}

/** A plugin's module source for tests: `export default <json-ish source>`. */
export const moduleOf = (exported: string): string => `export default ${exported};\n`;

/**
 * callWithTimeout unrefs its timer (a server's sockets keep the process alive); in a test nothing else does, so
 * a never-settling plugin would let the event loop drain before the timeout fires. This holds it open meanwhile.
 */
export async function keepingAlive<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}
