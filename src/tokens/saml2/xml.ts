/**
 * XML primitives shared by the SAML 2.0 builder, signer, encrypter and verifier: namespace and algorithm URIs,
 * escaping in canonical form, timestamps, identifiers, and a strict parser for hostile input.
 */
import { randomBytes } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import { InvalidTokenError } from '../../engine/errors.js';

export const NS = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
} as const;

export const ALG = {
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  envelopedSignature: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  aes128Cbc: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  aes256Cbc: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  aes256Gcm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  rsaOaepMgf1p: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  typeElement: 'http://www.w3.org/2001/04/xmlenc#Element',
} as const;

/** Thrown when a value cannot be written as XML 1.0 character data (XML 1.0 §2.2 Char production). */
export class XmlCharError extends Error {
  constructor(readonly what: string) {
    super(`${what} contains characters that XML 1.0 cannot carry`);
    this.name = 'XmlCharError';
  }
}

// XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// The `u` flag makes a lone surrogate match [^…] as one code point, so it is refused too.
// eslint-disable-next-line no-control-regex
const NON_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

export function isXmlText(s: string): boolean {
  return !NON_XML_CHAR.test(s);
}

/**
 * Character data in canonical form (xml-c14n §2.3 "Text Nodes"): & < > and CR are escaped, nothing else.
 * Refuses characters XML cannot carry, rather than silently dropping them.
 */
export function escapeText(s: string, what = 'text'): string {
  if (NON_XML_CHAR.test(s)) throw new XmlCharError(what);
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

/** Attribute values in canonical form (xml-c14n §2.3 "Attribute Nodes"): & < " TAB LF CR are escaped. */
export function escapeAttr(s: string, what = 'attribute'): string {
  if (NON_XML_CHAR.test(s)) throw new XmlCharError(what);
  return s.replace(/[&<"\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}
const ATTR_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/**
 * Renders attributes in canonical order (xml-c14n §2.2: namespace declarations first, by prefix; then attributes
 * by namespace URI, then local name — unqualified attributes have the empty namespace URI and so come first).
 * Callers pass only unqualified attributes here; undefined values are omitted.
 */
export function attrs(list: Record<string, string | undefined>): string {
  const names = Object.keys(list)
    .filter((k) => list[k] !== undefined)
    .sort(codeUnitCompare);
  let out = '';
  for (const n of names) out += ` ${n}="${escapeAttr(list[n]!, n)}"`;
  return out;
}

/** c14n sorts by UCS code point order; for the ASCII names used here, code unit order is the same. */
function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in milliseconds: the four-digit years of xs:dateTime. */
const XS_DATETIME_MIN_MS = -62_135_596_800_000;
const XS_DATETIME_MAX_MS = 253_402_300_799_000;

/**
 * xs:dateTime in UTC with 'Z' and whole seconds (SAML core 1.3.3: UTC, no time zone offset). An invalid Date
 * would throw a RangeError from toISOString, and a year past 9999 would serialise as "+010000-…", which
 * xs:dateTime does not allow: both come from a token's claimed instants, so they are INVALID_TOKEN.
 */
export function xsDateTime(d: Date): string {
  const ms = d instanceof Date ? d.getTime() : NaN;
  if (!Number.isFinite(ms) || ms < XS_DATETIME_MIN_MS || ms > XS_DATETIME_MAX_MS) {
    throw new InvalidTokenError('A date in the token is outside the years 0001–9999 that a SAML assertion can carry.');
  }
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Whole seconds, so that what is signed and what is returned (expiresAt, issuedAt) agree. */
export function floorToSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** SAML core 1.3.4: xs:ID, 128 bits of randomness; the leading '_' keeps it an NCName. */
export function newAssertionId(): string {
  return '_' + randomBytes(16).toString('hex');
}
export const ASSERTION_ID_PATTERN = /^_[0-9a-f]{32}$/;

/** Base64 DER of a certificate, whitespace-free. */
export function x509DataXml(certDer: string): string {
  return `<ds:X509Data><ds:X509Certificate>${certDer}</ds:X509Certificate></ds:X509Data>`;
}

export class XmlParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlParseError';
  }
}

export const MAX_XML_BYTES = 64 * 1024;
export const MAX_XML_DEPTH = 32;

/**
 * Parses hostile XML: size cap, no DTD, entity, comment, CDATA or processing instruction (Tessera never emits
 * them; a DOCTYPE is the XXE and entity-expansion vector), every parser complaint is fatal, and a depth cap
 * before anything recursive (canonicalization, XPath) walks the tree.
 */
export function parseStrict(xml: string, opts: { maxBytes?: number; allowComments?: boolean } = {}): Document {
  if (typeof xml !== 'string' || Buffer.byteLength(xml, 'utf8') > (opts.maxBytes ?? MAX_XML_BYTES)) throw new XmlParseError('document too large');
  const body = xml.replace(/^\uFEFF?<\?xml[^?<>]*\?>/, '');
  // Metadata documents carry comments; they are inert once DTDs (<!DOCTYPE, <!ENTITY) and CDATA are excluded.
  const forbidden = opts.allowComments ? /<!(?!--)|<\?/ : /<!|<\?/;
  if (forbidden.test(body)) throw new XmlParseError(opts.allowComments ? 'DTDs, CDATA and processing instructions are not accepted' : 'DTDs, comments, CDATA and processing instructions are not accepted');
  const fail = (msg: string): never => {
    throw new XmlParseError(`not well-formed XML: ${String(msg).slice(0, 200)}`);
  };
  let doc: Document;
  try {
    doc = new DOMParser({
      errorHandler: { warning: fail, error: fail, fatalError: fail },
    }).parseFromString(body, 'text/xml');
  } catch (e) {
    if (e instanceof XmlParseError) throw e;
    throw new XmlParseError(`not well-formed XML: ${(e as Error)?.message ?? String(e)}`);
  }
  if (!doc || !doc.documentElement) throw new XmlParseError('no document element');
  // Iterative walk: the depth cap must not itself recurse.
  const stack: Array<[Node, number]> = [[doc.documentElement, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_XML_DEPTH) throw new XmlParseError('document too deeply nested');
    for (let c = node.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1) stack.push([c, depth + 1]);
    }
  }
  return doc;
}

/** Element children of `parent` (text between elements is ignored). */
export function childElements(parent: Node): Element[] {
  const out: Element[] = [];
  for (let c = parent.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

export function isElement(node: Node | null | undefined, ns: string, localName: string): node is Element {
  return !!node && node.nodeType === 1 && (node as Element).namespaceURI === ns && (node as Element).localName === localName;
}

/** All descendants (and self) with this namespace and local name, found iteratively. */
export function findAll(root: Node, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (isElement(n, ns, localName)) out.push(n);
    for (let c = n.lastChild; c; c = c.previousSibling) if (c.nodeType === 1) stack.push(c);
  }
  return out;
}

/** Text content of an element that must hold only text. */
export function textOf(el: Element): string {
  let s = '';
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 3 || c.nodeType === 4) s += (c as CharacterData).data;
  }
  return s;
}

/**
 * An absolute URI that every xs:anyURI checker accepts (SAML core 1.3.2: URI references are absolute): RFC 3986
 * characters only, valid percent-escapes, at most one '#', no IP-literal brackets, no whitespace.
 */
export function isAbsoluteUri(s: string): boolean {
  return (
    s.length > 0 &&
    s.length <= 1024 &&
    /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]*$/.test(s) &&
    !/%(?![0-9A-Fa-f]{2})/.test(s) &&
    s.indexOf('#') === s.lastIndexOf('#')
  );
}
