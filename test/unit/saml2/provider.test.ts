/** The SAML2 provider's request handling: confirmation methods, proof certificates, keys, defaults. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { TesseraError } from '../../../src/engine/errors.js';
import type { VerifiedSubject } from '../../../src/engine/types.js';
import { AUTHN_CONTEXT, BUILT_IN_SAML_PLUGINS, computeDefaultStatements } from '../../../src/tokens/saml2/builtin-statements.js';
import { buildIdpMetadata } from '../../../src/tokens/saml2/metadata.js';
import { ALG, NS } from '../../../src/tokens/saml2/xml.js';
import { xmlsecVerify, xmllintAssertion } from '../../support/saml.js';
import { CALLER, makeProvider, NOW, providerCtx, samlConfig, statementSubject, subject } from './setup.js';

function code(e: unknown): string | undefined {
  return e instanceof TesseraError ? e.code : undefined;
}

function rejectsWith(p: Promise<unknown>, expected: string, field?: string): Promise<void> {
  return assert.rejects(p, (e: unknown) => {
    assert.equal(code(e), expected, String(e));
    if (field) assert.equal((e as TesseraError).field, field);
    return true;
  });
}

function firstText(xml: string, local: string): string | null {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const el = doc.getElementsByTagNameNS(NS.saml, local)[0];
  return el ? el.textContent : null;
}

describe('SAML2 provider: confirmation methods', () => {
  it('BEARER is the default and returns the IssuedToken fields', async () => {
    const { provider, keys } = await makeProvider();
    const cfg = samlConfig({ signingKeyId: 'rsa-1' });
    const t = await provider.issue(subject(), { type: 'SAML2', subjectConfirmation: undefined as never }, providerCtx(cfg));
    assert.equal(t.type, 'SAML2');
    assert.match(t.tokenId, /^_[0-9a-f]{32}$/);
    assert.ok(t.token.includes(`ID="${t.tokenId}"`));
    assert.equal(t.subject, 'demo');
    assert.deepEqual(t.issuedAt, new Date('2030-01-01T12:00:00Z'));
    assert.deepEqual(t.expiresAt, new Date('2030-01-01T12:10:00Z'));
    assert.ok(t.token.includes('urn:oasis:names:tc:SAML:2.0:cm:bearer'));
    assert.deepEqual(keys.signingCalls.at(-1), { algorithm: 'RS256', kid: 'rsa-1' });
  });

  it('asks the key store for the key matching the signature algorithm', async () => {
    const { provider, keys, pki } = await makeProvider();
    for (const [alg, jws, cert] of [
      [ALG.rsaSha256, 'RS256', pki.rsa],
      [ALG.rsaSha512, 'RS512', pki.rsa512],
      [ALG.ecdsaSha256, 'ES256', pki.ec],
    ] as const) {
      const t = await provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig({ signatureAlgorithm: alg })));
      assert.deepEqual(keys.signingCalls.at(-1), { algorithm: jws });
      xmlsecVerify(t.token, cert.certPem);
    }
  });

  it('omits Recipient when no spAcsUrl is configured', async () => {
    const { provider } = await makeProvider();
    const t = await provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig({ spAcsUrl: undefined })));
    assert.ok(!t.token.includes('Recipient='));
    assert.ok(t.token.includes('<saml:SubjectConfirmationData NotOnOrAfter="2030-01-01T12:10:00Z">'));
    xmllintAssertion(t.token);
  });

  it('HOLDER_OF_KEY accepts PEM or base64 DER and defaults to the X509 input certificate', async () => {
    const { provider, pki } = await makeProvider();
    const cfg = samlConfig();
    for (const proof of [pki.client.certPem, pki.client.certDer, pki.client.certDer.replace(/(.{64})/g, '$1\n')]) {
      const t = await provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: proof }, providerCtx(cfg));
      assert.ok(t.token.includes(`<ds:X509Certificate>${pki.client.certDer}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></saml:SubjectConfirmationData>`));
    }
    const x509Subject: VerifiedSubject = subject({
      inputType: 'X509',
      certificateDer: pki.client.certDer,
      authn: { instant: new Date('2030-01-01T11:55:00Z'), methods: ['pop'], contextClass: AUTHN_CONTEXT.x509 },
    });
    const t = await provider.issue(x509Subject, { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY' }, providerCtx(cfg, { inputType: 'X509' }));
    assert.ok(t.token.includes(pki.client.certDer));
    assert.equal(firstText(t.token, 'AuthnContextClassRef'), AUTHN_CONTEXT.x509);
  });

  it('HOLDER_OF_KEY refuses a missing, garbage or expired certificate (BAD_USER_INPUT on output.proofCertificate)', async () => {
    const { provider, pki } = await makeProvider();
    const ctx = providerCtx(samlConfig());
    const cases: Array<[string, string | undefined]> = [
      ['missing', undefined],
      ['empty', ''],
      ['garbage', 'not a certificate at all'],
      ['base64 garbage', Buffer.from('garbage bytes').toString('base64')],
      ['PEM with garbage inside', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'],
      ['expired', pki.expired.certPem],
      ['huge', 'A'.repeat(20000)],
    ];
    for (const [, proof] of cases) {
      await rejectsWith(
        provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', ...(proof !== undefined ? { proofCertificate: proof } : {}) }, ctx),
        'BAD_USER_INPUT',
        'output.proofCertificate',
      );
    }
    // Not yet valid at the request time.
    await rejectsWith(
      provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: pki.client.certPem }, providerCtx(samlConfig(), { now: new Date('2019-06-01T00:00:00Z') })),
      'BAD_USER_INPUT',
    );
  });

  it('SENDER_VOUCHES needs an authenticated caller', async () => {
    const { provider } = await makeProvider();
    const cfg = samlConfig();
    await rejectsWith(provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'SENDER_VOUCHES' }, providerCtx(cfg)), 'UNAUTHENTICATED');
    const t = await provider.issue(
      subject(),
      { type: 'SAML2', subjectConfirmation: 'SENDER_VOUCHES' },
      providerCtx(cfg, { request: { caller: CALLER, clientAddress: '127.0.0.1', door: 'rest' } }),
    );
    assert.ok(t.token.includes('cm:sender-vouches"></saml:SubjectConfirmation>'));
  });

  it('refuses an unknown confirmation method (the field table refuses it first at every door)', async () => {
    const { provider } = await makeProvider();
    await rejectsWith(provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'PROOF' as never }, providerCtx(samlConfig())), 'BAD_USER_INPUT');
    assert.deepEqual(provider.fields.find((f) => f.key === 'subjectConfirmation')?.rule, { oneOf: ['BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'] });
  });

  it('a subject value XML cannot carry is BAD_USER_INPUT, not a broken document', async () => {
    const { provider } = await makeProvider();
    await rejectsWith(provider.issue(subject({ name: 'a\u0000b' }), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig())), 'BAD_USER_INPUT');
    await rejectsWith(
      provider.issue(subject({ attributes: { mail: 'x\u0007' } }), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig())),
      'BAD_USER_INPUT',
    );
  });

  it('encryption without an SP certificate or with an unknown algorithm is a configuration error (INTERNAL)', async () => {
    const { provider, pki } = await makeProvider();
    const out = { type: 'SAML2', subjectConfirmation: 'BEARER' } as const;
    await rejectsWith(provider.issue(subject(), out, providerCtx(samlConfig({ encryptAssertion: true }))), 'INTERNAL');
    await rejectsWith(
      provider.issue(subject(), out, providerCtx(samlConfig({ encryptNameId: true, spEncryptionCertificate: pki.sp.certPem, dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc' }))),
      'INTERNAL',
    );
    await rejectsWith(
      provider.issue(subject(), out, providerCtx(samlConfig({ encryptNameId: true, spEncryptionCertificate: pki.sp.certPem, keyTransportAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-1_5' }))),
      'INTERNAL',
    );
    // An EC certificate cannot take RSA-OAEP key transport.
    await rejectsWith(provider.issue(subject(), out, providerCtx(samlConfig({ encryptNameId: true, spEncryptionCertificate: pki.client.certPem }))), 'INTERNAL');
    await rejectsWith(provider.issue(subject(), out, providerCtx(samlConfig({ signatureAlgorithm: ALG.rsaSha1 }))), 'INTERNAL');
  });
});

describe('built-in statements', () => {
  it('name the authn context class the validator observed or assumed, else unspecified', () => {
    const cls = (authn: VerifiedSubject['authn']) =>
      computeDefaultStatements({ saml2: samlConfig(), subject: statementSubject(subject({ authn })), issueInstant: NOW, subjectConfirmation: 'BEARER' })
        .authenticationStatements[0]!.contextClassRef;
    const instant = new Date('2030-01-01T11:55:00Z');
    assert.equal(cls({ instant, contextClass: AUTHN_CONTEXT.x509 }), AUTHN_CONTEXT.x509);
    assert.equal(cls({ instant, assumedContextClass: AUTHN_CONTEXT.passwordProtectedTransport }), AUTHN_CONTEXT.passwordProtectedTransport);
    assert.equal(cls({ instant }), AUTHN_CONTEXT.unspecified);
  });

  it('compute PingAM-like defaults with the original AuthnInstant', () => {
    const d = computeDefaultStatements({ saml2: samlConfig(), subject: statementSubject(subject()), issueInstant: NOW, subjectConfirmation: 'BEARER' });
    assert.deepEqual(d.conditions, { notBefore: NOW, notOnOrAfter: new Date(NOW.getTime() + 600_000), audiences: ['https://sp.example.org/saml'] });
    assert.deepEqual(d.subject, { nameId: { value: 'demo', format: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified' } });
    // A fresh SessionIndex per assertion (SAML core 2.7.2), which SP libraries read.
    assert.match(d.authenticationStatements[0]!.sessionIndex ?? '', /^_[0-9a-f]{32}$/);
    assert.deepEqual(d.authenticationStatements, [{ authnInstant: new Date('2030-01-01T11:55:00Z'), contextClassRef: AUTHN_CONTEXT.passwordProtectedTransport, sessionIndex: d.authenticationStatements[0]!.sessionIndex }]);
    assert.equal(d.attributeStatements.length, 1);
    assert.deepEqual(d.attributeStatements[0]!.attributes[1], { name: 'groups', values: ['staff', 'dev'] });
    assert.deepEqual(d.attributeStatements[0]!.attributes[2], { name: 'urn:oid:2.5.4.3', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri', values: ['Demo User'] });
    assert.deepEqual(d.authorizationDecisionStatements, []);
  });

  it('omit the AttributeStatement when no mapped attribute has a value', async () => {
    const d = computeDefaultStatements({ saml2: samlConfig(), subject: statementSubject(subject({ attributes: { memberOf: [] } })), issueInstant: NOW, subjectConfirmation: 'BEARER' });
    assert.deepEqual(d.attributeStatements, []);
    const { provider } = await makeProvider();
    const t = await provider.issue(subject({ attributes: {} }), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig()));
    assert.ok(!t.token.includes('AttributeStatement'));
    xmllintAssertion(t.token);
  });

  it('are exported as five named plugins, one per kind, giving the same results', async () => {
    assert.deepEqual(
      BUILT_IN_SAML_PLUGINS.map((p) => [p.name, p.statement, p.kind]),
      [
        ['default-conditions', 'conditions', 'saml2-statement'],
        ['default-subject', 'subject', 'saml2-statement'],
        ['default-authentication-statements', 'authenticationStatements', 'saml2-statement'],
        ['default-attribute-statements', 'attributeStatements', 'saml2-statement'],
        ['default-authorization-decision-statements', 'authorizationDecisionStatements', 'saml2-statement'],
      ],
    );
    const cfg = samlConfig();
    const d = computeDefaultStatements({ saml2: cfg, subject: statementSubject(subject()), issueInstant: NOW, subjectConfirmation: 'BEARER' });
    for (const p of BUILT_IN_SAML_PLUGINS) {
      const r = await p.provide({
        instance: { name: 'demo', saml2: cfg as unknown as Record<string, unknown> },
        subject: (({ authnContextClass: _c, ...plugin }) => plugin)(statementSubject()),
        issueInstant: NOW,
        subjectConfirmation: 'BEARER',
        defaults: d[p.statement] as never,
      });
      assert.deepEqual(r, d[p.statement]);
    }
  });
});

describe('IdP metadata', () => {
  it('names the issuer, the signing certificate and the NameID format', async () => {
    const { pki } = await makeProvider();
    const xml = buildIdpMetadata(samlConfig({ issuer: 'https://sts.example.org/a?b=1&c=2' }), pki.rsa.certDer, {
      singleSignOnService: { binding: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP', location: 'https://sts.example.org/rest-sts/demo' },
    });
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    assert.equal(root.namespaceURI, NS.md);
    assert.equal(root.localName, 'EntityDescriptor');
    assert.equal(root.getAttribute('entityID'), 'https://sts.example.org/a?b=1&c=2');
    const idp = doc.getElementsByTagNameNS(NS.md, 'IDPSSODescriptor')[0]!;
    assert.equal(idp.getAttribute('protocolSupportEnumeration'), 'urn:oasis:names:tc:SAML:2.0:protocol');
    const kd = doc.getElementsByTagNameNS(NS.md, 'KeyDescriptor')[0]!;
    assert.equal(kd.getAttribute('use'), 'signing');
    assert.equal(doc.getElementsByTagNameNS(NS.ds, 'X509Certificate')[0]!.textContent, pki.rsa.certDer);
    assert.equal(doc.getElementsByTagNameNS(NS.md, 'NameIDFormat')[0]!.textContent, 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified');
    assert.equal(doc.getElementsByTagNameNS(NS.md, 'SingleSignOnService').length, 1);
    assert.throws(() => buildIdpMetadata(samlConfig(), '<evil/>'));
  });
});
