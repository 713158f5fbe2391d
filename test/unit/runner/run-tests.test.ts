/**
 * `npm test` on a machine without the suite's outside tools: one message naming each missing tool and how to
 * install it, exit code 1, and no test run (rather than hundreds of failures that each say ENOENT).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../../src/paths.js';

test('missing tools and an unreachable PostgreSQL are named up front, and nothing runs', () => {
  const r = spawnSync(process.execPath, [join(projectRoot(), 'scripts', 'run-tests.mjs')], {
    cwd: projectRoot(),
    encoding: 'utf8',
    timeout: 60_000,
    // No PATH: xmlsec1, xmllint and openssl cannot be found; port 1 refuses connections.
    env: { PATH: '/nonexistent', TESSERA_TEST_PG_URL: 'postgresql://nobody@127.0.0.1:1/test' },
  });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /npm test needs, besides npm ci:/);
  assert.match(r.stderr, /xmlsec1 .*apt-get install xmlsec1/);
  assert.match(r.stderr, /xmllint .*apt-get install libxml2-utils/);
  assert.match(r.stderr, /PostgreSQL at postgresql:\/\/nobody@127\.0\.0\.1:1\/test/);
  assert.match(r.stderr, /\.ci\/run installs the packages/);
  assert.doesNotMatch(r.stdout, /^# tests/m, 'no test ran');
});
