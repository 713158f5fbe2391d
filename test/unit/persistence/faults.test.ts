/**
 * The database fault classifier: what becomes UNAVAILABLE (503, Retry-After) and what stays what it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asTesseraError, BadUserInputError, publicCode, publicMessage } from '../../../src/engine/errors.js';
import '../../../src/persistence/faults.js';
import { logAnswer, restError, oauthError } from '../../../src/http/errors.js';
import { createLogger } from '../../../src/log.js';

const withCode = (code: string, message = 'x', extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { code, ...extra });

test('connection, resource and file faults are UNAVAILABLE', () => {
  const faults: unknown[] = [
    withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
    withCode('ECONNRESET'),
    withCode('ETIMEDOUT'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is starting up'),
    withCode('08006'),
    withCode('53300', 'sorry, too many clients already'),
    withCode('53100', 'could not extend file: No space left on device'),
    withCode('25006', 'cannot execute INSERT in a read-only transaction'),
    withCode('57014', 'canceling statement due to statement timeout'),
    withCode('SQLITE_FULL', 'SQLITE_FULL: database or disk is full'),
    withCode('SQLITE_READONLY', 'SQLITE_READONLY: attempt to write a readonly database'),
    withCode('SQLITE_IOERR'),
    withCode('SQLITE_BUSY', 'SQLITE_BUSY: database is locked'),
    withCode('SQLITE_CANTOPEN'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
    // Wrapped: a cause chain, MikroORM's `previous`, an AggregateError of both address families.
    new Error('insert failed', { cause: withCode('ECONNREFUSED') }),
    Object.assign(new Error('driver exception'), { previous: withCode('SQLITE_FULL') }),
    Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed')),
  ];
  for (const f of faults) {
    assert.equal(publicCode(f), 'UNAVAILABLE', String((f as Error).message));
    assert.equal(publicMessage(f), 'The database is not available; try again shortly.');
    const rest = restError(f);
    assert.equal(rest.status, 503);
    assert.equal(rest.headers['Retry-After'], '5');
    assert.equal(rest.internalError, undefined);
    assert.equal(rest.faultCause !== undefined, true);
    const oauth = oauthError(f);
    assert.equal(oauth.status, 503);
    assert.deepEqual((oauth.body as { error: string }).error, 'temporarily_unavailable');
  }
});

test('everything else keeps its meaning: constraint violations, syntax errors and plain bugs are INTERNAL', () => {
  for (const e of [
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('42601', 'syntax error at or near'),
    withCode('SQLITE_CONSTRAINT', 'SQLITE_CONSTRAINT: UNIQUE constraint failed'),
    withCode('SQLITE_ERROR', 'SQLITE_ERROR: no such table'),
    new TypeError("Cannot read properties of undefined (reading 'x')"),
    'a string',
    null,
    undefined,
    { code: 42 },
  ]) {
    assert.equal(publicCode(e), 'INTERNAL', String(e));
    assert.equal(restError(e).status, 500);
    assert.equal(asTesseraError(e), undefined);
  }
  // A TesseraError along the chain wins over a fault further down.
  const wrapped = new BadUserInputError('bad', 'input.x');
  assert.equal(publicCode(new Error('outer', { cause: wrapped })), 'BAD_USER_INPUT');
});

test('a cyclic cause chain ends', () => {
  const a = new Error('a') as Error & { cause?: unknown };
  const b = new Error('b', { cause: a });
  a.cause = b;
  assert.equal(publicCode(a), 'INTERNAL');
});

test('the log says what failed, never the statement the driver quotes, and at most once a second per door', () => {
  const lines: string[] = [];
  const log = createLogger('info', (l) => lines.push(l));
  const fault = withCode('SQLITE_FULL', 'insert into "users" ("password_hash") values (\'scrypt$secret-hash\') - SQLITE_FULL: database or disk is full');
  for (let i = 0; i < 5; i++) logAnswer(log, restError(fault), 'unit-door');
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!);
  assert.equal(line.level, 'warn');
  assert.equal(line.msg, 'unavailable');
  assert.equal(line.fault, 'SQLite: SQLITE_FULL');
  assert.equal(line.door, 'unit-door');
  assert.doesNotMatch(lines[0]!, /secret-hash|insert into/);
});

test('internal error lines keep a statement\'s kind and table and the driver\'s message, not the values', async () => {
  const { describeError } = await import('../../../src/log.js');
  const e = new Error("insert into \"users\" (\"id\", \"password_hash\") values ('1', 'scrypt$abc - def') - SQLITE_CONSTRAINT: UNIQUE constraint failed: users.username");
  const d = describeError(e);
  assert.equal(d.detail, 'insert into "users" … - SQLITE_CONSTRAINT: UNIQUE constraint failed: users.username');
  assert.doesNotMatch(String(d.stack), /scrypt|abc|def/);
  // Other messages are kept as they are.
  assert.equal(describeError(new Error('plain - message')).detail, 'plain - message');
});
