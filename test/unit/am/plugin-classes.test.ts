/**
 * The plugins' optional `amClassNames` (the PingAM classes a plugin stands in for): checked and frozen by the
 * loader, unique per role, carried into the registry's kinds and the SAML plugin registry, and so into what the
 * PingAM mapping resolves class names against (am/catalog.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadPlugins, PluginLoadError } from '../../../src/plugins/loader.js';
import { SamlPluginRegistry } from '../../../src/plugins/registry.js';
import { customTokenKinds } from '../../../src/plugins/custom-tokens.js';
import { TokenRegistry } from '../../../src/engine/registry.js';
import { amCatalog } from '../../../src/am/catalog.js';
import { pluginDir, removeTempDirs } from '../plugins/helpers.js';

after(removeTempDirs);

const quiet = (): void => {};
const module = (...plugins: string[]) => `export default [${plugins.join(',\n')}];`;
const validator = (type: string, classes: string) => `{ kind: 'token-validator', tokenType: '${type}', amClassNames: ${classes}, validate: () => ({ subject: 'a' }) }`;
const provider = (type: string, classes: string) => `{ kind: 'token-provider', tokenType: '${type}', amClassNames: ${classes}, issue: () => ({ token: 't' }) }`;
const saml = (name: string, statement: string, classes: string) =>
  `{ kind: 'saml2-statement', statement: '${statement}', name: '${name}', amClassNames: ${classes}, provide: (ctx) => ctx.defaults }`;

describe('amClassNames', () => {
  it('is kept, frozen, on plugins, kinds and the SAML registry, and the PingAM catalog lists it', async () => {
    const dir = await pluginDir({
      'acme.mjs': module(
        validator('ACME', "['com.acme.MyValidator', 'com.acme.Outer$Inner']"),
        provider('ACME', "['com.acme.MyProvider']"),
        saml('acme-conditions', 'conditions', "['com.acme.Conditions']"),
        `{ kind: 'token-validator', tokenType: 'PLAIN', validate: () => ({ subject: 'a' }) }`,
      ),
    });
    const loaded = await loadPlugins(dir, quiet);
    assert.deepEqual(loaded.validators[0]!.amClassNames, ['com.acme.MyValidator', 'com.acme.Outer$Inner']);
    assert.ok(Object.isFrozen(loaded.validators[0]!.amClassNames));
    assert.equal(loaded.validators[1]!.amClassNames, undefined);

    const registry = new TokenRegistry();
    for (const k of customTokenKinds(loaded, 1000)) registry.register(k);
    const catalog = amCatalog(registry, new SamlPluginRegistry([], loaded.samlPlugins));
    assert.deepEqual(catalog.customKinds, [
      { name: 'ACME', validator: { amClassNames: ['com.acme.MyValidator', 'com.acme.Outer$Inner'] }, provider: { amClassNames: ['com.acme.MyProvider'] } },
      { name: 'PLAIN', validator: { amClassNames: [] } },
    ]);
    assert.deepEqual(catalog.samlPlugins, [{ name: 'acme-conditions', statement: 'conditions', builtIn: false, amClassNames: ['com.acme.Conditions'] }]);
  });

  it('one class may stand for a validator and a provider, and for SAML plugins of different statements', async () => {
    const dir = await pluginDir({
      'a.mjs': module(validator('ACME', "['com.acme.Both']"), provider('ACME', "['com.acme.Both']")),
      'b.mjs': module(saml('attrs', 'attributeStatements', "['com.acme.Statements']"), saml('authn', 'authenticationStatements', "['com.acme.Statements']")),
    });
    const loaded = await loadPlugins(dir, quiet);
    assert.equal(loaded.samlPlugins.length, 2);
  });

  const REFUSED: Array<[string, Record<string, string>, string, RegExp]> = [
    ['not a list', { 'a.mjs': module(validator('ACME', "'com.acme.X'")) }, 'a.mjs', /amClassNames must be a list of 1 to 16 Java class names/],
    ['an empty list', { 'a.mjs': module(validator('ACME', '[]')) }, 'a.mjs', /amClassNames must be a list/],
    ['not a class name', { 'a.mjs': module(provider('ACME', "['com.acme.My-Provider']")) }, 'a.mjs', /"com\.acme\.My-Provider" is not a fully qualified Java class name/],
    ['a trailing dot', { 'a.mjs': module(saml('s', 'subject', "['com.acme.']")) }, 'a.mjs', /not a fully qualified Java class name/],
    ['a class twice in one plugin', { 'a.mjs': module(validator('ACME', "['com.acme.X', 'com.acme.X']")) }, 'a.mjs', /lists a class twice/],
    [
      'two validators for one class',
      { 'a.mjs': module(validator('ACME', "['com.acme.X']")), 'b.mjs': module(validator('OTHER', "['com.acme.X']")) },
      'b.mjs',
      /PingAM class com\.acme\.X \(amClassNames of a token-validator plugin\) is defined also in a\.mjs/,
    ],
    [
      'two conditions plugins for one class',
      { 'a.mjs': module(saml('one', 'conditions', "['com.acme.C']"), saml('two', 'conditions', "['com.acme.C']")) },
      'a.mjs',
      /PingAM class com\.acme\.C .* is defined twice in this file/,
    ],
  ];
  for (const [what, files, file, message] of REFUSED) {
    it(`refuses the start, naming the file: ${what}`, async () => {
      const dir = await pluginDir(files);
      await assert.rejects(loadPlugins(dir, quiet), (err: unknown) => {
        assert.ok(err instanceof PluginLoadError, String(err));
        assert.ok(err.file.endsWith(file), err.message);
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
