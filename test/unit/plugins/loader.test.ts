import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { assertPluginDirSafe, loadPlugins, PluginLoadError } from '../../../src/plugins/loader.js';
import { examplesCopy, moduleOf, pluginDir, removeTempDirs, writePlugin } from './helpers.js';

after(removeTempDirs);

const quiet = (): void => {};
const SAML = (name: string, statement = 'conditions') =>
  `{ kind: 'saml2-statement', statement: '${statement}', name: '${name}', provide: (ctx) => ctx.defaults }`;
const VALIDATOR = (t: string) => `{ kind: 'token-validator', tokenType: '${t}', validate: () => ({ subject: 'a' }) }`;
const PROVIDER = (t: string) => `{ kind: 'token-provider', tokenType: '${t}', issue: () => ({ token: 't' }) }`;

/** Asserts loadPlugins refuses `dir` with a PluginLoadError naming `file` (and each of `mentions`). */
async function refuses(dir: string, file: string, ...mentions: Array<string | RegExp>): Promise<void> {
  await assert.rejects(loadPlugins(dir, quiet), (err: unknown) => {
    assert.ok(err instanceof PluginLoadError, `expected PluginLoadError, got ${String(err)}`);
    assert.ok(err.message.includes(file), `message does not name ${file}: ${err.message}`);
    assert.equal(err.file, file);
    for (const m of mentions) {
      if (typeof m === 'string') assert.ok(err.message.includes(m), `message lacks "${m}": ${err.message}`);
      else assert.match(err.message, m);
    }
    return true;
  });
}

describe('loadPlugins: the examples folder', () => {
  it('loads every example, logs each file with its SHA-256 and ignores the README', async () => {
    const dir = await examplesCopy();
    const lines: Array<Record<string, unknown>> = [];
    const loaded = await loadPlugins(dir, (l) => lines.push(l));

    assert.deepEqual(
      loaded.samlPlugins.map((p) => `${p.statement}:${p.name}`).sort(),
      [
        'attributeStatements:static-tenant-attribute',
        'authenticationStatements:session-index-authn',
        'authorizationDecisionStatements:staff-admin-authz',
        'conditions:one-time-use-conditions',
        'subject:email-name-id',
      ],
    );
    assert.deepEqual(loaded.validators.map((v) => v.tokenType), ['LEGACY_TICKET']);
    assert.deepEqual(loaded.providers.map((p) => p.tokenType), ['LEGACY_TICKET']);

    assert.equal(loaded.files.length, 6);
    assert.ok(loaded.files.every((f) => f.file.endsWith('.mjs')), 'README.md must not be loaded');
    for (const f of loaded.files) {
      const expected = createHash('sha256').update(await readFile(f.file)).digest('hex');
      assert.equal(f.sha256, expected, f.file);
    }
    const ticket = loaded.files.find((f) => f.file.endsWith('legacy-ticket.mjs'));
    assert.deepEqual(ticket?.plugins, ['token-validator:LEGACY_TICKET', 'token-provider:LEGACY_TICKET']);

    assert.equal(lines.length, 6);
    for (const f of loaded.files) {
      assert.ok(lines.some((l) => l.file === f.file && l.sha256 === f.sha256 && l.event === 'plugin.loaded'));
    }
  });
});

describe('loadPlugins: folder rules', () => {
  it('loads an empty folder', async () => {
    const loaded = await loadPlugins(await pluginDir(), quiet);
    assert.deepEqual(loaded, { samlPlugins: [], validators: [], providers: [], files: [] });
  });

  it('refuses a folder that does not exist', async () => {
    const dir = join(await pluginDir(), 'missing');
    await refuses(dir, dir, 'cannot read');
  });

  it('refuses a group-writable folder', async () => {
    const dir = await pluginDir({ 'a.mjs': moduleOf(SAML('a')) });
    await chmod(dir, 0o775);
    await refuses(dir, dir, 'writable by group or others', '0775');
  });

  it('refuses an other-writable folder', async () => {
    const dir = await pluginDir();
    await chmod(dir, 0o757);
    await refuses(dir, dir, 'writable by group or others');
    await assert.rejects(assertPluginDirSafe(dir), PluginLoadError);
  });

  it('accepts a 0700 folder (assertPluginDirSafe)', async () => {
    const dir = await pluginDir();
    await chmod(dir, 0o700);
    await assertPluginDirSafe(dir);
  });

  it('refuses a group-writable module file', async () => {
    const dir = await pluginDir({ 'a.mjs': moduleOf(SAML('a')) });
    const file = await writePlugin(dir, 'b.mjs', moduleOf(SAML('b')), 0o664);
    await refuses(dir, file, 'writable by group or others', '0664');
  });

  it('refuses a world-writable module file reached through a symlink', async () => {
    const dir = await pluginDir();
    const elsewhere = await pluginDir();
    const target = await writePlugin(elsewhere, 'real.mjs', moduleOf(SAML('a')), 0o646);
    await symlink(target, join(dir, 'linked.mjs'));
    await refuses(dir, join(dir, 'linked.mjs'), 'writable by group or others');
  });

  it('refuses a dangling symlink named like a module', async () => {
    const dir = await pluginDir();
    await symlink(join(dir, 'gone.mjs'), join(dir, 'dangling.mjs'));
    await refuses(dir, join(dir, 'dangling.mjs'), 'cannot be read');
  });

  it('loads only .mjs files (and no subfolders, dot files or other extensions) when there is no package.json', async () => {
    const dir = await pluginDir({
      'a.mjs': moduleOf(SAML('a')),
      'b.js': moduleOf(SAML('b')),
      'c.cjs': 'module.exports = 1;',
      'notes.txt': 'not code',
      '._a.mjs': 'garbage that would not parse {',
    });
    await mkdir(join(dir, 'sub'), { mode: 0o755 });
    await writePlugin(join(dir, 'sub'), 'd.mjs', moduleOf(SAML('d')));
    const loaded = await loadPlugins(dir, quiet);
    assert.deepEqual(loaded.samlPlugins.map((p) => p.name), ['a']);
  });

  it('loads .js files when the folder package.json has "type": "module"', async () => {
    const dir = await pluginDir({
      'package.json': JSON.stringify({ type: 'module' }),
      'a.mjs': moduleOf(SAML('a')),
      'b.js': moduleOf(SAML('b')),
    });
    const loaded = await loadPlugins(dir, quiet);
    assert.deepEqual(loaded.samlPlugins.map((p) => p.name), ['a', 'b']);
  });

  it('ignores .js files when package.json is not "type": "module"', async () => {
    const dir = await pluginDir({ 'package.json': JSON.stringify({ type: 'commonjs' }), 'b.js': 'module.exports = {};' });
    assert.deepEqual((await loadPlugins(dir, quiet)).files, []);
  });

  it('refuses an unparseable or group-writable package.json', async () => {
    const bad = await pluginDir({ 'package.json': '{ type: module' });
    await refuses(bad, join(bad, 'package.json'), 'not valid JSON');
    const writable = await pluginDir();
    const pkg = await writePlugin(writable, 'package.json', JSON.stringify({ type: 'module' }), 0o666);
    await refuses(writable, pkg, 'writable by group or others');
  });

  it('re-evaluates a module whose bytes changed (the import URL carries the hash)', async () => {
    const dir = await pluginDir({ 'a.mjs': moduleOf(SAML('first')) });
    const one = await loadPlugins(dir, quiet);
    await writePlugin(dir, 'a.mjs', moduleOf(SAML('second')));
    const two = await loadPlugins(dir, quiet);
    assert.equal(one.samlPlugins[0]?.name, 'first');
    assert.equal(two.samlPlugins[0]?.name, 'second');
    assert.notEqual(one.files[0]?.sha256, two.files[0]?.sha256);
  });
});

describe('loadPlugins: modules that fail to load', () => {
  it('refuses a module with a syntax error', async () => {
    const dir = await pluginDir();
    const file = await writePlugin(dir, 'broken.mjs', 'export default { kind: ;\n');
    await refuses(dir, file, 'failed to load');
  });

  it('refuses a module whose evaluation throws', async () => {
    const dir = await pluginDir();
    const file = await writePlugin(dir, 'throws.mjs', "throw new Error('no database');\nexport default [];\n");
    await refuses(dir, file, 'failed to load', 'no database');
  });

  it('refuses a module importing a package that does not exist', async () => {
    const dir = await pluginDir();
    const file = await writePlugin(dir, 'dep.mjs', "import 'tessera-no-such-package';\nexport default [];\n");
    await refuses(dir, file, 'failed to load');
  });

  it('refuses a module whose top-level await never settles, after the import timeout', async () => {
    const dir = await pluginDir();
    const file = await writePlugin(dir, 'hang.mjs', 'await new Promise(() => {});\nexport default [];\n');
    const started = Date.now();
    await assert.rejects(loadPlugins(dir, quiet, { importTimeoutMs: 50 }), (err: unknown) => {
      assert.ok(err instanceof PluginLoadError);
      assert.ok(err.message.includes(file) && err.message.includes('50 ms'), err.message);
      return true;
    });
    assert.ok(Date.now() - started < 2000);
  });

  it('refuses a module without a default export', async () => {
    const dir = await pluginDir();
    const file = await writePlugin(dir, 'named.mjs', `export const plugin = ${SAML('a')};\n`);
    await refuses(dir, file, 'no default export');
  });
});

describe('loadPlugins: malformed plugins', () => {
  const cases: Array<[string, string, string | RegExp]> = [
    ['not an object', '42', 'not a plugin object'],
    ['null', 'null', 'not a plugin object'],
    ['an array inside the array', '[[]]', 'not a plugin object'],
    ['unknown kind', "{ kind: 'saml2-assertion', name: 'x', provide() {} }", /kind "saml2-assertion" is not one of/],
    ['missing kind', "{ name: 'x', provide() {} }", 'kind undefined'],
    ['SAML: unknown statement kind', "{ kind: 'saml2-statement', statement: 'advice', name: 'x', provide() {} }", 'statement "advice"'],
    ['SAML: no statement', "{ kind: 'saml2-statement', name: 'x', provide() {} }", 'statement undefined'],
    ['SAML: no name', "{ kind: 'saml2-statement', statement: 'subject', provide() {} }", 'name undefined'],
    ['SAML: upper-case name', "{ kind: 'saml2-statement', statement: 'subject', name: 'Mail', provide() {} }", 'name "Mail"'],
    ['SAML: name too long', `{ kind: 'saml2-statement', statement: 'subject', name: '${'a'.repeat(65)}', provide() {} }`, 'must match'],
    ['SAML: no provide', "{ kind: 'saml2-statement', statement: 'subject', name: 'x' }", 'no provide() function'],
    ['SAML: provide not a function', "{ kind: 'saml2-statement', statement: 'subject', name: 'x', provide: 'yes' }", 'no provide() function'],
    ['SAML: description not a string', "{ kind: 'saml2-statement', statement: 'subject', name: 'x', description: 1, provide() {} }", 'description'],
    ['validator: lower-case token type', "{ kind: 'token-validator', tokenType: 'legacy', validate() {} }", 'tokenType "legacy"'],
    ['validator: token type too long', `{ kind: 'token-validator', tokenType: 'A${'B'.repeat(32)}', validate() {} }`, 'must match'],
    ['validator: no token type', "{ kind: 'token-validator', validate() {} }", 'tokenType undefined'],
    ['validator: no validate', "{ kind: 'token-validator', tokenType: 'LEGACY' }", 'no validate() function'],
    ['provider: bad token type', "{ kind: 'token-provider', tokenType: '1TICKET', issue() {} }", 'tokenType "1TICKET"'],
    ['provider: no issue', "{ kind: 'token-provider', tokenType: 'LEGACY', validate() {} }", 'no issue() function'],
  ];
  for (const [title, exported, mention] of cases) {
    it(`refuses ${title}`, async () => {
      const dir = await pluginDir({ 'fine.mjs': moduleOf(SAML('fine')) });
      const file = await writePlugin(dir, 'plugin.mjs', moduleOf(exported));
      await refuses(dir, file, mention);
    });
  }

  for (const reserved of ['SAML2', 'OPENAM', 'CUSTOM', 'USERNAME', 'SESSION', 'X509', 'OPENIDCONNECT']) {
    it(`refuses the reserved token type ${reserved}`, async () => {
      const dir = await pluginDir();
      const file = await writePlugin(dir, 'reserved.mjs', moduleOf(VALIDATOR(reserved)));
      await refuses(dir, file, `tokenType ${reserved} is a built-in token type name`);
    });
  }

  it('refuses a SAML plugin named like a built-in (default-…)', async () => {
    const dir = await pluginDir();
    const file = await writePlugin(dir, 'shadow.mjs', moduleOf(SAML('default-conditions')));
    await refuses(dir, file, 'reserved for built-in plugins');
  });
});

describe('loadPlugins: names and token types', () => {
  it('refuses two SAML plugins with one name in two files, naming both', async () => {
    const dir = await pluginDir({ 'a.mjs': moduleOf(SAML('mail-subject', 'subject')) });
    const second = await writePlugin(dir, 'b.mjs', moduleOf(SAML('mail-subject', 'conditions')));
    await refuses(dir, second, 'SAML plugin name "mail-subject"', join(dir, 'a.mjs'));
  });

  it('refuses two SAML plugins with one name in one file', async () => {
    const dir = await pluginDir();
    const file = await writePlugin(dir, 'a.mjs', moduleOf(`[${SAML('x')}, ${SAML('x', 'subject')}]`));
    await refuses(dir, file, 'twice in this file');
  });

  it('refuses two validators for one token type', async () => {
    const dir = await pluginDir({ 'a.mjs': moduleOf(VALIDATOR('LEGACY_TICKET')) });
    const second = await writePlugin(dir, 'b.mjs', moduleOf(VALIDATOR('LEGACY_TICKET')));
    await refuses(dir, second, 'token validator for LEGACY_TICKET', join(dir, 'a.mjs'));
  });

  it('refuses two providers for one token type', async () => {
    const dir = await pluginDir({ 'a.mjs': moduleOf(PROVIDER('LEGACY_TICKET')) });
    const second = await writePlugin(dir, 'b.mjs', moduleOf(PROVIDER('LEGACY_TICKET')));
    await refuses(dir, second, 'token provider for LEGACY_TICKET');
  });

  it('loads a validator and a provider for one token type as a pair (separate files)', async () => {
    const dir = await pluginDir({ 'in.mjs': moduleOf(VALIDATOR('PARTNER')), 'out.mjs': moduleOf(PROVIDER('PARTNER')) });
    const loaded = await loadPlugins(dir, quiet);
    assert.deepEqual(loaded.validators.map((v) => v.tokenType), ['PARTNER']);
    assert.deepEqual(loaded.providers.map((p) => p.tokenType), ['PARTNER']);
  });

  it('loads a validator and a provider for one token type as a pair (one file)', async () => {
    const dir = await pluginDir({ 'both.mjs': moduleOf(`[${VALIDATOR('PARTNER')}, ${PROVIDER('PARTNER')}]`) });
    const loaded = await loadPlugins(dir, quiet);
    assert.equal(loaded.validators.length + loaded.providers.length, 2);
  });

  it('keeps a frozen copy: renaming the exported object later changes nothing, and methods keep `this`', async () => {
    const dir = await pluginDir({
      'a.mjs': `const p = { kind: 'saml2-statement', statement: 'subject', name: 'stable', value: 'v',
        provide() { return { nameId: { value: this.value } }; } };
        export default p;
        export function rename() { p.name = 'changed'; p.value = 'w'; }\n`,
    });
    const loaded = await loadPlugins(dir, quiet);
    const plugin = loaded.samlPlugins[0]!;
    // The same URL the loader used, so this is the very module instance it evaluated.
    const url = `${pathToFileURL(loaded.files[0]!.file).href}?sha256=${loaded.files[0]!.sha256}`;
    const mod = (await import(url)) as { rename(): void };
    mod.rename();
    assert.equal(plugin.name, 'stable');
    assert.ok(Object.isFrozen(plugin));
    const result = await plugin.provide({} as never);
    assert.deepEqual(result, { nameId: { value: 'w' } });
  });
});
