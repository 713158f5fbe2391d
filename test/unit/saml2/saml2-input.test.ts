/**
 * The SAML2 input validator called directly (no HTTP, no database): what it reads from the signed assertion
 * (NameID exactly, attributes merged and safe as names, the authentication instant and class), the 60 s skew on
 * each bound, how long an ID is remembered, that a refusal remembers nothing, bearer confirmations one by one,
 * EncryptedAssertions whose plaintext is parsed in its namespace context and must be exactly one assertion,
 * and which key decrypts. The end-to-end and interop cases are in test/api/saml2-input*.test.ts.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { InvalidTokenError } from '../../../src/engine/errors.js';
import type { PublishedInstance, ValidatorContext, VerifiedSubject } from '../../../src/engine/types.js';
import { AUTHN_CONTEXT_CLASS } from '../../../src/tokens/authn-context.js';
import { encryptElement, encryptionSettings } from '../../../src/tokens/saml2/encrypt.js';
import { createSaml2Validator, decryptionKey } from '../../../src/tokens/saml2/saml2.validator.js';
import { signWithXmlCrypto } from '../../../src/tokens/saml2/sign.js';
import { ALG, NS } from '../../../src/tokens/saml2/xml.js';
import { makeReplayStore } from '../../support/pki.js';
import { fakeKeyProvider, signingKeyFrom, type TestCert } from '../../support/saml.js';
import { getPki, samlConfig } from './setup.js';

const NOW = new Date('2030-01-01T12:00:00Z');
const ISSUER = 'https://idp.partner.test';
const AUD = 'https://sts.example/saml-in';
const PUBLIC_URL = 'https://sts.example/';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const at = (s: number) => new Date(NOW.getTime() + s * 1000).toISOString().replace('.000Z', 'Z');

interface Parts {
  id?: string;
  issueInstant?: string;
  nameId?: string;
  conditions?: string;
  confirmations?: string;
  statements?: string;
}

/** A bearer assertion as a partner writes it, with any part replaced; unsigned. */
function assertion(p: Parts = {}): string {
  const id = p.id ?? `_${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
  return (
    `<saml:Assertion xmlns:saml="${NS.saml}" ID="${id}" Version="2.0" IssueInstant="${p.issueInstant ?? at(0)}">` +
    `<saml:Issuer>${ISSUER}</saml:Issuer>` +
    `<saml:Subject><saml:NameID>${p.nameId ?? 'alice@partner.test'}</saml:NameID>` +
    (p.confirmations ?? `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData NotOnOrAfter="${at(300)}"/></saml:SubjectConfirmation>`) +
    `</saml:Subject>` +
    (p.conditions ?? `<saml:Conditions NotBefore="${at(-60)}" NotOnOrAfter="${at(300)}"><saml:AudienceRestriction><saml:Audience>${AUD}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`) +
    (p.statements ??
      `<saml:AuthnStatement AuthnInstant="${at(-30)}"><saml:AuthnContext><saml:AuthnContextClassRef>${AUTHN_CONTEXT_CLASS.passwordProtectedTransport}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`) +
    `</saml:Assertion>`
  );
}

function attributeStatement(attrs: Array<[string, string[]]>): string {
  return `<saml:AttributeStatement>${attrs
    .map(([name, values]) => `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
    .join('')}</saml:AttributeStatement>`;
}

describe('SAML2 input validator', () => {
  let partner: TestCert;
  let instanceCert: TestCert;
  let sign: (xml: string) => string;

  before(async () => {
    const pki = await getPki();
    partner = pki.rsa;
    instanceCert = pki.sp;
    const key = signingKeyFrom(partner, 'partner', 'RS256');
    sign = (xml) => signWithXmlCrypto(xml, key, ALG.rsaSha256);
  });

  function setup(config: Record<string, unknown> = {}) {
    const replay = makeReplayStore();
    const keys = fakeKeyProvider([signingKeyFrom(instanceCert, 'instance-rsa', 'RS256')]);
    const validator = createSaml2Validator({ keys, replay, publicUrl: PUBLIC_URL });
    const instance: PublishedInstance = {
      id: 'i-1',
      config: {
        name: 'demo',
        transforms: [{ input: 'SAML2', output: 'OPENIDCONNECT', invalidateInterimSession: false }],
        persistIssuedTokens: true,
        saml2Trust: [{ issuer: ISSUER, certificates: [partner.certPem], audience: [AUD], recipients: ['https://gw.example/acs'], signatureAlgorithms: [ALG.rsaSha256] }],
        ...config,
      },
      createdAt: NOW,
      updatedAt: NOW,
    };
    const ctx = (now = NOW): ValidatorContext => ({ instance, request: { caller: null, clientAddress: '127.0.0.1', door: 'graphql' }, now });
    const run = (xml: string, now = NOW): Promise<VerifiedSubject> => validator.validate({ type: 'SAML2', samlAssertion: xml }, ctx(now));
    const refused = async (xml: string, message: RegExp, now = NOW) => {
      await assert.rejects(run(xml, now), (e: unknown) => e instanceof InvalidTokenError && message.test(e.message), `expected ${message}`);
    };
    return { run, refused, replay, keys, instance };
  }

  it('reads the subject, the merged attributes, the authentication instant and class from the signed assertion', async () => {
    const { run } = setup();
    const xml = sign(
      assertion({
        statements:
          `<saml:AuthnStatement AuthnInstant="${at(-45)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
          attributeStatement([['mail', ['a@partner.test']], ['groups', ['one']]]) +
          attributeStatement([['groups', ['two', 'R&amp;D']]]),
      }),
    );
    const v = await run(xml);
    assert.equal(v.name, 'alice@partner.test');
    assert.equal(v.inputType, 'SAML2');
    assert.equal(v.issuer, ISSUER);
    assert.deepEqual(v.attributes, { mail: 'a@partner.test', groups: ['one', 'two', 'R&D'] });
    assert.equal(v.authn.instant.toISOString(), new Date(NOW.getTime() - 45_000).toISOString());
    assert.equal(v.authn.assumedContextClass, 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509');
    assert.equal(v.authn.contextClass, undefined, 'the partner\'s class is not one Tessera observed');
  });

  it('attribute names: Object.prototype members are plain names or dropped, control characters dropped, nothing inherited', async () => {
    const { run } = setup();
    const v = await run(
      sign(
        assertion({
          statements: attributeStatement([
            ['toString', ['t']],
            ['hasOwnProperty', ['h']],
            ['constructor', ['c']],
            ['__proto__', ['p']],
            ['prototype', ['q']],
            ['bad&#x1;name', ['x']],
            ['ok', ['a&#x1;b', 'fine']],
          ]),
        }),
      ),
    );
    assert.deepEqual(Object.keys(v.attributes).sort(), ['hasOwnProperty', 'ok', 'toString']);
    assert.equal(v.attributes.toString, 't');
    assert.equal(v.attributes.ok, 'fine', 'a value with a control character is dropped');
    assert.equal(Object.getPrototypeOf(v.attributes), Object.prototype);
  });

  it('an AuthnContextClassRef that is not a URI becomes unspecified; no AuthnStatement: the IssueInstant', async () => {
    const { run } = setup();
    const v = await run(sign(assertion({ statements: `<saml:AuthnStatement AuthnInstant="${at(-10)}"><saml:AuthnContext><saml:AuthnContextClassRef>not a uri</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` })));
    assert.equal(v.authn.assumedContextClass, AUTHN_CONTEXT_CLASS.unspecified);
    const w = await run(sign(assertion({ issueInstant: at(-5), statements: '' })));
    assert.equal(w.authn.instant.toISOString(), new Date(NOW.getTime() - 5000).toISOString());
  });

  it('the NameID exactly as signed: padded, empty, control characters or over 512 characters are refused', async () => {
    const { refused } = setup();
    for (const nameId of [' admin', 'admin ', '', 'ad&#x7;min', 'x'.repeat(513)]) {
      await refused(sign(assertion({ nameId })), /NameID is empty, longer than 512 characters, padded with white space or holds control characters/);
    }
  });

  it('60 s of skew on NotBefore, NotOnOrAfter, the bearer NotOnOrAfter and the IssueInstant, and no more', async () => {
    const { run, refused } = setup();
    const cond = (nb: number, noa: number) => `<saml:Conditions NotBefore="${at(nb)}" NotOnOrAfter="${at(noa)}"><saml:AudienceRestriction><saml:Audience>${AUD}</saml:Audience></saml:AudienceRestriction></saml:Conditions>`;
    const scd = (noa: number) => `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData NotOnOrAfter="${at(noa)}"/></saml:SubjectConfirmation>`;
    await run(sign(assertion({ conditions: cond(-600, -30), confirmations: scd(-30) })));
    await refused(sign(assertion({ conditions: cond(-600, -61) })), /expired \(NotOnOrAfter\)/);
    await refused(sign(assertion({ confirmations: scd(-61) })), /bearer confirmation has expired/);
    await run(sign(assertion({ conditions: cond(30, 300), issueInstant: at(30) })));
    await refused(sign(assertion({ conditions: cond(61, 300) })), /not valid yet \(NotBefore\)/);
    await refused(sign(assertion({ issueInstant: at(61) })), /IssueInstant is in the future/);
    await refused(sign(assertion({ conditions: `<saml:Conditions NotOnOrAfter="2030-01-01T12:05:00+01:00"/>` })), /not a UTC xs:dateTime/);
    await refused(sign(assertion({ conditions: `<saml:Conditions NotOnOrAfter="2030-02-31T12:05:00Z"/>` })), /not a valid time|names no audience/);
  });

  it('remembers the ID until the later NotOnOrAfter plus the skew; a refusal remembers nothing', async () => {
    const { run, refused, replay } = setup();
    await refused(sign(assertion({ conditions: `<saml:Conditions NotOnOrAfter="${at(300)}"><saml:AudienceRestriction><saml:Audience>elsewhere</saml:Audience></saml:AudienceRestriction></saml:Conditions>` })), /not meant for this audience/);
    assert.equal(replay.entries.size, 0);
    const xml = sign(assertion({ confirmations: `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData NotOnOrAfter="${at(900)}"/></saml:SubjectConfirmation>` }));
    await run(xml);
    assert.deepEqual([...replay.entries.values()].map((d) => d.toISOString()), [new Date(NOW.getTime() + 960_000).toISOString()]);
    await refused(xml, /already used/);
  });

  it('bearer confirmations: one that holds is enough; NotBefore, no data or another recipient do not hold; other methods are ignored', async () => {
    const { run, refused } = setup();
    const c = (data: string, method = BEARER) => `<saml:SubjectConfirmation Method="${method}">${data}</saml:SubjectConfirmation>`;
    const good = `<saml:SubjectConfirmationData NotOnOrAfter="${at(300)}" Recipient="https://sts.example/rest-sts/demo"/>`;
    await run(sign(assertion({ confirmations: c('') + c(`<saml:SubjectConfirmationData NotOnOrAfter="${at(300)}" Recipient="https://evil/acs"/>`) + c(good) })));
    await run(sign(assertion({ confirmations: c(good, 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key') + c(`<saml:SubjectConfirmationData NotOnOrAfter="${at(300)}" Recipient="https://gw.example/acs"/>`) })));
    await run(sign(assertion({ confirmations: c(`<saml:SubjectConfirmationData NotOnOrAfter="${at(300)}" Recipient="https://sts.example/sts/demo/token"/>`) })));
    await refused(
      sign(assertion({ confirmations: c(`<saml:SubjectConfirmationData NotBefore="${at(-10)}" NotOnOrAfter="${at(300)}"/>`) + c('') })),
      /must not carry NotBefore; no SubjectConfirmationData/,
    );
    await refused(sign(assertion({ confirmations: c(`<saml:SubjectConfirmationData NotOnOrAfter="${at(300)}" Recipient=""/>`) })), /another recipient/);
  });

  it('Conditions: exactly one element; OneTimeUse and ProxyRestriction are understood, anything else is refused', async () => {
    const { run, refused } = setup();
    const aud = `<saml:AudienceRestriction><saml:Audience>${AUD}</saml:Audience></saml:AudienceRestriction>`;
    await run(sign(assertion({ conditions: `<saml:Conditions NotOnOrAfter="${at(300)}">${aud}<saml:OneTimeUse/><saml:ProxyRestriction Count="0"/></saml:Conditions>` })));
    await refused(sign(assertion({ conditions: `<saml:Conditions NotOnOrAfter="${at(300)}">${aud}<x:Custom xmlns:x="urn:x"/></saml:Conditions>` })), /condition Tessera does not understand \(Custom\)/);
    await refused(sign(assertion({ conditions: `<saml:Conditions NotOnOrAfter="${at(300)}">${aud}</saml:Conditions><saml:Conditions NotOnOrAfter="${at(300)}">${aud}</saml:Conditions>` })), /one Conditions element/);
    await refused(sign(assertion({ conditions: '' })), /one Conditions element/);
  });

  describe('EncryptedAssertion', () => {
    const encrypted = (plaintext: string, dataAlg: string = ALG.aes256Gcm) =>
      `<saml:EncryptedAssertion xmlns:saml="${NS.saml}">${encryptElement(plaintext, encryptionSettings(instanceCert.certPem, dataAlg, ALG.rsaOaepMgf1p))}</saml:EncryptedAssertion>`;

    it('decrypts with the instance key, with AES-GCM and AES-CBC', async () => {
      const { run } = setup();
      assert.equal((await run(encrypted(sign(assertion())))).name, 'alice@partner.test');
      assert.equal((await run(encrypted(sign(assertion()), ALG.aes128Cbc))).name, 'alice@partner.test');
    });

    it('parses the plaintext in the namespace context it was encrypted in (prefix declared on the Response only)', async () => {
      const { run } = setup();
      const signed = sign(assertion());
      // What XML Encryption of an element inside a Response serialises: the element without inherited declarations.
      const bare = signed.replace(` xmlns:saml="${NS.saml}"`, '');
      assert.notEqual(bare, signed);
      const response =
        `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${NS.saml}" ID="_r1" Version="2.0" IssueInstant="${at(0)}">` +
        `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
        `<saml:EncryptedAssertion>${encryptElement(bare, encryptionSettings(instanceCert.certPem, ALG.aes256Gcm, ALG.rsaOaepMgf1p))}</saml:EncryptedAssertion></samlp:Response>`;
      assert.equal((await run(response)).name, 'alice@partner.test');
    });

    it('the plaintext must be exactly one saml:Assertion, well-formed, without a DTD', async () => {
      const { refused } = setup();
      const a = sign(assertion());
      await refused(encrypted(a + a), /does not hold exactly one saml:Assertion/);
      await refused(encrypted(a + 'trailing text'), /does not hold exactly one saml:Assertion/);
      await refused(encrypted(`<saml:Issuer xmlns:saml="${NS.saml}">x</saml:Issuer>`), /does not hold exactly one saml:Assertion/);
      await refused(encrypted(`<!DOCTYPE a [<!ENTITY e "x">]>${a}`), /decrypted assertion is not acceptable XML: DTDs/);
      await refused(encrypted('<saml:Assertion'), /decrypted assertion is not acceptable XML/);
      await refused(encrypted(`<x:Assertion xmlns:x="urn:not-saml"/>`), /does not hold exactly one saml:Assertion/);
    });

    it('which key decrypts: the SAML signing key when it is RSA, else the active RS256 key', async () => {
      const { keys, instance } = setup();
      await decryptionKey(keys, instance);
      await decryptionKey(keys, { ...instance, config: { ...instance.config, saml2: samlConfig({ signatureAlgorithm: ALG.ecdsaSha256 }) } });
      await decryptionKey(keys, { ...instance, config: { ...instance.config, saml2: samlConfig({ signingKeyId: 'instance-rsa' }) } });
      assert.deepEqual(keys.signingCalls, [{ algorithm: 'RS256' }, { algorithm: 'RS256' }, { algorithm: 'RS256', kid: 'instance-rsa' }]);
    });
  });

  describe('EncryptedID', () => {
    const encryptedId = (plaintext: string) =>
      `<saml:EncryptedID>${encryptElement(plaintext, encryptionSettings(instanceCert.certPem, ALG.aes256Gcm, ALG.rsaOaepMgf1p))}</saml:EncryptedID>`;
    const withSubject = (ids: string) => assertion().replace(/<saml:NameID>[^<]*<\/saml:NameID>/, ids);
    const nameId = (v: string) => `<saml:NameID xmlns:saml="${NS.saml}">${v}</saml:NameID>`;

    it('the NameID inside is the subject, read after the signature over the EncryptedID is checked', async () => {
      const { run } = setup();
      const s = await run(sign(withSubject(encryptedId(nameId('hidden@partner.test')))));
      assert.equal(s.name, 'hidden@partner.test');
    });

    it('must hold exactly one NameID without children, and may not stand beside a plain NameID', async () => {
      const { refused } = setup();
      await refused(sign(withSubject(encryptedId(nameId('a') + nameId('b')))), /EncryptedID does not hold exactly one saml:NameID/);
      await refused(sign(withSubject(encryptedId(`<saml:NameID xmlns:saml="${NS.saml}">a<saml:Extra/></saml:NameID>`))), /EncryptedID does not hold exactly one saml:NameID/);
      await refused(sign(withSubject(encryptedId(`<saml:Issuer xmlns:saml="${NS.saml}">x</saml:Issuer>`))), /EncryptedID does not hold exactly one saml:NameID/);
      await refused(sign(withSubject(`<saml:NameID>plain</saml:NameID>${encryptedId(nameId('hidden'))}`)), /both a NameID and an EncryptedID/);
      await refused(sign(withSubject('')), /no Subject NameID or EncryptedID/);
    });
  });

  it('a Response without a Status, or with a non-Success one, is refused before anything is decrypted or verified', async () => {
    const { refused } = setup();
    const body = sign(assertion());
    await refused(`<samlp:Response xmlns:samlp="${PROTOCOL}" ID="_r" Version="2.0" IssueInstant="${at(0)}">${body}</samlp:Response>`, /not a success \(status "missing"\)/);
    await refused(
      `<samlp:Response xmlns:samlp="${PROTOCOL}" ID="_r" Version="2.0" IssueInstant="${at(0)}"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/></samlp:Status>${body}</samlp:Response>`,
      /not a success \(status "urn:oasis:names:tc:SAML:2\.0:status:Responder"\)/,
    );
  });

  it('the trust entry\'s pinned algorithms and the key rule: rsa-sha512 where only rsa-sha256 is pinned is refused', async () => {
    const { refused } = setup();
    const pki = await getPki();
    const xml = signWithXmlCrypto(assertion(), signingKeyFrom(partner, 'partner', 'RS512'), ALG.rsaSha512);
    await refused(xml, /signature algorithm is not one this trust entry accepts/);
    const ec = signWithXmlCrypto(assertion(), signingKeyFrom(pki.ec, 'ec', 'ES256'), ALG.ecdsaSha256);
    const { refused: refusedAll } = setup({
      saml2Trust: [{ issuer: ISSUER, certificates: [partner.certPem], audience: [AUD], signatureAlgorithms: [ALG.rsaSha256, ALG.ecdsaSha256] }],
    });
    await refusedAll(ec, /no trusted certificate fits the signature algorithm/);
  });
});
