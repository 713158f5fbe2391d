/**
 * The identity service against a real database (SQLite and PostgreSQL): passwords with control characters
 * are refused when set, a username with control characters never reaches the database, and usernames are
 * unique without regard to case (NFC, case-folded), like the throttle's key — migration 0002 included.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TesseraError, type ErrorCode } from '../../../src/engine/errors.js';
import type { Caller } from '../../../src/engine/types.js';
import { Database } from '../../../src/persistence/database.js';
import { m0001Initial } from '../../../src/persistence/migrations/0001-initial.js';
import { IdentityService, LOGIN_FAILED_MESSAGE } from '../../../src/identity/identity.service.js';
import { DbIdentityRecords } from '../../../src/persistence/identity-records.js';
import { hashPassword, verifyPassword } from '../../../src/identity/password.js';
import { foldUsername, hasControlCharacters } from '../../../src/identity/text.js';
import { DB_KINDS, freshDatabase } from '../../support/server.js';

const FAST = { logN: 10, r: 8, p: 1 };
const PASSWORD = 'correct horse battery';
const ADDRESS = '192.0.2.7';
const MAX_FAILURES = 3;

async function rejectsCode(p: Promise<unknown>, code: ErrorCode, field?: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TesseraError, String(e));
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.field, field);
    if (message) assert.match(e.message, message);
    return true;
  });
}

/** Counts every statement the identity service could send: it reaches the database only through em() and knex(). */
function countingDatabase(db: Database): { db: Database; calls: () => number } {
  let n = 0;
  const proxy = new Proxy(db, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if ((prop === 'em' || prop === 'knex' || prop === 'transaction') && typeof v === 'function') {
        return (...args: unknown[]) => {
          n += 1;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { db: proxy, calls: () => n };
}

// Control characters: C0, DEL, C1, and a lone surrogate (not text at all).
const CONTROL_SAMPLES: Array<[string, string]> = [
  ['NUL', '\u0000'],
  ['TAB', '\t'],
  ['LF', '\n'],
  ['ESC', '\u001b'],
  ['DEL', '\u007f'],
  ['NEL (C1)', '\u0085'],
  ['a lone surrogate', '\ud800'],
];

test('text rules: control characters and the folded username form', () => {
  for (const [name, c] of CONTROL_SAMPLES) assert.ok(hasControlCharacters(`ab${c}cd`), name);
  for (const ok of ['alice', 'Ünïcødé', '😀 emoji', 'a b']) assert.ok(!hasControlCharacters(ok), ok);
  const folds: Array<[string, string]> = [
    ['Alice', 'alice'],
    ['ALICE@EXAMPLE.COM', 'alice@example.com'],
    ['Straße', 'strasse'],
    ['ΟΔΟΣ', 'οδοσ'],
    ['οδος', 'οδοσ'],
    ['E\u0301lodie', 'élodie'],
    ['\u00c9lodie', 'élodie'],
  ];
  for (const [input, folded] of folds) assert.equal(foldUsername(input), folded.normalize('NFC'), input);
});

test('a password with a NUL never verifies: HMAC would treat trailing NULs as absent', async () => {
  const stored = await hashPassword('abcdefgh', FAST);
  assert.equal(await verifyPassword('abcdefgh', stored), true);
  assert.equal(await verifyPassword('abcdefgh\u0000', stored), false);
  assert.equal(await verifyPassword('abcdefgh\u0000\u0000\u0000', stored), false);
  await assert.rejects(hashPassword('abc\u0000\u0000\u0000\u0000\u0000', FAST), /NUL/);
});

for (const kind of DB_KINDS) {
  describe(`identity hardening on ${kind}`, () => {
    let db: Database;
    let identity: IdentityService;
    let cleanup: () => Promise<void>;
    let counted: ReturnType<typeof countingDatabase>;
    let countedIdentity: IdentityService;
    const opts = { sessionTtlSeconds: 600, authMaxFailures: MAX_FAILURES, authWindowSeconds: 600, scrypt: FAST };

    before(async () => {
      const fresh = freshDatabase(kind);
      cleanup = fresh.cleanup;
      db = await Database.open(fresh.url);
      await db.withStartupLock(() => db.migrate());
      identity = new IdentityService(new DbIdentityRecords(db), opts);
      counted = countingDatabase(db);
      countedIdentity = new IdentityService(new DbIdentityRecords(counted.db), opts);
    });
    after(async () => {
      await db?.close();
      await cleanup?.();
    });

    test('createUser refuses passwords with control characters (BAD_USER_INPUT on input.password), "abc" + five NULs included', async () => {
      const refused: Array<[string, string]> = [
        ['"abc" followed by five NULs', 'abc\u0000\u0000\u0000\u0000\u0000'],
        ...CONTROL_SAMPLES.map(([name, c]): [string, string] => [name, `pass${c}word`]),
      ];
      for (const [name, password] of refused) {
        await rejectsCode(identity.createUser({ username: `u-${randomUUID().slice(0, 8)}`, password }), 'BAD_USER_INPUT', 'input.password', /control characters/).catch((e) => {
          throw new Error(`${name}: ${(e as Error).message}`);
        });
      }
      // Non-ASCII printable text is a fine password.
      await identity.createUser({ username: 'unicode-pw', password: 'pässwörd ✓ 密码' });
      assert.ok(await identity.verifyPassword('unicode-pw', 'pässwörd ✓ 密码', ADDRESS));
    });

    test('changePassword refuses a new password with control characters (BAD_USER_INPUT on newPassword)', async () => {
      const u = await identity.createUser({ username: 'changer', password: PASSWORD });
      const { session, sessionId } = await identity.login('changer', PASSWORD, ADDRESS);
      const caller: Caller = { userId: u.id, username: u.username, roles: [], sessionId };
      assert.ok(session.token);
      for (const [, c] of CONTROL_SAMPLES) {
        await rejectsCode(identity.changePassword(caller, PASSWORD, `new-pass${c}word`, ADDRESS), 'BAD_USER_INPUT', 'newPassword');
      }
      await rejectsCode(identity.changePassword(caller, PASSWORD, 'abc\u0000\u0000\u0000\u0000\u0000', ADDRESS), 'BAD_USER_INPUT', 'newPassword');
      // The old password still works: nothing was changed.
      assert.ok(await identity.verifyPassword('changer', PASSWORD, ADDRESS));
    });

    test('a login password with a NUL appended to the right one is refused', async () => {
      await identity.createUser({ username: 'nul-suffix', password: PASSWORD });
      await rejectsCode(identity.login('nul-suffix', `${PASSWORD}\u0000`, ADDRESS), 'UNAUTHENTICATED');
      assert.equal(await identity.verifyPassword('nul-suffix', `${PASSWORD}\u0000\u0000`, ADDRESS), null);
    });

    test('a username with control characters never reaches the database: login is UNAUTHENTICATED like an unknown user', async () => {
      await identity.createUser({ username: 'admin2', password: PASSWORD });
      for (const [name, c] of CONTROL_SAMPLES) {
        for (const username of [`admin2${c}`, `${c}admin2`, `adm${c}in2`]) {
          const before = counted.calls();
          await rejectsCode(countedIdentity.login(username, PASSWORD, ADDRESS), 'UNAUTHENTICATED', undefined, new RegExp(LOGIN_FAILED_MESSAGE.replace('.', '\\.')));
          // The USERNAME token input takes the same path (the validator turns null into INVALID_TOKEN).
          assert.equal(await countedIdentity.verifyPassword(username, PASSWORD, ADDRESS), null, name);
          assert.equal(await countedIdentity.findByUsername(username), null, name);
          await rejectsCode(countedIdentity.deleteUser(username), 'NOT_FOUND');
          assert.equal(counted.calls(), before, `${name}: no statement was sent`);
        }
      }
      // The same service does query for an ordinary name.
      const before = counted.calls();
      await rejectsCode(countedIdentity.login('nobody-here', PASSWORD, ADDRESS), 'UNAUTHENTICATED');
      assert.ok(counted.calls() > before);
    });

    test('attribute values with control characters other than TAB, LF and CR are refused; line breaks pass', async () => {
      for (const c of ['\u0000', '\u001b', '\u007f', '\u0085', '\ud800']) {
        await rejectsCode(identity.createUser({ username: `attr-${randomUUID().slice(0, 6)}`, password: PASSWORD, attributes: { mail: `a${c}@example.com` } }), 'BAD_USER_INPUT', 'input.attributes');
        await rejectsCode(identity.createUser({ username: `attr-${randomUUID().slice(0, 6)}`, password: PASSWORD, attributes: { memberOf: ['ok', `b${c}`] } }), 'BAD_USER_INPUT', 'input.attributes');
      }
      const u = await identity.createUser({ username: 'postal', password: PASSWORD, attributes: { postalAddress: '1 Main St\nSpringfield\r\n\tUSA' } });
      assert.equal(u.attributes.postalAddress, '1 Main St\nSpringfield\r\n\tUSA');
    });

    test('usernames are unique without regard to case: a second user differing only in case is CONFLICT', async () => {
      await identity.createUser({ username: 'Carol', password: PASSWORD });
      for (const twin of ['carol', 'CAROL', 'cArOl']) {
        await rejectsCode(identity.createUser({ username: twin, password: PASSWORD }), 'CONFLICT', undefined, /Carol/);
      }
      await rejectsCode(identity.createUser({ username: 'Carol', password: PASSWORD }), 'CONFLICT');
      assert.deepEqual((await identity.listUsers()).filter((u) => foldUsername(u.username) === 'carol').map((u) => u.username), ['Carol']);
    });

    test('concurrent creations of case twins: exactly one wins, the others are CONFLICT', async () => {
      const names = ['Dave', 'dave', 'DAVE', 'daVe'];
      const settled = await Promise.allSettled(names.map((username) => identity.createUser({ username, password: PASSWORD })));
      assert.equal(settled.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of settled) if (r.status === 'rejected') assert.equal((r.reason as TesseraError).code, 'CONFLICT', String(r.reason));
    });

    test('login takes the name in any case and answers with the user as stored', async () => {
      await identity.createUser({ username: 'Erin.Smith', password: PASSWORD });
      for (const typed of ['Erin.Smith', 'erin.smith', 'ERIN.SMITH']) {
        const { session } = await identity.login(typed, PASSWORD, ADDRESS);
        assert.equal(session.user.username, 'Erin.Smith');
        const v = await identity.verifyPassword(typed, PASSWORD, ADDRESS);
        assert.equal(v?.username, 'Erin.Smith', 'the USERNAME token subject is the stored name');
      }
      assert.equal((await identity.findByUsername('ERIN.smith'))?.username, 'Erin.Smith');
    });

    test('the throttle counts failures per folded name: other cases do not buy more guesses', async () => {
      await identity.createUser({ username: 'Frank', password: PASSWORD });
      const spellings = ['Frank', 'frank', 'FRANK', 'fRaNk'];
      for (let i = 0; i < MAX_FAILURES; i++) await rejectsCode(identity.login(spellings[i % spellings.length], `wrong-${i}`, ADDRESS), 'UNAUTHENTICATED');
      await rejectsCode(identity.login('FRANK', `wrong-again`, ADDRESS), 'RATE_LIMITED');
      await rejectsCode(identity.login('frank', PASSWORD, ADDRESS), 'RATE_LIMITED');
      // Another address has its own count.
      const { session } = await identity.login('frank', PASSWORD, '198.51.100.1');
      assert.equal(session.user.username, 'Frank');
    });

    test('deleteUser takes the exact stored name only (an irreversible operation does not guess)', async () => {
      await identity.createUser({ username: 'Grace', password: PASSWORD });
      await rejectsCode(identity.deleteUser('grace'), 'NOT_FOUND');
      assert.equal((await identity.deleteUser('Grace')).username, 'Grace');
      // The folded name is free again.
      assert.equal((await identity.createUser({ username: 'grace', password: PASSWORD })).username, 'grace');
    });
  });

  describe(`migration 0002 on ${kind}: users that already differ only in case`, () => {
    let db: Database;
    let cleanup: () => Promise<void>;
    before(async () => {
      const fresh = freshDatabase(kind);
      cleanup = fresh.cleanup;
      db = await Database.open(fresh.url);
    });
    after(async () => {
      await db?.close();
      await cleanup?.();
    });

    test('the oldest twin gets the folded name, the other keeps its exact name; new twins are CONFLICT', async () => {
      const knex = db.knex();
      // The schema as migration 0001 left it, with users made before names were folded.
      for (const stmt of m0001Initial[db.dialect]) await knex.raw(stmt);
      await knex.schema.createTable('schema_migrations', (t) => {
        t.string('id', 64).primary();
        t.string('applied_at', 32).notNullable();
      });
      await knex('schema_migrations').insert({ id: m0001Initial.id, applied_at: new Date().toISOString() });
      const hash = await hashPassword(PASSWORD, FAST);
      const row = (username: string, createdAt: number) => ({
        id: randomUUID(),
        username,
        password_hash: hash,
        roles: JSON.stringify([]),
        attributes: JSON.stringify({}),
        created_at: db.dateParam(new Date(createdAt)),
        updated_at: db.dateParam(new Date(createdAt)),
      });
      await knex('users').insert([row('alice', 2_000_000), row('Alice', 1_000_000), row('bob', 1_500_000)]);

      // 0002 runs, and every migration after it.
      assert.deepEqual((await db.withStartupLock(() => db.migrate()))[0], '0002-username-key');
      const keys = Object.fromEntries(((await knex('users').select('username', 'username_key')) as Array<{ username: string; username_key: string | null }>).map((r) => [r.username, r.username_key]));
      assert.deepEqual(keys, { Alice: 'alice', alice: null, bob: 'bob' });

      const identity = new IdentityService(new DbIdentityRecords(db), { sessionTtlSeconds: 600, authMaxFailures: 100, authWindowSeconds: 600, scrypt: FAST });
      assert.equal((await identity.login('alice', PASSWORD, ADDRESS)).session.user.username, 'alice', 'the exact name first');
      assert.equal((await identity.login('Alice', PASSWORD, ADDRESS)).session.user.username, 'Alice');
      assert.equal((await identity.login('ALICE', PASSWORD, ADDRESS)).session.user.username, 'Alice', 'then the folded one');
      assert.equal((await identity.login('BOB', PASSWORD, ADDRESS)).session.user.username, 'bob');
      await rejectsCode(identity.createUser({ username: 'ALICE', password: PASSWORD }), 'CONFLICT');
      await rejectsCode(identity.createUser({ username: 'Bob', password: PASSWORD }), 'CONFLICT');
    });
  });
}
