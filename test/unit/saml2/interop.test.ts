/**
 * Issued assertions checked by independent implementations: xmllint against the OASIS schema (every plain and
 * every decrypted assertion), xmlsec1 for signatures (rsa-sha256, rsa-sha512, ecdsa-sha256) and for decryption
 * (aes256-gcm, aes128-cbc, aes256-cbc with rsa-oaep-mgf1p), one EncryptedData per run. Values with markup,
 * quotes, CR/LF/tab and non-ASCII text must come back exactly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { SubjectConfirmationMethod, TokenEnvelope as TokenOutputRequest } from '../../../src/engine/types.js';
import type { Saml2Config } from '../../../src/tokens/saml2/saml2.config.js';
import { ALG, NS } from '../../../src/tokens/saml2/xml.js';
import { xmlsecDecrypt, xmlsecVerify, xmllintAssertion } from '../../support/saml.js';
import { CALLER, certFor, makeProvider, NOW, providerCtx, samlConfig, subject, TRICKY, type Pki } from './setup.js';

type Mode = 'signed' | 'unsigned' | 'encryptAssertion' | 'encryptNameId' | 'encryptAttributes' | 'encryptNameId+encryptAttributes';

const METHODS: SubjectConfirmationMethod[] = ['BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'];
const SIG_ALGS = [ALG.rsaSha256, ALG.rsaSha512, ALG.ecdsaSha256];
const DATA_ALGS = [ALG.aes256Gcm, ALG.aes128Cbc, ALG.aes256Cbc];
const ENC_MODES: Mode[] = ['encryptAssertion', 'encryptNameId', 'encryptAttributes', 'encryptNameId+encryptAttributes'];

function parse(xml: string): Document {
  return new DOMParser({
    errorHandler: {
      warning: (m: string) => {
        throw new Error(m);
      },
      error: (m: string) => {
        throw new Error(m);
      },
      fatalError: (m: string) => {
        throw new Error(m);
      },
    },
  }).parseFromString(xml, 'text/xml');
}

function elements(root: Node, ns: string, local: string): Element[] {
  const out: Element[] = [];
  const walk = (n: Node) => {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) out.push(n as Element);
    for (let c = n.firstChild; c; c = c.nextSibling) walk(c);
  };
  walk(root);
  return out;
}

/** Attribute name → values, from Attribute elements found under `root`. */
function attributeValues(root: Node): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const a of elements(root, NS.saml, 'Attribute')) {
    out[a.getAttribute('Name')!] = elements(a, NS.saml, 'AttributeValue').map((v) => v.textContent ?? '');
  }
  return out;
}

const EXPECTED_ATTRIBUTES = {
  mail: ['demo@example.org'],
  groups: ['staff', 'dev'],
  'urn:oid:2.5.4.3': ['Demo User'],
  note: [TRICKY],
};

/** The standalone EncryptedData fragments of a document (each declares xenc and ds itself). */
function encryptedDataFragments(xml: string): string[] {
  return xml.match(/<xenc:EncryptedData\b[\s\S]*?<\/xenc:EncryptedData>/g) ?? [];
}

/** Decrypts one standalone EncryptedData with xmlsec1 and returns the decrypted element, parsed. */
function decryptFragment(fragment: string, p: Pki): Element {
  const out = xmlsecDecrypt(fragment, p.sp.keyPem);
  const doc = parse(out);
  return doc.documentElement as unknown as Element;
}

function configFor(mode: Mode, sigAlg: string, dataAlg: string, p: Pki): Saml2Config {
  return samlConfig({
    signatureAlgorithm: sigAlg,
    signAssertion: mode !== 'unsigned',
    encryptAssertion: mode === 'encryptAssertion',
    encryptNameId: mode === 'encryptNameId' || mode === 'encryptNameId+encryptAttributes',
    encryptAttributes: mode === 'encryptAttributes' || mode === 'encryptNameId+encryptAttributes',
    dataEncryptionAlgorithm: dataAlg,
    spEncryptionCertificate: p.sp.certPem,
  });
}

function output(method: SubjectConfirmationMethod, p: Pki): TokenOutputRequest {
  return method === 'HOLDER_OF_KEY'
    ? { type: 'SAML2', subjectConfirmation: method, proofCertificate: p.client.certPem }
    : { type: 'SAML2', subjectConfirmation: method };
}

/** Checks the subject confirmation content against SAML core 2.4.1.2 / profiles 3.1 / 4.1.4.2. */
function checkConfirmation(assertion: Element, method: SubjectConfirmationMethod, p: Pki, cfg: Saml2Config): void {
  const sc = elements(assertion, NS.saml, 'SubjectConfirmation');
  assert.equal(sc.length, 1);
  const data = elements(sc[0]!, NS.saml, 'SubjectConfirmationData');
  if (method === 'BEARER') {
    assert.equal(sc[0]!.getAttribute('Method'), 'urn:oasis:names:tc:SAML:2.0:cm:bearer');
    assert.equal(data.length, 1);
    assert.equal(data[0]!.getAttribute('Recipient'), cfg.spAcsUrl);
    assert.equal(data[0]!.getAttribute('NotOnOrAfter'), '2030-01-01T12:10:00Z');
  } else if (method === 'HOLDER_OF_KEY') {
    assert.equal(sc[0]!.getAttribute('Method'), 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key');
    assert.equal(data.length, 1);
    assert.equal(data[0]!.getAttributeNS(NS.xsi, 'type'), 'saml:KeyInfoConfirmationDataType');
    const certs = elements(data[0]!, NS.ds, 'X509Certificate');
    assert.equal(certs.length, 1);
    assert.equal(certs[0]!.textContent, p.client.certDer);
  } else {
    assert.equal(sc[0]!.getAttribute('Method'), 'urn:oasis:names:tc:SAML:2.0:cm:sender-vouches');
    assert.equal(data.length, 0);
  }
  const conditions = elements(assertion, NS.saml, 'Conditions')[0]!;
  assert.equal(conditions.getAttribute('NotBefore'), '2030-01-01T12:00:00Z');
  assert.equal(conditions.getAttribute('NotOnOrAfter'), '2030-01-01T12:10:00Z');
  assert.deepEqual(elements(conditions, NS.saml, 'Audience').map((a) => a.textContent), [cfg.spEntityId]);
}

async function runCase(method: SubjectConfirmationMethod, mode: Mode, sigAlg: string, dataAlg: string): Promise<void> {
  const { provider, pki: p } = await makeProvider();
  const cfg = configFor(mode, sigAlg, dataAlg, p);
  const subj = subject({ name: `demo ${TRICKY}` });
  const ctx = providerCtx(cfg, { request: { caller: CALLER, clientAddress: '127.0.0.1', door: 'graphql' } });
  const issued = await provider.issue(subj, output(method, p), ctx);
  const idpCert = certFor(p, sigAlg).certPem;
  xmllintAssertion(issued.token);

  let assertionXml: string;
  if (mode === 'encryptAssertion') {
    const frags = encryptedDataFragments(issued.token);
    assert.equal(frags.length, 1);
    assert.ok(!issued.token.includes('<saml:Assertion'), 'no plain assertion outside the encryption');
    const decrypted = xmlsecDecrypt(issued.token, p.sp.keyPem);
    assert.equal(elements(parse(decrypted), NS.saml, 'Assertion').length, 1);
    // Cut out of xmlsec1's own output (re-serializing with xmldom would write CR raw, which a parser turns into
    // LF, and the digest would no longer match). Standalone: it carries its own namespace declaration.
    assertionXml = /<saml:Assertion\b[\s\S]*<\/saml:Assertion>/.exec(decrypted)![0];
    assert.match(assertionXml, /^<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"/);
    // And the plaintext was exactly the issued signed assertion: decrypting the raw fragment gives it back.
    const raw = xmlsecDecrypt(frags[0]!, p.sp.keyPem);
    assert.ok(raw.includes(`ID="${issued.tokenId}"`));
  } else {
    assertionXml = issued.token;
  }
  xmllintAssertion(assertionXml);
  if (mode === 'unsigned') {
    assert.ok(!assertionXml.includes('Signature'));
    assert.throws(() => xmlsecVerify(assertionXml, idpCert));
  } else {
    xmlsecVerify(assertionXml, idpCert);
  }
  const doc = parse(assertionXml);
  const assertion = doc.documentElement as unknown as Element;
  assert.equal(assertion.getAttribute('ID'), issued.tokenId);
  checkConfirmation(assertion, method, p, cfg);
  if (mode === 'signed' || mode === 'unsigned' || mode === 'encryptAssertion') {
    // A signature by another key must not verify with xmlsec1 (the judge itself can fail).
    if (mode !== 'unsigned') assert.throws(() => xmlsecVerify(assertionXml, p.other.certPem));
  }

  const encNameId = mode === 'encryptNameId' || mode === 'encryptNameId+encryptAttributes';
  const encAttrs = mode === 'encryptAttributes' || mode === 'encryptNameId+encryptAttributes';
  const frags = mode === 'encryptAssertion' ? [] : encryptedDataFragments(assertionXml);
  assert.equal(frags.length, (encNameId ? 1 : 0) + (encAttrs ? 4 : 0));

  // NameID: in clear, or in an EncryptedID that decrypts to it.
  let nameIdEl: Element;
  if (encNameId) {
    assert.equal(elements(assertion, NS.saml, 'NameID').length, 0);
    const encId = elements(assertion, NS.saml, 'EncryptedID');
    assert.equal(encId.length, 1);
    nameIdEl = decryptFragment(encryptedDataFragments(new XMLSerializer().serializeToString(encId[0]!))[0]!, p);
    xmllintAssertion(new XMLSerializer().serializeToString(nameIdEl));
  } else {
    nameIdEl = elements(assertion, NS.saml, 'NameID')[0]!;
  }
  assert.equal(nameIdEl.namespaceURI, NS.saml);
  assert.equal(nameIdEl.localName, 'NameID');
  assert.equal(nameIdEl.textContent, subj.name);

  // Attributes: in clear, or each in its own EncryptedAttribute.
  let attrs: Record<string, string[]> = {};
  if (encAttrs) {
    assert.equal(elements(assertion, NS.saml, 'Attribute').length, 0);
    const encrypted = elements(assertion, NS.saml, 'EncryptedAttribute');
    assert.equal(encrypted.length, 4);
    for (const e of encrypted) {
      const frag = encryptedDataFragments(new XMLSerializer().serializeToString(e));
      assert.equal(frag.length, 1);
      const attr = decryptFragment(frag[0]!, p);
      xmllintAssertion(new XMLSerializer().serializeToString(attr));
      Object.assign(attrs, attributeValues(attr));
    }
  } else {
    attrs = attributeValues(assertion);
  }
  assert.deepEqual(attrs, EXPECTED_ATTRIBUTES);

  // Tessera's own check agrees with xmlsec1.
  const v = await provider.verifyIssued!(issued.token, { instance: ctx.instance, now: NOW, checkExpiry: true });
  if (mode === 'encryptAssertion' || mode === 'unsigned') assert.deepEqual(v, { ok: true, recordOnly: true });
  else assert.deepEqual(v, { ok: true, tokenId: issued.tokenId, subject: encNameId ? '' : subj.name, expiresAt: issued.expiresAt });
}

describe('SAML2 assertions checked by xmllint and xmlsec1', () => {
  for (const method of METHODS) {
    for (const sigAlg of SIG_ALGS) {
      it(`${method} signed ${sigAlg.split('#')[1]}`, () => runCase(method, 'signed', sigAlg, ALG.aes256Gcm));
    }
    it(`${method} unsigned`, () => runCase(method, 'unsigned', ALG.rsaSha256, ALG.aes256Gcm));
    for (const mode of ENC_MODES) {
      for (const dataAlg of DATA_ALGS) {
        it(`${method} ${mode} ${dataAlg.split('#')[1]}`, () => runCase(method, mode, ALG.rsaSha256, dataAlg));
      }
    }
    // Encryption combined with the other signature algorithms.
    it(`${method} encryptAssertion with ecdsa-sha256`, () => runCase(method, 'encryptAssertion', ALG.ecdsaSha256, ALG.aes256Gcm));
    it(`${method} encryptNameId+encryptAttributes with rsa-sha512`, () =>
      runCase(method, 'encryptNameId+encryptAttributes', ALG.rsaSha512, ALG.aes128Cbc));
  }
});
