/**
 * Adding a token kind is its folder and one registration line: the STAMP kind of test/kinds/stamp/ is handed to
 * the server (the line below) and works through every door — its GraphQL enum value, input and output fields and
 * configuration section appear in the schema, the REST door finds it by token_type, publish checks its section,
 * validate and cancel verify it, and the discovery document carries its member — with no other file changed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { createStampKind } from '../kinds/stamp/stamp.kind.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { GQL, uniqueName } from '../support/engine.js';

const SECRET = 'a-stamp-secret-of-at-least-32-bytes!!';

for (const db of DB_KINDS) {
  describe(`a token kind from a test folder, on ${db}`, () => {
    let s: TestServer;
    const name = uniqueName('stamps');
    before(async () => {
      s = await startServer({ db, kinds: [createStampKind()] }); // the one registration line
      const u = await s.gql(GQL.createUser, { i: { username: 'stampy', password: 'stampy-password', attributes: { mail: 'stampy@example.com' } } }, s.adminToken);
      assert.equal(u.errors, undefined, JSON.stringify(u.errors));
    });
    after(async () => {
      await s.destroy();
    });

    test('the schema carries its enum value, fields and section, each described', async () => {
      const r = await s.gql(`{
        tokenType: __type(name: "TokenType") { enumValues { name description } }
        input: __type(name: "TokenInput") { inputFields { name description } }
        output: __type(name: "TokenOutput") { inputFields { name } }
        instance: __type(name: "InstanceInput") { inputFields { name type { name } } }
      }`);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const stamp = r.data.tokenType.enumValues.find((v: { name: string }) => v.name === 'STAMP');
      assert.match(stamp.description, /HMAC/);
      assert.ok(r.data.input.inputFields.some((f: { name: string; description: string }) => f.name === 'stamp' && /STAMP/.test(f.description)));
      assert.ok(r.data.output.inputFields.some((f: { name: string }) => f.name === 'stampUppercase'));
      assert.deepEqual(r.data.instance.inputFields.find((f: { name: string }) => f.name === 'stamp').type, { name: 'StampInput' });
    });

    test('publish checks its section with its own parser, field named', async () => {
      const bad = await s.gql(GQL.publish, { i: { name: uniqueName('bad'), transforms: [{ input: 'USERNAME', output: 'STAMP' }], stamp: { secret: 'short' } } }, s.adminToken);
      assert.equal(bad.errors?.[0]?.extensions?.field, 'input.stamp.secret');
      const missing = await s.gql(GQL.publish, { i: { name: uniqueName('bad'), transforms: [{ input: 'STAMP', output: 'OPENIDCONNECT' }], oidc: { audience: ['a'] } } }, s.adminToken);
      assert.equal(missing.errors?.[0]?.extensions?.field, 'input.stamp');
      assert.match(missing.errors![0]!.message, /takes STAMP input/);
      const ok = await s.gql(
        `mutation($i: InstanceInput!) { publishInstance(input: $i) { name stamp { lifetimeSeconds hasSecret } transforms { input output } } }`,
        {
          i: {
            name,
            transforms: [{ input: 'USERNAME', output: 'STAMP' }, { input: 'STAMP', output: 'OPENIDCONNECT' }],
            stamp: { secret: SECRET, lifetimeSeconds: 120 },
            oidc: { audience: ['stamp-app'] },
          },
        },
        s.adminToken,
      );
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
      assert.deepEqual(ok.data.publishInstance.stamp, { lifetimeSeconds: 120, hasSecret: true });
      assert.ok(!JSON.stringify(ok.data).includes(SECRET));
    });

    test('GraphQL: USERNAME → STAMP → OPENIDCONNECT, and validate and cancel the stamp', async () => {
      const issued = await s.gql(GQL.translate, { n: name, in: { type: 'USERNAME', username: 'stampy', password: 'stampy-password' }, out: { type: 'STAMP', stampUppercase: true } });
      assert.equal(issued.errors, undefined, JSON.stringify(issued.errors));
      assert.equal(issued.data.translateToken.type, 'STAMP');
      const stamp = issued.data.translateToken.token as string;
      assert.match(stamp, /^stampy\.\d+\./);
      const idt = await s.gql(GQL.translate, { n: name, in: { type: 'STAMP', stamp }, out: { type: 'OPENIDCONNECT' } });
      assert.equal(idt.errors, undefined, JSON.stringify(idt.errors));
      assert.equal(decodeJwt(idt.data.translateToken.token).sub, 'stampy');
      const v = await s.gql(GQL.validate, { n: name, t: 'STAMP', tok: stamp }, s.adminToken);
      assert.deepEqual(v.data.validateToken.valid, true);
      assert.equal(v.data.validateToken.subject, 'stampy');
      const forged = stamp.slice(0, -2) + (stamp.endsWith('AA') ? 'BB' : 'AA');
      assert.deepEqual((await s.gql(GQL.validate, { n: name, t: 'STAMP', tok: forged })).data.validateToken, { valid: false, reason: 'BAD_SIGNATURE', subject: null, expiresAt: null });
      assert.equal((await s.gql(GQL.cancel, { n: name, t: 'STAMP', tok: stamp })).data.cancelToken, true);
      assert.equal((await s.gql(GQL.validate, { n: name, t: 'STAMP', tok: stamp })).data.validateToken.reason, 'CANCELLED');
      // A forged stamp as input is INVALID_TOKEN; a missing one names the field.
      assert.equal((await s.gql(GQL.translate, { n: name, in: { type: 'STAMP', stamp: forged }, out: { type: 'OPENIDCONNECT' } })).errors?.[0]?.extensions?.code, 'INVALID_TOKEN');
      const none = await s.gql(GQL.translate, { n: name, in: { type: 'STAMP' }, out: { type: 'OPENIDCONNECT' } });
      assert.deepEqual([none.errors?.[0]?.extensions?.code, none.errors?.[0]?.extensions?.field], ['BAD_USER_INPUT', 'input.stamp']);
    });

    test('REST: the same kind by its token_type and field names, with PingAM bodies', async () => {
      const r = await s.rest(name, 'translate', { input_token_state: { token_type: 'USERNAME', username: 'stampy', password: 'stampy-password' }, output_token_state: { token_type: 'STAMP' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const stamp = r.body.issued_token as string;
      const o = await s.rest(name, 'translate', { input_token_state: { token_type: 'STAMP', stamp }, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true } });
      assert.equal(o.status, 200, JSON.stringify(o.body));
      assert.equal(decodeJwt(o.body.issued_token).sub, 'stampy');
      assert.deepEqual((await s.rest(name, 'validate', { validated_token_state: { token_type: 'STAMP', stamp } })).body, { token_valid: true });
      assert.deepEqual((await s.rest(name, 'cancel', { cancelled_token_state: { token_type: 'STAMP', stamp } })).body, { result: 'STAMP token cancelled successfully.' });
      const none = await s.rest(name, 'translate', { input_token_state: { token_type: 'STAMP' }, output_token_state: { token_type: 'OPENIDCONNECT', allow_access: true } });
      assert.deepEqual([none.status, none.body.detail], [400, { code: 'BAD_USER_INPUT', field: 'input_token_state.stamp' }]);
    });

    test('its metadata contribution joins the discovery document', async () => {
      const d = await (await fetch(`${s.url}/sts/${name}/.well-known/openid-configuration`)).json();
      assert.equal(d.stamp_lifetime_seconds, 120);
      assert.ok(d.issuer);
    });
  });
}
