/**
 * Support for the SAML2 end-to-end suites (test/api/saml2-*.test.ts): GraphQL documents, publishing and
 * translating through the public API, the IdP certificate taken from the published metadata, and reading
 * assertions with a parser of our own choosing (never with Tessera's code). Namespace and algorithm URIs are
 * written out here from the specifications rather than imported from src/, so a wrong constant there cannot
 * make the tests agree with it.
 */
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { xmllintAssertion, xmlsecDecrypt, xmlsecVerify } from './saml.js';
import type { TestServer } from './server.js';
import type { Translated } from './engine.js';

export type { Translated } from './engine.js';
export { sleep } from './engine.js';

export const NS = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
} as const;

export const SIG = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
} as const;

export const ENC = {
  aes256Gcm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  aes128Cbc: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  aes256Cbc: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  rsaOaepMgf1p: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
} as const;

export const CM = {
  BEARER: 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
  HOLDER_OF_KEY: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key',
  SENDER_VOUCHES: 'urn:oasis:names:tc:SAML:2.0:cm:sender-vouches',
} as const;

export const AC = {
  passwordProtectedTransport: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  x509: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
  previousSession: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PreviousSession',
} as const;

export const NAMEID = {
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
} as const;

export type Method = 'BEARER' | 'HOLDER_OF_KEY' | 'SENDER_VOUCHES';
export const METHODS: Method[] = ['BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'];

/** A value with every character XML escapes, quotes and non-ASCII text. */
export const TRICKY = `Zoë & <Co> "quoted" 'single' — ünïcödé ✓ 𝄞 a>b`;

// ------------------------------------------------------------------------------------------------ GraphQL

export const PUBLISH = `mutation($i: InstanceInput!) { publishInstance(input: $i) { id name saml2 { issuer spEntityId plugins { conditions subject authenticationStatements attributeStatements authorizationDecisionStatements } } endpoints { samlMetadata } } }`;
export const TRANSLATE = `mutation($n: String!, $i: TokenInput!, $o: TokenOutput!) {
  translateToken(instance: $n, input: $i, output: $o) { token type tokenId subject issuedAt expiresAt } }`;
export const VALIDATE = `mutation($n: String!, $t: String!) { validateToken(instance: $n, type: SAML2, token: $t) { valid reason subject expiresAt } }`;
export const CANCEL = `mutation($n: String!, $t: String!) { cancelToken(instance: $n, type: SAML2, token: $t) }`;
export const ISSUED = `query($n: String!) { issuedTokens(instance: $n, first: 200) { tokenId instance subject type issuedAt expiresAt cancelled sender } }`;
export const AUDIT = `query($n: String!) { auditEvents(instance: $n, first: 200) { at action actor instance subject outcome inputType outputType detail } }`;

export interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

export async function publish(s: TestServer, input: Record<string, unknown>): Promise<{ id: string; name: string }> {
  const r = await s.gql(PUBLISH, { i: input }, s.adminToken);
  assert.equal(r.errors, undefined, `publish ${String(input.name)}: ${JSON.stringify(r.errors)}`);
  return r.data.publishInstance;
}

export async function createUser(
  s: TestServer,
  username: string,
  password: string,
  attributes: Record<string, string | string[]> = {},
  roles: string[] = ['user'],
): Promise<void> {
  const r = await s.gql('mutation($i: UserInput!) { createUser(input: $i) { id } }', { i: { username, password, roles, attributes } }, s.adminToken);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
}

/** translateToken over GraphQL, answer as is (for error cases). */
export function translateRaw(
  s: TestServer,
  instance: string,
  input: Record<string, unknown>,
  output: Record<string, unknown>,
  token?: string | null,
): Promise<{ status: number; data?: any; errors?: GqlError[] }> {
  return s.gql(TRANSLATE, { n: instance, i: input, o: output }, token);
}

/** translateToken over GraphQL that must succeed. */
export async function translate(
  s: TestServer,
  instance: string,
  input: Record<string, unknown>,
  output: Record<string, unknown>,
  token?: string | null,
): Promise<Translated> {
  const r = await translateRaw(s, instance, input, output, token);
  assert.equal(r.errors, undefined, `translate on ${instance}: ${JSON.stringify(r.errors)}`);
  const t = r.data.translateToken as Translated;
  assert.equal(t.type, 'SAML2');
  return t;
}

/** REST translate that must succeed; returns the issued token. */
export async function restTranslate(s: TestServer, instance: string, body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const r = await s.rest(instance, 'translate', body, headers);
  assert.equal(r.status, 200, `REST translate on ${instance}: ${JSON.stringify(r.body)}`);
  assert.equal(typeof r.body.issued_token, 'string');
  return r.body.issued_token as string;
}

export async function validate(s: TestServer, instance: string, token: string, caller: string | null = null): Promise<{ valid: boolean; reason: string | null; subject: string | null; expiresAt: string | null }> {
  const r = await s.gql(VALIDATE, { n: instance, t: token }, caller);
  assert.equal(r.errors, undefined, JSON.stringify(r.errors));
  return r.data.validateToken;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A generic internal error: the fixed message, no stack frames, paths or plugin text. */
export function assertGenericInternal(message: string): void {
  assert.equal(message, 'An internal error occurred.');
}

/** A client-facing error message carries no stack trace or file path. */
export function assertNoInternals(message: string): void {
  assert.doesNotMatch(message, /\n\s+at |\.m?js:\d+|\/work\/|node:internal|Error:/);
}

// ------------------------------------------------------------------------------------------------ XML

/** A strict parser: any complaint is fatal. */
export function parseXml(xml: string): Document {
  const fail = (m: string): never => {
    throw new Error(`XML: ${m}`);
  };
  const doc = new DOMParser({ errorHandler: { warning: fail, error: fail, fatalError: fail } }).parseFromString(xml, 'text/xml');
  return doc as unknown as Document;
}

/** Descendants (and self) with this namespace and local name, in document order. */
export function els(root: Node, ns: string, local: string): Element[] {
  const out: Element[] = [];
  const walk = (n: Node): void => {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) out.push(n as Element);
    for (let c = n.firstChild; c; c = c.nextSibling) walk(c);
  };
  walk(root);
  return out;
}

/** The one descendant with this name (fails when there are none or several). */
export function el(root: Node, ns: string, local: string): Element {
  const found = els(root, ns, local);
  assert.equal(found.length, 1, `expected exactly one ${local}, found ${found.length}`);
  return found[0]!;
}

export function children(parent: Node): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

export function text(e: Element): string {
  return e.textContent ?? '';
}

/** Attribute Name → AttributeValue texts, for the saml:Attribute elements under `root`. */
export function attributeValues(root: Node): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const a of els(root, NS.saml, 'Attribute')) {
    out[a.getAttribute('Name')!] = els(a, NS.saml, 'AttributeValue').map(text);
  }
  return out;
}

/** xs:dateTime → epoch milliseconds (must be UTC 'Z'). */
export function time(e: Element, attr: string): number {
  const v = e.getAttribute(attr);
  assert.ok(v, `${e.localName}/@${attr} is missing`);
  assert.match(v, /Z$/, `${e.localName}/@${attr} is not UTC`);
  const t = Date.parse(v);
  assert.ok(Number.isFinite(t), `${e.localName}/@${attr} is not a dateTime: ${v}`);
  return t;
}

export const floorSecond = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** The standalone xenc:EncryptedData fragments of a document (each declares xenc and ds itself). */
export function encryptedDataFragments(xml: string): string[] {
  return xml.match(/<xenc:EncryptedData\b[\s\S]*?<\/xenc:EncryptedData>/g) ?? [];
}

/** xmlsec1 --decrypt of one standalone EncryptedData; the decrypted element, parsed. */
export function decryptPart(fragment: string, keyPem: string): Element {
  return parseXml(xmlsecDecrypt(fragment, keyPem)).documentElement as unknown as Element;
}

/** xmlsec1 --decrypt of an EncryptedAssertion; the assertion it held, as text. */
export function decryptAssertion(encryptedAssertion: string, keyPem: string): string {
  const out = xmlsecDecrypt(encryptedAssertion, keyPem);
  const m = out.match(/<saml:Assertion\b[\s\S]*<\/saml:Assertion>/);
  assert.ok(m, `no assertion in the decrypted document: ${out.slice(0, 300)}`);
  return m[0];
}

/** The schema and the signature, judged by xmllint and xmlsec1 with the certificate from the metadata. */
export function judge(assertionXml: string, idpCertPem: string): Document {
  xmllintAssertion(assertionXml);
  xmlsecVerify(assertionXml, idpCertPem);
  return parseXml(assertionXml);
}

export function pemFromBase64(der: string): string {
  const b64 = der.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
}

export function base64FromPem(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

export async function fetchMetadata(s: TestServer, instance: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`${s.url}/sts/${instance}/saml-metadata.xml`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

/** The IdP signing certificate (PEM) from GET /sts/<instance>/saml-metadata.xml, with its entityID. */
export async function metadataCert(s: TestServer, instance: string): Promise<{ pem: string; entityId: string }> {
  const m = await fetchMetadata(s, instance);
  assert.equal(m.status, 200, m.body);
  const doc = parseXml(m.body);
  const root = doc.documentElement as unknown as Element;
  assert.equal(root.namespaceURI, NS.md);
  assert.equal(root.localName, 'EntityDescriptor');
  const idp = el(root, NS.md, 'IDPSSODescriptor');
  const signing = els(idp, NS.md, 'KeyDescriptor').filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing');
  assert.ok(signing.length >= 1, 'no signing KeyDescriptor');
  const der = text(el(signing[0]!, NS.ds, 'X509Certificate'));
  return { pem: pemFromBase64(der), entityId: root.getAttribute('entityID') ?? '' };
}

/** The root assertion element of a parsed assertion document. */
export function assertionOf(doc: Document): Element {
  const a = doc.documentElement as unknown as Element;
  assert.equal(a.namespaceURI, NS.saml);
  assert.equal(a.localName, 'Assertion');
  return a;
}
