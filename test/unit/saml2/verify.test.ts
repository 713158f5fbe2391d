/**
 * verifyIssued against hostile tokens (DESIGN.md §4; xml-crypto CVE-2024-32962, CVE-2025-29774/29775 and the
 * XSW family): it never throws for a bad token and reports MALFORMED, BAD_SIGNATURE or EXPIRED.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignedXml } from 'xml-crypto';
import type { VerifyIssuedResult } from '../../../src/engine/types.js';
import type { Saml2Config } from '../../../src/tokens/saml2/saml2.config.js';
import { buildAssertion } from '../../../src/tokens/saml2/assertion-builder.js';
import { computeDefaultStatements } from '../../../src/tokens/saml2/builtin-statements.js';
import { createSaml2Provider } from '../../../src/tokens/saml2/saml2.provider.js';
import { signCanonical, signWithXmlCrypto } from '../../../src/tokens/saml2/sign.js';
import { verifyIssuedAssertion } from '../../../src/tokens/saml2/verify.js';
import { ALG, newAssertionId } from '../../../src/tokens/saml2/xml.js';
import { fakeKeyProvider, signingKeyFrom, xmlsecVerify } from '../../support/saml.js';
import { getPki, instance, makeProvider, NOW, providerCtx, samlConfig, subject, TRICKY, statementSubject } from './setup.js';

const LATER = new Date('2030-01-01T12:05:00Z');

async function setup(cfgOver: Partial<Saml2Config> = {}) {
  const { provider, pki } = await makeProvider();
  const cfg = samlConfig(cfgOver);
  const issued = await provider.issue(subject(), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(cfg));
  const verify = (token: string, now = LATER, checkExpiry = true): Promise<VerifyIssuedResult> =>
    provider.verifyIssued!(token, { instance: instance(cfg), now, checkExpiry });
  return { provider, pki, cfg, issued, verify };
}

/** An assertion for the same subject, signed with whatever key and algorithm a test wants. */
async function assertionSignedBy(sign: (unsigned: { id: string; head: string; tail: string }) => Promise<string> | string): Promise<string> {
  const statements = computeDefaultStatements({ saml2: samlConfig(), subject: statementSubject(subject()), issueInstant: NOW, subjectConfirmation: 'BEARER' });
  const a = buildAssertion({
    id: newAssertionId(),
    issueInstant: NOW,
    issuer: samlConfig().issuer,
    statements,
    subjectConfirmation: 'BEARER',
    confirmationNotOnOrAfter: statements.conditions.notOnOrAfter!,
  });
  return sign(a);
}

function bad(reason: string): VerifyIssuedResult {
  return { ok: false, reason: reason as never };
}

describe('verifyIssued', () => {
  it('accepts an untouched assertion and reads ID, NameID and expiry from the signed bytes', async () => {
    const { issued, verify } = await setup();
    assert.deepEqual(await verify(issued.token), { ok: true, tokenId: issued.tokenId, subject: 'demo', expiresAt: issued.expiresAt });
    // With an XML declaration in front, too.
    assert.equal((await verify(`<?xml version="1.0" encoding="UTF-8"?>\n${issued.token}`)).ok, true);
  });

  it('reports EXPIRED only when asked to check expiry', async () => {
    const { issued, verify } = await setup();
    assert.deepEqual(await verify(issued.token, new Date('2030-01-01T12:10:00Z')), bad('EXPIRED'));
    assert.equal((await verify(issued.token, new Date('2030-01-01T12:10:00Z'), false)).ok, true);
  });

  it('rejects a tampered attribute value or NameID (BAD_SIGNATURE)', async () => {
    const { issued, verify } = await setup();
    const t1 = issued.token.replace('<saml:AttributeValue>staff</saml:AttributeValue>', '<saml:AttributeValue>admins</saml:AttributeValue>');
    const t2 = issued.token.replace('>demo</saml:NameID>', '>admin</saml:NameID>');
    const t3 = issued.token.replace('NotOnOrAfter="2030-01-01T12:10:00Z"><saml:AudienceRestriction>', 'NotOnOrAfter="2031-01-01T12:10:00Z"><saml:AudienceRestriction>');
    for (const t of [t1, t2, t3]) {
      assert.notEqual(t, issued.token);
      assert.deepEqual(await verify(t), bad('BAD_SIGNATURE'));
    }
  });

  it('rejects an unsigned copy reusing a real ID unless the instance issues unsigned assertions', async () => {
    const { issued, verify, cfg } = await setup();
    const unsigned = issued.token.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, '');
    assert.ok(unsigned.includes(issued.tokenId) && !unsigned.includes('Signature'));
    assert.deepEqual(await verify(unsigned), bad('BAD_SIGNATURE'));
    const { provider } = await makeProvider();
    const unsignedCfg = { ...cfg, signAssertion: false };
    assert.deepEqual(await provider.verifyIssued!(unsigned, { instance: instance(unsignedCfg), now: LATER, checkExpiry: true }), { ok: true, recordOnly: true });
  });

  it("rejects a signature by another key, even with that key's certificate in KeyInfo", async () => {
    const { verify, pki } = await setup();
    const forged = await assertionSignedBy((a) => signCanonical(a, signingKeyFrom(pki.other, 'evil', 'RS256'), ALG.rsaSha256));
    xmlsecVerify(forged, pki.other.certPem); // a valid signature, just not ours
    assert.throws(() => xmlsecVerify(forged, pki.rsa.certPem));
    assert.deepEqual(await verify(forged), bad('BAD_SIGNATURE'));
  });

  it('ignores KeyInfo: our signature with an attacker certificate in KeyInfo still verifies by our key only', async () => {
    const { issued, verify, pki } = await setup();
    const swapped = issued.token.replace(/<ds:X509Certificate>[^<]+<\/ds:X509Certificate>/, `<ds:X509Certificate>${pki.other.certDer}</ds:X509Certificate>`);
    assert.notEqual(swapped, issued.token);
    assert.equal((await verify(swapped)).ok, true);
  });

  it('verifies with a rotated (still published) key and refuses one no longer listed', async () => {
    const pki = await getPki();
    const old = signingKeyFrom(pki.other, 'old-1', 'RS256');
    const token = await assertionSignedBy((a) => signCanonical(a, old, ALG.rsaSha256));
    const cfg = samlConfig();
    const withOld = createSaml2Provider({ keys: fakeKeyProvider([signingKeyFrom(pki.rsa, 'rsa-1', 'RS256'), old]), resolvePlugin: () => undefined, pluginTimeoutMs: 100 });
    assert.equal((await withOld.verifyIssued!(token, { instance: instance(cfg), now: LATER, checkExpiry: true })).ok, true);
    // Listed, but bound to another algorithm: not used.
    const wrongAlg = createSaml2Provider({ keys: fakeKeyProvider([{ ...old, algorithm: 'RS512' }]), resolvePlugin: () => undefined, pluginTimeoutMs: 100 });
    assert.deepEqual(await wrongAlg.verifyIssued!(token, { instance: instance(cfg), now: LATER, checkExpiry: true }), bad('BAD_SIGNATURE'));
  });

  it('accepts what the xml-crypto signing path produces (same shape)', async () => {
    const { verify, pki } = await setup();
    const token = await assertionSignedBy((a) => signWithXmlCrypto(a.head + a.tail, signingKeyFrom(pki.rsa, 'rsa-1', 'RS256'), ALG.rsaSha256));
    assert.equal((await verify(token)).ok, true);
  });

  it('pins the configured algorithm: RSA-SHA1 and a different algorithm are refused', async () => {
    const { verify, pki } = await setup();
    const sha1 = await assertionSignedBy((a) => {
      const sig = new SignedXml({ privateKey: pki.rsa.privateKey, signatureAlgorithm: ALG.rsaSha1, canonicalizationAlgorithm: ALG.excC14n });
      sig.addReference({ xpath: "/*[local-name()='Assertion']", transforms: [ALG.envelopedSignature, ALG.excC14n], digestAlgorithm: ALG.sha1 });
      sig.computeSignature(a.head + a.tail, { prefix: 'ds', location: { reference: "/*/*[local-name()='Issuer']", action: 'after' } });
      return sig.getSignedXml();
    });
    xmlsecVerify(sha1, pki.rsa.certPem); // genuinely signed by our key
    assert.deepEqual(await verify(sha1), bad('BAD_SIGNATURE'));
    const sha512 = await assertionSignedBy((a) => signCanonical(a, signingKeyFrom(pki.rsa, 'rsa-1', 'RS256'), ALG.rsaSha512));
    assert.deepEqual(await verify(sha512), bad('BAD_SIGNATURE'));
  });

  it('rejects signature wrapping (XSW) variants', async () => {
    const { issued, verify } = await setup();
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(issued.token)![0];
    const evilId = '_' + 'e'.repeat(32);
    const evilHead = `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${evilId}" IssueInstant="2030-01-01T12:00:00Z" Version="2.0"><saml:Issuer>https://sts.example.org/sts/demo</saml:Issuer>`;
    const evilSubject = '<saml:Subject><saml:NameID>admin</saml:NameID></saml:Subject><saml:Conditions NotOnOrAfter="2099-01-01T00:00:00Z"></saml:Conditions>';
    const variants = [
      // 1. Evil root; the signed original hidden in Advice; the original signature moved up.
      evilHead + sig + evilSubject + `<saml:Advice>${issued.token.replace(sig, '')}</saml:Advice></saml:Assertion>`,
      // 2. Evil root; the signed original (with its signature) hidden in Advice.
      evilHead + evilSubject + `<saml:Advice>${issued.token}</saml:Advice></saml:Assertion>`,
      // 3. Evil root reusing the original ID; the original, renamed, in an extension element.
      evilHead.replace(evilId, issued.tokenId) + sig + evilSubject +
        `<saml:Advice><x:W xmlns:x="urn:x">${issued.token.replace(sig, '').replace('<saml:Assertion ', '<x:Orig xmlns:x="urn:x" ').replace('</saml:Assertion>', '</x:Orig>')}</x:W></saml:Advice></saml:Assertion>`,
      // 4. The signed assertion wrapped in a Response root.
      `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r">${issued.token}</samlp:Response>`,
      // 5. Signature moved from the root into Subject.
      issued.token.replace(sig, '').replace('<saml:Subject>', `<saml:Subject>${sig}`),
    ];
    for (const [i, v] of variants.entries()) {
      const r = await verify(v);
      assert.equal(r.ok, false, `variant ${i + 1}`);
      assert.ok(['BAD_SIGNATURE', 'MALFORMED'].includes((r as { reason: string }).reason), `variant ${i + 1}: ${JSON.stringify(r)}`);
    }
    assert.deepEqual(await verify(variants[3]!), bad('MALFORMED'));
  });

  it('rejects two signatures and extra transforms', async () => {
    const { issued, verify } = await setup();
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(issued.token)![0];
    assert.deepEqual(await verify(issued.token.replace(sig, sig + sig)), bad('BAD_SIGNATURE'));
    const withComments = issued.token.replace(
      `<ds:Transform Algorithm="${ALG.excC14n}"></ds:Transform>`,
      `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"></ds:Transform>`,
    );
    assert.deepEqual(await verify(withComments), bad('BAD_SIGNATURE'));
  });

  it('rejects DOCTYPE, entities, comments and oversized or deep documents as MALFORMED', async () => {
    const { issued, verify } = await setup();
    const cases = [
      `<!DOCTYPE saml:Assertion [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${issued.token.replace('>demo<', '>&xxe;<')}`,
      `<!DOCTYPE lolz [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>${issued.token}`,
      issued.token.replace('>demo</saml:NameID>', '>de<!---->mo</saml:NameID>'),
      issued.token.replace('>demo</saml:NameID>', '><![CDATA[demo]]></saml:NameID>'),
      issued.token.replace('</saml:Assertion>', `<saml:Advice>${'x'.repeat(300 * 1024)}</saml:Advice></saml:Assertion>`),
      issued.token.replace('</saml:Issuer>', `</saml:Issuer>${'<saml:Advice>'.repeat(40)}${'</saml:Advice>'.repeat(40)}`),
      'not xml at all',
      '',
      '<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x"',
      '<a><b></a>',
      '<Assertion ID="_0123456789abcdef0123456789abcdef"/>',
      issued.token.replace(issued.tokenId, "_x' or '1'='1").replace(issued.tokenId, "_x' or '1'='1"),
    ];
    for (const [i, t] of cases.entries()) assert.deepEqual(await verify(t), bad('MALFORMED'), `case ${i}`);
  });

  it('treats an EncryptedAssertion as record-only and never throws for anything', async () => {
    const { pki } = await makeProvider();
    const { provider } = await makeProvider();
    const cfg = samlConfig({ encryptAssertion: true, spEncryptionCertificate: pki.sp.certPem });
    const enc = await provider.issue(subject({ attributes: { note: TRICKY } }), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(cfg));
    assert.deepEqual(await provider.verifyIssued!(enc.token, { instance: instance(cfg), now: LATER, checkExpiry: true }), { ok: true, recordOnly: true });
    for (const junk of [undefined, null, 42, {}, '\u0000', '<'.repeat(1000)] as unknown[]) {
      const r = await provider.verifyIssued!(junk as string, { instance: instance(cfg), now: LATER, checkExpiry: true });
      assert.equal(r.ok, false);
    }
  });

  it('each defence layer answers on its own (not only the last one)', async () => {
    const { issued, pki } = await setup();
    const keys = [{ publicKey: pki.rsa.publicKey }];
    const detail = (xml: string, alg: string = ALG.rsaSha256) => {
      const r = verifyIssuedAssertion(xml, alg, keys);
      return r.kind === 'bad-signature' || r.kind === 'malformed' ? r.detail : r.kind;
    };
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(issued.token)![0];
    assert.equal(detail(issued.token), 'verified');
    assert.match(detail(issued.token.replace('</saml:Assertion>', `<saml:Advice>${issued.token}</saml:Advice></saml:Assertion>`)), /nested/);
    assert.match(detail(issued.token.replace(sig, sig + sig)), /more than one/);
    assert.match(detail(issued.token.replace(sig, '').replace('<saml:Subject>', `<saml:Subject>${sig}`)), /not a child/);
    assert.match(detail(issued.token.replace(`URI="#${issued.tokenId}"`, 'URI=""')), /Reference/);
    assert.match(detail(issued.token, ALG.rsaSha512), /configured/);
    assert.match(detail(issued.token.replace(ALG.sha256, ALG.sha1)), /digest/);
    assert.match(detail(issued.token.replace(/<ds:DigestValue>[^<]+/, '<ds:DigestValue>AAAA')), /digest|reference/i);
    assert.match(detail(issued.token.replace(/<ds:SignatureValue>[^<]{8}/, '<ds:SignatureValue>AAAAAAAA')), /signature/i);
    assert.match(detail(`<!DOCTYPE x>${issued.token}`), /DTD/);
  });
});

