// Runs every compiled test file (dist/test/**/*.test.js) with node's test runner, TAP output (whose closing
// "# pass N" / "# fail N" lines CI reads). Pass file-name fragments to run a subset: npm test -- saml2
//
// The whole suite judges Tessera with independent tools and runs on PostgreSQL too; before it starts, this
// checks they are there and, if any is not, says in one message what to install instead of letting a few
// hundred tests fail one by one.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';

function runs(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return !r.error && r.status === 0;
}

function reachable(url) {
  let host = '127.0.0.1';
  let port = 5432;
  try {
    const u = new URL(url);
    host = u.hostname || host;
    port = Number(u.port) || port;
  } catch {
    // An unparsable URL: the default address is checked and the tests will say what is wrong with it.
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 3000 }, () => (socket.destroy(), resolve(true)));
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => (socket.destroy(), resolve(false)));
  });
}

/** What the whole suite needs beyond npm ci, each with how to get it on Debian. */
async function missingRequirements() {
  const pgUrl = process.env.TESSERA_TEST_PG_URL ?? 'postgresql://root@127.0.0.1:5432/test';
  const missing = [];
  if (!runs('xmlsec1', ['--version'])) missing.push('xmlsec1 (SAML signature and decryption checks): apt-get install xmlsec1');
  if (!runs('xmllint', ['--version'])) missing.push('xmllint (SAML schema checks): apt-get install libxml2-utils');
  if (!runs('openssl', ['version'])) missing.push('openssl (certificate checks): apt-get install openssl');
  if (!runs('/usr/bin/python3', ['-c', 'import jwt'])) missing.push('PyJWT for /usr/bin/python3 (ID token checks): apt-get install python3-jwt');
  if (!runs('/usr/bin/python3', ['-c', 'import authlib, requests'])) missing.push('Authlib for /usr/bin/python3 (RFC 8693 client checks): apt-get install python3-authlib python3-requests');
  if (!runs('/usr/bin/python3', ['-c', 'import saml2.sigver'])) missing.push('pysaml2 for /usr/bin/python3 (the partner IdP of the SAML2 input tests): apt-get install python3-pysaml2');
  if (!runs('/usr/bin/python3', ['-c', 'import prometheus_client'])) missing.push('prometheus_client for /usr/bin/python3 (the /metrics parser): apt-get install python3-prometheus-client');
  if (!existsSync('/usr/bin/chromium')) missing.push('/usr/bin/chromium (GraphiQL browser test): apt-get install chromium');
  if (!(await reachable(pgUrl))) missing.push(`PostgreSQL at ${pgUrl} (TESSERA_TEST_PG_URL), trust auth: the persistence and end-to-end suites run on it too`);
  return missing;
}

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk('dist/test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
if (filters.length === 0) {
  const missing = await missingRequirements();
  if (missing.length > 0) {
    console.error(`npm test needs, besides npm ci:\n${missing.map((m) => `  - ${m}`).join('\n')}\n` +
      'On Debian, .ci/run installs the packages (apt-get) and starts a local PostgreSQL, then runs the suite.');
    process.exit(1);
  }
}
const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=2', '--test-timeout=300000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
