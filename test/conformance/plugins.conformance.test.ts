/**
 * The conformance suite (suite.ts) for kinds that do not ship in src/: the example plugins of examples/plugins/
 * loaded from TESSERA_PLUGIN_DIR (the LEGACY_TICKET validator and provider, and every SAML statement plugin
 * through the SAML2 provider's round trip), and the STAMP kind registered in code from test/kinds/stamp/.
 * Tickets and stamps are checked independently with OpenSSL's HMAC, SAML with xmlsec1 and xmllint.
 */
import { after, before, describe } from 'node:test';
import { execFileSync } from 'node:child_process';
import { createStampKind } from '../kinds/stamp/stamp.kind.js';
import { LEGACY_SECRET, makePluginDir, mintTicket, verifyAssertion, type PluginDir } from '../support/plugins-api.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { providerConformance, validatorConformance, type Presented } from './suite.js';

process.env.LEGACY_TICKET_SECRET = LEGACY_SECRET;

const PASSWORD = 'conformance-password';
const STAMP_SECRET = 'stamp-secret-for-conformance-0123456789';
const BIG = 'x'.repeat(64 * 1024 + 1);
const now = () => Math.floor(Date.now() / 1000);
const OIDC_OUT = { gql: { type: 'OPENIDCONNECT' }, rest: { token_type: 'OPENIDCONNECT', allow_access: true } };
const USER_IN = async (): Promise<Presented> => ({
  gql: { type: 'USERNAME', username: 'plugger', password: PASSWORD },
  rest: { token_type: 'USERNAME', username: 'plugger', password: PASSWORD },
});

/** HMAC-SHA256 by OpenSSL, base64url: the independent check of tickets and stamps. */
function opensslHmac(data: string, key: string): string {
  const mac = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `key:${key}`, '-binary'], { input: data });
  return mac.toString('base64url');
}

const STATEMENT_PLUGINS = {
  conditions: 'one-time-use-conditions',
  subject: 'email-name-id',
  authenticationStatements: 'session-index-authn',
  attributeStatements: 'static-tenant-attribute',
  authorizationDecisionStatements: 'staff-admin-authz',
} as const;

for (const db of DB_KINDS) {
  describe(`conformance of plugin and code-registered kinds, on ${db}`, () => {
    let s: TestServer;
    let plugins: PluginDir;

    before(async () => {
      plugins = makePluginDir({
        examples: ['legacy-ticket.mjs', 'conditions-one-time-use.mjs', 'subject-email-nameid.mjs', 'authn-session-index.mjs', 'attributes-static-tenant.mjs', 'authz-staff-admin.mjs'],
      });
      s = await startServer({ db, env: { TESSERA_PLUGIN_DIR: plugins.dir }, kinds: [createStampKind()] });
      const instances: Array<Record<string, unknown>> = [
        {
          name: 'conf-ticket',
          transforms: [
            { input: 'CUSTOM', customInput: 'LEGACY_TICKET', output: 'OPENIDCONNECT' },
            { input: 'USERNAME', output: 'CUSTOM', customOutput: 'LEGACY_TICKET' },
          ],
          oidc: { audience: ['conf'] },
        },
        {
          name: 'conf-stamp',
          transforms: [{ input: 'STAMP', output: 'OPENIDCONNECT' }, { input: 'USERNAME', output: 'STAMP' }],
          stamp: { secret: STAMP_SECRET, lifetimeSeconds: 300 },
          oidc: { audience: ['conf'] },
        },
        ...Object.entries(STATEMENT_PLUGINS).map(([kind, plugin]) => ({
          name: `conf-saml-${kind.toLowerCase()}`,
          transforms: [{ input: 'USERNAME', output: 'SAML2' }],
          saml2: { issuer: 'https://idp.conformance.test', spEntityId: 'https://sp.example.com', attributeMap: { mail: 'mail', memberOf: 'memberOf' }, plugins: { [kind]: plugin } },
        })),
      ];
      for (const i of instances) {
        const r = await s.gql(`mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }`, { i }, s.adminToken);
        if (r.errors) throw new Error(JSON.stringify(r.errors));
      }
      const u = await s.gql(`mutation($i: UserInput!) { createUser(input: $i) { id } }`, { i: { username: 'plugger', password: PASSWORD, attributes: { mail: 'plugger@example.com', memberOf: ['staff'] } } }, s.adminToken);
      if (u.errors) throw new Error(JSON.stringify(u.errors));
    });
    after(async () => {
      await s?.destroy();
      plugins?.cleanup();
    });

    describe('LEGACY_TICKET validator (examples/plugins/legacy-ticket.mjs)', () => {
      const ticket = (t: string): Presented => ({ gql: { type: 'CUSTOM', customType: 'LEGACY_TICKET', customToken: { ticket: t } }, rest: { token_type: 'LEGACY_TICKET', ticket: t } });
      const good = () => mintTicket({ sub: 'ticket-holder', attrs: { mail: 'h@example.com' }, exp: now() + 300 });
      validatorConformance(() => ({
        kind: 'LEGACY_TICKET',
        server: () => s,
        instance: 'conf-ticket',
        output: OIDC_OUT,
        valid: async () => ticket(good()),
        defects: {
          expired: async () => ticket(mintTicket({ sub: 'ticket-holder', exp: now() - 1 })),
          'not-yet-valid': 'a legacy ticket carries no start of validity',
          'wrong-audience': 'a legacy ticket names no audience',
          'wrong-issuer': 'a legacy ticket names no issuer; the shared secret is the only trust',
          'bad-signature': async () => ticket(mintTicket({ sub: 'ticket-holder', exp: now() + 300 }, 'another-secret-of-at-least-32-bytes!')),
          unsigned: async () => ticket(good().split('.')[0]!),
          'unknown-key': 'one shared secret, no key identifiers',
          oversized: async () => ticket(BIG),
        },
        replay: 'the legacy system allows a ticket to be presented until it expires',
      }));
    });

    describe('LEGACY_TICKET provider', () => {
      providerConformance(() => ({
        kind: 'LEGACY_TICKET',
        server: () => s,
        instance: 'conf-ticket',
        input: USER_IN,
        output: { gql: { type: 'CUSTOM', customType: 'LEGACY_TICKET' }, rest: { token_type: 'LEGACY_TICKET' } },
        validateType: 'CUSTOM',
        restState: (token) => ({ token_type: 'LEGACY_TICKET', token }),
        verifyIndependently: async (token) => {
          const [part, mac] = token.split('.');
          if (opensslHmac(part!, LEGACY_SECRET) !== mac) throw new Error('the ticket MAC does not verify with OpenSSL');
          const claims = JSON.parse(Buffer.from(part!, 'base64url').toString('utf8'));
          if (claims.sub !== 'plugger' || !(claims.exp > now())) throw new Error(`unexpected ticket claims ${JSON.stringify(claims)}`);
        },
        tamper: (token) => {
          const [part, mac] = token.split('.');
          const claims = JSON.parse(Buffer.from(part!, 'base64url').toString('utf8'));
          return `${Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')}.${mac}`;
        },
        // A ticket is opaque to Tessera: only its record vouches for it, and a changed one has none.
        tamperedReason: 'UNKNOWN',
      }));
    });

    describe('STAMP validator (test/kinds/stamp, registered in code)', () => {
      const stamp = (t: string): Presented => ({ gql: { type: 'STAMP', stamp: t }, rest: { token_type: 'STAMP', stamp: t } });
      const make = (sub: string, exp: number, secret = STAMP_SECRET) => `${sub}.${exp}.${opensslHmac(`${sub}.${exp}`, secret)}`;
      validatorConformance(() => ({
        kind: 'STAMP',
        server: () => s,
        instance: 'conf-stamp',
        output: OIDC_OUT,
        valid: async () => stamp(make('stamper', now() + 300)),
        defects: {
          expired: async () => stamp(make('stamper', now() - 1)),
          'not-yet-valid': 'a stamp has no start of validity',
          'wrong-audience': 'a stamp names no audience',
          'wrong-issuer': 'a stamp names no issuer',
          'bad-signature': async () => stamp(make('stamper', now() + 300, 'a-different-secret-of-32-bytes-or-more')),
          unsigned: async () => stamp(`stamper.${now() + 300}.`),
          'unknown-key': 'one secret per instance, no key identifiers',
          oversized: async () => stamp(BIG),
        },
        replay: 'a stamp may be presented until it expires',
      }));
    });

    describe('STAMP provider', () => {
      providerConformance(() => ({
        kind: 'STAMP',
        server: () => s,
        instance: 'conf-stamp',
        input: USER_IN,
        output: { gql: { type: 'STAMP' }, rest: { token_type: 'STAMP' } },
        validateType: 'STAMP',
        restState: (token) => ({ token_type: 'STAMP', stamp: token }),
        verifyIndependently: async (token) => {
          const [sub, exp, mac] = token.split('.');
          if (opensslHmac(`${sub}.${exp}`, STAMP_SECRET) !== mac) throw new Error('the stamp MAC does not verify with OpenSSL');
        },
        tamper: (token) => token.replace(/^plugger\./, 'mallory.'),
        tamperedReason: 'BAD_SIGNATURE',
      }));
    });

    for (const [statement, plugin] of Object.entries(STATEMENT_PLUGINS)) {
      describe(`SAML2 provider with the ${statement} plugin ${plugin}`, () => {
        const instance = `conf-saml-${statement.toLowerCase()}`;
        providerConformance(() => ({
          kind: `SAML2+${plugin}`,
          server: () => s,
          instance,
          input: USER_IN,
          output: { gql: { type: 'SAML2' }, rest: { token_type: 'SAML2' } },
          validateType: 'SAML2',
          restState: (token) => ({ token_type: 'SAML2', saml2_token: token }),
          verifyIndependently: async (token) => {
            await verifyAssertion(token, s.url, instance);
          },
          tamper: (token) => token.replace('plugger@example.com', 'mallory@example.com'),
          tamperedReason: 'BAD_SIGNATURE',
        }));
      });
    }
  });
}
