/**
 * The builder writes exclusive canonical XML: re-canonicalizing what it produces must change nothing, or the
 * digest computed over the string would not match what a verifier computes. Both signing paths must agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOMParser } from '@xmldom/xmldom';
import { ExclusiveCanonicalization } from 'xml-crypto';
import { buildAssertion, type AssertionInput } from '../../../src/tokens/saml2/assertion-builder.js';
import { computeDefaultStatements } from '../../../src/tokens/saml2/builtin-statements.js';
import { encryptAttribute, encryptionSettings, encryptNameId } from '../../../src/tokens/saml2/encrypt.js';
import { benchSigning } from '../../../src/tokens/saml2/bench-signing.js';
import { signCanonical, signWithXmlCrypto } from '../../../src/tokens/saml2/sign.js';
import { ALG, escapeAttr, escapeText, XmlCharError, xsDateTime } from '../../../src/tokens/saml2/xml.js';
import { signingKeyFrom, xmlsecVerify, xmllintAssertion } from '../../support/saml.js';
import { getPki, NOW, samlConfig, subject, TRICKY, statementSubject } from './setup.js';

function canonicalize(xml: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return new ExclusiveCanonicalization().process(doc.documentElement, {}).toString();
}

async function input(over: Partial<AssertionInput> = {}): Promise<AssertionInput> {
  const p = await getPki();
  const statements = computeDefaultStatements({
    saml2: samlConfig(),
    subject: statementSubject(subject()),
    issueInstant: NOW,
    subjectConfirmation: over.subjectConfirmation ?? 'BEARER',
  });
  statements.subject.nameId = { value: `n${TRICKY}`, format: 'urn:f', nameQualifier: `q${TRICKY}`, spNameQualifier: 'sp"q' };
  statements.conditions.oneTimeUse = true;
  statements.authenticationStatements[0]!.sessionIndex = `s${TRICKY}`;
  statements.attributeStatements[0]!.attributes.push({ name: `x${TRICKY}`, friendlyName: `f${TRICKY}`, nameFormat: 'urn:nf', values: ['', TRICKY] });
  statements.authorizationDecisionStatements = [
    { resource: "https://r.example/a?b=1&c='2'#f", decision: 'Deny', actions: [{ value: 'GET' }, { namespace: 'urn:ns', value: TRICKY }] },
  ];
  return {
    id: '_0123456789abcdef0123456789abcdef',
    issueInstant: NOW,
    issuer: `https://issuer.example/${TRICKY}`,
    statements,
    subjectConfirmation: 'BEARER',
    recipient: "https://sp.example.org/acs?a=1&b='2'",
    confirmationNotOnOrAfter: statements.conditions.notOnOrAfter!,
    proofCertificateDer: p.client.certDer,
    ...over,
  };
}

describe('canonical assertion builder', () => {
  for (const method of ['BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'] as const) {
    it(`is its own exclusive canonical form (${method})`, async () => {
      const a = buildAssertion(await input({ subjectConfirmation: method }));
      const xml = a.head + a.tail;
      assert.equal(canonicalize(xml), xml);
      xmllintAssertion(xml);
    });
  }

  it('stays canonical with EncryptedID and EncryptedAttribute inside', async () => {
    const p = await getPki();
    const enc = encryptionSettings(p.sp.certPem, ALG.aes256Gcm, ALG.rsaOaepMgf1p);
    const a = buildAssertion(
      await input({ subjectConfirmation: 'HOLDER_OF_KEY', wrapNameId: (x) => encryptNameId(x, enc), wrapAttribute: (x) => encryptAttribute(x, enc) }),
    );
    const xml = a.head + a.tail;
    assert.equal(canonicalize(xml), xml);
    assert.ok(!xml.includes('<saml:NameID'));
    assert.ok(!xml.includes('<saml:Attribute '));
    xmllintAssertion(xml);
  });

  it('escapes text and attributes as c14n does and refuses what XML cannot carry', () => {
    assert.equal(escapeText('a&b<c>d"e\'\r\n\t'), 'a&amp;b&lt;c&gt;d"e\'&#xD;\n\t');
    assert.equal(escapeAttr('a&b<c>d"e\'\r\n\t'), 'a&amp;b&lt;c>d&quot;e\'&#xD;&#xA;&#x9;');
    for (const bad of ['\u0000', '\u0001', '\u001f', '\uFFFE', '\uD800', 'x\uDC00y']) {
      assert.throws(() => escapeText(bad), XmlCharError);
      assert.throws(() => escapeAttr(bad), XmlCharError);
    }
    assert.equal(escapeText('𝄞'), '𝄞');
  });

  it('writes xs:dateTime in UTC with Z and whole seconds', () => {
    assert.equal(xsDateTime(new Date('2030-01-01T12:00:00.999Z')), '2030-01-01T12:00:00Z');
  });
});

describe('signing paths', () => {
  for (const [alg, kind] of [
    [ALG.rsaSha256, 'rsa'],
    [ALG.rsaSha512, 'rsa512'],
    [ALG.ecdsaSha256, 'ec'],
  ] as const) {
    it(`direct and xml-crypto signatures both verify with xmlsec1 (${alg.split('#')[1]})`, async () => {
      const p = await getPki();
      const cert = p[kind];
      const key = signingKeyFrom(cert, 'k1', kind === 'ec' ? 'ES256' : kind === 'rsa' ? 'RS256' : 'RS512');
      const a = buildAssertion(await input());
      const direct = await signCanonical(a, key, alg);
      const viaLib = signWithXmlCrypto(a.head + a.tail, key, alg);
      xmlsecVerify(direct, cert.certPem);
      xmlsecVerify(viaLib, cert.certPem);
      xmllintAssertion(direct);
      xmllintAssertion(viaLib);
      const digest = (x: string) => /<ds:DigestValue>([^<]+)</.exec(x)![1];
      const value = (x: string) => /<ds:SignatureValue>([^<]+)</.exec(x)![1];
      // Same canonical bytes, so the same digest; RSA PKCS#1 v1.5 is deterministic, so the same signature.
      assert.equal(digest(direct), digest(viaLib));
      if (kind !== 'ec') assert.equal(value(direct), value(viaLib));
      // The signed document is itself canonical.
      assert.equal(canonicalize(direct), direct);
    });
  }

  it('refuses a key that does not fit the algorithm', async () => {
    const p = await getPki();
    const a = buildAssertion(await input());
    await assert.rejects(signCanonical(a, signingKeyFrom(p.ec, 'k', 'ES256'), ALG.rsaSha256));
    await assert.rejects(signCanonical(a, signingKeyFrom(p.rsa, 'k', 'RS256'), ALG.ecdsaSha256));
    await assert.rejects(signCanonical(a, signingKeyFrom(p.rsa, 'k', 'RS256'), ALG.rsaSha1));
  });
});

describe('signing benchmark', () => {
  it('reports operations per second for both paths', async () => {
    const r = await benchSigning(3);
    assert.ok(Number.isFinite(r.direct) && r.direct > 0);
    assert.ok(Number.isFinite(r.xmlCrypto) && r.xmlCrypto > 0);
  });
});
