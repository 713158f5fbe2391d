/**
 * The PingAM publish JSON ↔ InstanceInput mapping (src/am/instance-state.ts) on its own: AM's documented
 * sample, both encodings of transforms and custom operations, AM's string booleans and numbers, class names
 * resolved to plugins, extension fields, what is ignored, errors named after AM's fields, and reads that map
 * back to the same input.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadUserInputError, ConflictError } from '../../../src/engine/errors.js';
import { FieldOrigins, fromAm, toAm, toAmError, type AmCatalog } from '../../../src/am/instance-state.js';
import { repoRoot } from '../../support/saml.js';

const SAMPLE = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'am', 'publish-sample.json'), 'utf8')) as {
  invocation_context: string;
  instance_state: Record<string, any>;
};

const CATALOG: AmCatalog = {
  sectionKeys: ['saml2', 'oidc', 'oidcTrust', 'x509Trust'],
  customKinds: [
    { name: 'ACME_TICKET', validator: { amClassNames: ['com.acme.MyValidator'] }, provider: { amClassNames: ['com.acme.MyProvider'] } },
    { name: 'LEGACY', validator: { amClassNames: [] } },
  ],
  samlPlugins: [
    { name: 'default-conditions', statement: 'conditions', builtIn: true },
    { name: 'default-attributeStatements', statement: 'attributeStatements', builtIn: true },
    { name: 'one-time-use', statement: 'conditions', builtIn: false, amClassNames: ['com.acme.OneTimeUseConditions'] },
    { name: 'static-tenant', statement: 'attributeStatements', builtIn: false, amClassNames: ['com.acme.TenantAttributes', 'com.acme.TenantMapper'] },
    { name: 'other-attributes', statement: 'attributeStatements', builtIn: false },
  ],
};

/** A deep copy of the sample with `edit` applied to its instance_state. */
function sample(edit: (s: Record<string, any>) => void = () => {}): { invocation_context: string; instance_state: Record<string, any> } {
  const copy = structuredClone(SAMPLE);
  edit(copy.instance_state);
  return copy;
}

/** The field and message of the BadUserInputError `fn` throws. */
function badInput(fn: () => unknown): { field: string | undefined; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BadUserInputError, `expected BAD_USER_INPUT, got ${String(e)}`);
    return { field: e.field, message: e.message };
  }
  assert.fail('expected a BAD_USER_INPUT error');
}

describe('AM publish JSON → InstanceInput', () => {
  test("PingAM's sample maps to Tessera's fields, and lists what has no effect", () => {
    const r = fromAm(SAMPLE, CATALOG);
    assert.deepEqual(r.input, {
      name: 'username-transformer',
      realm: '/',
      persistIssuedTokens: true,
      transforms: [
        { input: 'USERNAME', output: 'SAML2', invalidateInterimSession: true },
        { input: 'CUSTOM', output: 'SAML2', invalidateInterimSession: true, customInput: 'ACME_TICKET' },
      ],
      saml2: {
        issuer: 'http://idp.example.com/am',
        spEntityId: 'http://sp.example.com',
        spAcsUrl: 'http://sp.example.com/acs',
        nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
        lifetimeSeconds: 600,
        attributeMap: { email: 'mail' },
        signAssertion: true,
        encryptAssertion: false,
        encryptAttributes: false,
        encryptNameId: false,
        dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
      },
      oidc: {
        issuer: 'https://am.example.com/am/oauth2',
        audience: ['client1'],
        authorizedParty: 'client1',
        lifetimeSeconds: 600,
        signatureAlgorithm: 'RS256',
        claimMap: { email: 'mail' },
      },
    });
    const s = 'instance_state.saml2-config';
    const o = 'instance_state.oidc-id-token-config';
    const d = 'instance_state.deployment-config';
    assert.deepEqual([...r.ignored].sort(), ([
      `${d}.deployment-auth-target-mappings`,
      `${d}.deployment-offloaded-two-way-tls-header-key`,
      `${d}.deployment-tls-offload-engine-hosts`,
      'instance_state.custom-token-providers[0]',
      `${o}.oidc-keystore-location`,
      `${o}.oidc-keystore-password`,
      `${o}.oidc-public-key-reference-type`,
      `${o}.oidc-signature-key-alias`,
      `${o}.oidc-signature-key-password`,
      `${s}.saml2-encryption-algorithm-strength`,
      `${s}.saml2-encryption-key-alias`,
      `${s}.saml2-keystore-filename`,
      `${s}.saml2-keystore-password`,
      `${s}.saml2-signature-key-alias`,
      `${s}.saml2-signature-key-password`,
    ] as string[]).sort());
    assert.deepEqual(r.customTypes, { CUSTOM: 'ACME_TICKET' });
  });

  test('transforms and custom operations as pipe strings mean what the objects mean', () => {
    const objects = fromAm(SAMPLE, CATALOG).input;
    const pipes = fromAm(
      sample((st) => {
        st['supported-token-transforms'] = ['USERNAME|SAML2|TRUE'];
        st['custom-token-validators'] = ['CUSTOM|com.acme.MyValidator'];
        st['custom-token-providers'] = ['CUSTOM|com.acme.MyProvider'];
        st['custom-token-transforms'] = ['CUSTOM|SAML2|true'];
      }),
      CATALOG,
    ).input;
    assert.deepEqual(pipes, objects);
  });

  test('OPENAM is a Tessera session; booleans and numbers come as AM writes them or as JSON', () => {
    const r = fromAm(
      sample((st) => {
        st['supported-token-transforms'] = ['OPENAM|SAML2|false', { inputTokenType: 'USERNAME', outputTokenType: 'OPENIDCONNECT', invalidateInterimOpenAMSession: 'False' }];
        st['persist-issued-tokens-in-cts'] = false;
        st['saml2-config']['saml2-token-lifetime-seconds'] = 900;
        st['saml2-config']['saml2-sign-assertion'] = 'FALSE';
      }),
      CATALOG,
    ).input;
    assert.deepEqual((r.transforms as unknown[]).slice(0, 2), [
      { input: 'SESSION', output: 'SAML2', invalidateInterimSession: false },
      { input: 'USERNAME', output: 'OPENIDCONNECT', invalidateInterimSession: false },
    ]);
    assert.equal(r.persistIssuedTokens, false);
    assert.equal((r.saml2 as any).lifetimeSeconds, 900);
    assert.equal((r.saml2 as any).signAssertion, false);
  });

  test('a custom token name maps by class (amClassNames), else by token type; unused declarations are ignored', () => {
    const byName = fromAm(
      sample((st) => {
        st['custom-token-validators'] = ['LEGACY|com.example.Whatever'];
        st['custom-token-transforms'] = ['LEGACY|SAML2|false', 'USERNAME|CUSTOM|false'];
        st['custom-token-providers'] = ['CUSTOM|com.acme.MyProvider'];
      }),
      CATALOG,
    );
    assert.deepEqual((byName.input.transforms as unknown[]).slice(1), [
      { input: 'CUSTOM', output: 'SAML2', invalidateInterimSession: false, customInput: 'LEGACY' },
      { input: 'USERNAME', output: 'CUSTOM', invalidateInterimSession: false, customOutput: 'ACME_TICKET' },
    ]);
    assert.deepEqual(byName.customTypes, { CUSTOM: 'ACME_TICKET' });
    assert.ok(!byName.ignored.some((f) => f.startsWith('instance_state.custom-token-')));
  });

  test('SAML statement classes select plugins; AM defaults select the built-ins; a mapper must agree with its provider', () => {
    const base = 'org.forgerock.openam.sts.tokengeneration.saml2.statements';
    const r = fromAm(
      sample((st) => {
        const s = st['saml2-config'];
        s['saml2-custom-conditions-provider-class-name'] = 'com.acme.OneTimeUseConditions';
        s['saml2-custom-subject-provider-class-name'] = `${base}.DefaultSubjectProvider`;
        s['saml2-custom-attribute-statements-provider-class-name'] = 'com.acme.TenantAttributes';
        s['saml2-custom-attribute-mapper-class-name'] = 'com.acme.TenantMapper';
      }),
      CATALOG,
    );
    assert.deepEqual((r.input.saml2 as any).plugins, { conditions: 'one-time-use', attributeStatements: 'static-tenant' });
    const mapperOnly = fromAm(sample((st) => (st['saml2-config']['saml2-custom-attribute-mapper-class-name'] = 'other-attributes')), CATALOG);
    assert.deepEqual((mapperOnly.input.saml2 as any).plugins, { attributeStatements: 'other-attributes' });
  });

  test('extension fields carry the trust AM keeps in its modules; the TLS offload settings join the X.509 trust', () => {
    const trust = [{ issuer: 'https://idp.example.org', audience: ['tessera'], jwksUri: 'https://idp.example.org/jwks' }];
    const r = fromAm(
      sample((st) => {
        st['tessera-oidc-trust'] = trust;
        st['tessera-x509-trust'] = { caCertificates: ['<pem>'] };
        st['tessera-caller-roles'] = ['gateway'];
        st['deployment-config']['deployment-tls-offload-engine-hosts'] = ['10.0.0.6', 'ANY'];
      }),
      CATALOG,
    );
    assert.deepEqual(r.input.oidcTrust, trust);
    assert.deepEqual(r.input.callerRoles, ['gateway']);
    assert.deepEqual(r.input.x509Trust, { caCertificates: ['<pem>'], offloadHeader: 'ssl_client_cert', trustedProxies: ['0.0.0.0/0', '::/0'] });
    assert.ok(!r.ignored.some((f) => f.includes('offload')));
    const saml = fromAm(sample((st) => (st['saml2-config']['tessera-signature-algorithm'] = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512')), CATALOG);
    assert.equal((saml.input.saml2 as any).signatureAlgorithm, 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512');
  });

  test('an update must name the realm of its URL', () => {
    assert.doesNotThrow(() => fromAm(sample((st) => (st['deployment-config']['deployment-realm'] = '/alpha/')), CATALOG, { realm: '/alpha' }));
    const e = badInput(() => fromAm(SAMPLE, CATALOG, { realm: '/alpha' }));
    assert.equal(e.field, 'instance_state.deployment-config.deployment-realm');
  });

  // Each row: what is wrong in AM's JSON, and the AM field the error names.
  const NEGATIVE: Array<[string, (b: any) => void, string, RegExp?]> = [
    ['the console form', (b) => (b.invocation_context = 'invocation_context_view_bean'), 'invocation_context', /client SDK/],
    ['no invocation context', (b) => delete b.invocation_context, 'invocation_context'],
    ['no instance_state', (b) => delete b.instance_state, 'instance_state'],
    ['no deployment-config', (b) => delete b.instance_state['deployment-config'], 'instance_state.deployment-config'],
    ['no url element', (b) => delete b.instance_state['deployment-config']['deployment-url-element'], 'instance_state.deployment-config.deployment-url-element'],
    ['a boolean that is not one', (b) => (b.instance_state['persist-issued-tokens-in-cts'] = 'yes'), 'instance_state.persist-issued-tokens-in-cts'],
    ['a number that is not one', (b) => (b.instance_state['saml2-config']['saml2-token-lifetime-seconds'] = '10 minutes'), 'instance_state.saml2-config.saml2-token-lifetime-seconds'],
    ['a pipe string of two parts', (b) => (b.instance_state['supported-token-transforms'] = ['USERNAME|SAML2']), 'instance_state.supported-token-transforms[0]'],
    ['an invalidate flag that is not a boolean', (b) => (b.instance_state['supported-token-transforms'] = ['USERNAME|SAML2|maybe']), 'instance_state.supported-token-transforms[0]'],
    ['a transform that is a number', (b) => (b.instance_state['custom-token-transforms'] = [7]), 'instance_state.custom-token-transforms[0]'],
    ['a custom transform with nothing custom', (b) => (b.instance_state['custom-token-transforms'] = ['USERNAME|SAML2|true']), 'instance_state.custom-token-transforms[0]', /supported-token-transforms/],
    ['a validator of three parts', (b) => (b.instance_state['custom-token-validators'] = ['A|b|c']), 'instance_state.custom-token-validators[0]'],
    ['one name, two validators', (b) => (b.instance_state['custom-token-validators'] = ['CUSTOM|com.acme.MyValidator', 'CUSTOM|com.acme.Other']), 'instance_state.custom-token-validators[1]'],
    ['a validator class nothing stands in for', (b) => (b.instance_state['custom-token-validators'] = ['CUSTOM|com.acme.Unknown']), 'instance_state.custom-token-validators[0]', /ACME_TICKET \(com\.acme\.MyValidator\)/],
    ['a statement class nothing stands in for', (b) => (b.instance_state['saml2-config']['saml2-custom-conditions-provider-class-name'] = 'com.acme.Missing'), 'instance_state.saml2-config.saml2-custom-conditions-provider-class-name', /one-time-use \(com\.acme\.OneTimeUseConditions\)/],
    [
      'a mapper and a provider that select two plugins',
      (b) => {
        b.instance_state['saml2-config']['saml2-custom-attribute-statements-provider-class-name'] = 'com.acme.TenantAttributes';
        b.instance_state['saml2-config']['saml2-custom-attribute-mapper-class-name'] = 'other-attributes';
      },
      'instance_state.saml2-config.saml2-custom-attribute-mapper-class-name',
    ],
    ['a custom OIDC claim mapper', (b) => (b.instance_state['oidc-id-token-config']['oidc-custom-claim-mapper-class'] = 'com.acme.Claims'), 'instance_state.oidc-id-token-config.oidc-custom-claim-mapper-class', /oidc-claim-map/],
    ['a static attribute value', (b) => (b.instance_state['saml2-config']['saml2-attribute-map'] = { partnerID: '"static"' }), 'instance_state.saml2-config.saml2-attribute-map.partnerID'],
    ['a binary attribute', (b) => (b.instance_state['saml2-config']['saml2-attribute-map'] = { photo: 'photo;binary' }), 'instance_state.saml2-config.saml2-attribute-map.photo'],
    ['an unknown extension', (b) => (b.instance_state['tessera-oidc-trusts'] = []), 'instance_state.tessera-oidc-trusts', /tessera-oidc-trust, tessera-x509-trust/],
    ['an extension for what AM fields set', (b) => (b.instance_state['saml2-config']['tessera-issuer'] = 'x'), 'instance_state.saml2-config.tessera-issuer', /issuer-name/],
    ['a section that is a string', (b) => (b.instance_state['saml2-config'] = 'yes'), 'instance_state.saml2-config'],
    [
      'offload header disagreeing with the X.509 trust',
      (b) => (b.instance_state['tessera-x509-trust'] = { caCertificates: ['<pem>'], offloadHeader: 'x-client-cert', trustedProxies: ['10.0.0.6', '127.0.0.1'] }),
      'instance_state.deployment-config.deployment-offloaded-two-way-tls-header-key',
    ],
  ];
  for (const [what, edit, field, message] of NEGATIVE) {
    test(`400 naming AM's field: ${what}`, () => {
      const body = structuredClone(SAMPLE) as any;
      edit(body);
      const e = badInput(() => fromAm(body, CATALOG));
      assert.equal(e.field, field);
      assert.ok(e.message.startsWith(`${field}: `), e.message);
      if (message) assert.match(e.message, message);
    });
  }
});

describe("publish-service errors named after AM's fields", () => {
  const { origins } = fromAm(
    sample((st) => {
      st['supported-token-transforms'] = ['USERNAME|SAML2|true', 'OPENIDCONNECT|SAML2|true'];
      st['saml2-config']['saml2-encrypt-assertion'] = 'true';
      st['tessera-x509-trust'] = { caCertificates: ['<pem>'] };
    }),
    CATALOG,
  );
  const ROWS: Array<[string, string, string, RegExp?]> = [
    ['input.name', 'must be 1 to 63 lower-case letters', 'instance_state.deployment-config.deployment-url-element'],
    ['input.realm', 'must be a realm path', 'instance_state.deployment-config.deployment-realm'],
    ['input.saml2.issuer', 'is required.', 'instance_state.saml2-config.issuer-name'],
    ['input.saml2.attributeMap.email', 'must be a string.', 'instance_state.saml2-config.saml2-attribute-map.email'],
    ['input.saml2.plugins.conditions', 'no SAML plugin named "x" is loaded.', 'instance_state.saml2-config.saml2-custom-conditions-provider-class-name'],
    ['input.saml2.signatureAlgorithm', 'SHA-1 signature algorithms are refused', 'instance_state.saml2-config.tessera-signature-algorithm'],
    [
      'input.saml2.spEncryptionCertificate',
      'is required when encryptAssertion, encryptNameId or encryptAttributes is true.',
      'instance_state.saml2-config.tessera-sp-encryption-certificate',
      /when saml2-encrypt-assertion, saml2-encrypt-nameid or saml2-encrypt-attributes is true\. PingAM reads the SP's certificate/,
    ],
    ['input.oidc.clientSecret', 'must be at least 32 bytes', 'instance_state.oidc-id-token-config.oidc-client-secret'],
    ['input.transforms[1].input', 'unknown input type', 'instance_state.supported-token-transforms[1]'],
    ['input.transforms[2].customInput', 'no custom token validator', 'instance_state.custom-token-transforms[0]'],
    [
      'input.oidcTrust',
      'must list at least one trusted issuer: input.transforms[1] takes OPENIDCONNECT input.',
      'instance_state.tessera-oidc-trust',
      /: instance_state\.supported-token-transforms\[1\] takes OPENIDCONNECT input\. PingAM keeps this trust/,
    ],
    ['input.x509Trust.caCertificates[0]', 'is not a parseable X.509 certificate.', 'instance_state.tessera-x509-trust.caCertificates[0]'],
    ['input.persistIssuedTokens', 'must be true or false.', 'instance_state.persist-issued-tokens-in-cts'],
  ];
  for (const [tessera, message, am, rewritten] of ROWS) {
    test(`${tessera} → ${am}`, () => {
      const e = toAmError(new BadUserInputError(message, tessera), origins);
      assert.ok(e instanceof BadUserInputError);
      assert.equal(e.field, am);
      assert.ok(e.message.startsWith(`${am}: `), e.message);
      if (rewritten) assert.match(e.message, rewritten);
    });
  }

  test('other errors pass unchanged', () => {
    const conflict = new ConflictError('Instance x already exists.');
    assert.equal(toAmError(conflict, new FieldOrigins()), conflict);
    const noField = new BadUserInputError('The request body must be a JSON object.');
    assert.equal(toAmError(noField, origins), noField);
  });
});

describe('InstanceInput view → AM instance_state (reads)', () => {
  test("a read is AM's shape, strings for booleans and numbers, no secrets, and maps back to the same input", () => {
    const view = {
      name: 'oidc-to-saml',
      realm: '/alpha',
      transforms: [
        { input: 'OPENIDCONNECT', output: 'SAML2', invalidateInterimSession: true },
        { input: 'SESSION', output: 'OPENIDCONNECT', invalidateInterimSession: false },
        { input: 'CUSTOM', output: 'SAML2', invalidateInterimSession: false, customInput: 'ACME_TICKET' },
      ],
      persistIssuedTokens: false,
      callerRoles: ['gateway'],
      hasClientSecret: true,
      saml2: {
        issuer: 'https://idp.example.com',
        spEntityId: 'https://sp.example.com',
        nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
        attributeMap: { mail: 'mail' },
        lifetimeSeconds: 300,
        signAssertion: true,
        signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        encryptAssertion: false,
        encryptNameId: false,
        encryptAttributes: false,
        dataEncryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
        keyTransportAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
        plugins: { conditions: 'one-time-use' },
      },
      oidc: { issuer: 'https://tessera.example.com/sts/x', audience: ['rp'], signatureAlgorithm: 'HS256', claimMap: {}, lifetimeSeconds: 600, hasClientSecret: true },
      oidcTrust: [{ issuer: 'https://idp.example.org', audience: ['tessera'], jwks: null, jwksUri: 'https://idp.example.org/jwks', hasClientSecret: false }],
      x509Trust: { caCertificates: ['<pem>'], offloadHeader: 'x-client-cert', trustedProxies: ['10.0.0.1'] },
    };
    const state = toAm(view, CATALOG);
    assert.deepEqual(state['deployment-config'], {
      'deployment-url-element': 'oidc-to-saml',
      'deployment-realm': '/alpha',
      'deployment-auth-target-mappings': {},
      'deployment-offloaded-two-way-tls-header-key': 'x-client-cert',
      'deployment-tls-offload-engine-hosts': ['10.0.0.1'],
    });
    assert.equal(state['persist-issued-tokens-in-cts'], 'false');
    assert.deepEqual(state['supported-token-transforms'], [
      { inputTokenType: 'OPENIDCONNECT', outputTokenType: 'SAML2', invalidateInterimOpenAMSession: true },
      { inputTokenType: 'OPENAM', outputTokenType: 'OPENIDCONNECT', invalidateInterimOpenAMSession: false },
    ]);
    assert.deepEqual(state['custom-token-validators'], [{ customTokenName: 'ACME_TICKET', customOperationClassName: 'com.acme.MyValidator' }]);
    assert.deepEqual(state['custom-token-transforms'], [{ inputTokenType: 'ACME_TICKET', outputTokenType: 'SAML2', invalidateInterimOpenAMSession: false }]);
    const saml = state['saml2-config'] as Record<string, unknown>;
    assert.equal(saml['saml2-token-lifetime-seconds'], '300');
    assert.equal(saml['saml2-sign-assertion'], 'true');
    assert.equal(saml['saml2-custom-conditions-provider-class-name'], 'com.acme.OneTimeUseConditions');
    assert.equal(saml['saml2-custom-subject-provider-class-name'], null);
    assert.equal(saml['tessera-signature-algorithm'], view.saml2.signatureAlgorithm);
    const oidc = state['oidc-id-token-config'] as Record<string, unknown>;
    assert.equal(oidc['oidc-token-lifetime-seconds'], '600');
    assert.ok(!('oidc-client-secret' in oidc) && !JSON.stringify(state).includes('hasClientSecret'));
    assert.deepEqual(state['tessera-x509-trust'], { caCertificates: ['<pem>'] });
    assert.deepEqual(state['tessera-caller-roles'], ['gateway']);

    const back = fromAm({ invocation_context: 'invocation_context_client_sdk', instance_state: state }, CATALOG);
    const { hasClientSecret: _a, ...expectedOidc } = view.oidc;
    assert.deepEqual(back.input, {
      name: view.name,
      realm: view.realm,
      persistIssuedTokens: false,
      transforms: view.transforms,
      saml2: view.saml2,
      oidc: expectedOidc,
      oidcTrust: [{ issuer: 'https://idp.example.org', audience: ['tessera'], jwks: null, jwksUri: 'https://idp.example.org/jwks' }],
      x509Trust: view.x509Trust,
      callerRoles: ['gateway'],
    });
    assert.deepEqual(back.ignored, []);
  });
});
