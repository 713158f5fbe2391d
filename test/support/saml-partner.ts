/**
 * A partner SAML 2.0 IdP for the SAML2-input tests, made of tools independent of Tessera: keys and certificates
 * from OpenSSL (test/support/openssl.ts), assertions, Responses, EncryptedAssertions and IdP metadata from pysaml2
 * (test/support/pysaml2_idp.py, which signs and encrypts through xmlsec1), and xmlsec1 alone signing a
 * hand-written template (an ECDSA P-256 partner) or encrypting an assertion with AES-256-GCM. Also the
 * signature-wrapping rewrites an attacker makes of a genuine signed assertion.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { NEWKEY, OpensslWorkspace, type OpensslCert } from './openssl.js';
import { repoRoot } from './saml.js';

export const URI = {
  bearer: 'urn:oasis:names:tc:SAML:2.0:cm:bearer',
  holderOfKey: 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key',
  senderVouches: 'urn:oasis:names:tc:SAML:2.0:cm:sender-vouches',
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
  tripleDesCbc: 'http://www.w3.org/2001/04/xmlenc#tripledes-cbc',
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  authnFailed: 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed',
  passwordProtectedTransport: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  uriFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
  emailFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
} as const;

export const XMLNS = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
} as const;

/** What pysaml2_idp.py builds (see its docstring). */
export interface AssertionSpec {
  id: string;
  issuer: string;
  issue_instant?: string;
  name_id: string;
  name_id_format?: string;
  not_before?: string | null;
  not_on_or_after?: string | null;
  audiences?: string[][];
  confirmations?: Array<{ method: string; data: null | { recipient?: string; not_on_or_after?: string; not_before?: string; in_response_to?: string } }>;
  authn?: null | { instant?: string; class_ref?: string };
  attributes?: Array<{ name: string; name_format?: string; friendly_name?: string; values: string[] }>;
  sign?: null | { key: string; cert: string; sign_alg?: string; digest_alg?: string };
  response?: null | { id?: string; status?: string; destination?: string; sign?: boolean; sign_only?: boolean };
  /** To `cert`, or to the encryption certificate pysaml2 reads from the recipient's `metadata` file. */
  encrypt?: null | { cert: string; data_alg?: string } | { metadata: string; entity_id: string; data_alg?: string };
}

/** xs:dateTime in UTC, whole seconds, as IdPs write it. */
export function xsTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newId(): string {
  return '_' + randomBytes(16).toString('hex');
}

const SCRIPT = (): string => join(repoRoot(), 'test', 'support', 'pysaml2_idp.py');

function runTool(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0] ?? ''} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Asks pysaml2_idp.py for the IdP's metadata instead of an assertion. */
export type MetadataSpec = { metadata: { entity_id: string; cert: string; sso: string } } | { validate_metadata: string };

/** pysaml2 builds, signs and (when the spec says) encrypts each assertion; one process for the whole list. */
export async function pysaml2Assertions(specs: Array<AssertionSpec | MetadataSpec>): Promise<string[]> {
  if (specs.length === 0) return [];
  const out = JSON.parse(await runTool('/usr/bin/python3', [SCRIPT(), 'assertions'], JSON.stringify(specs))) as string[];
  if (!Array.isArray(out) || out.length !== specs.length) throw new Error('pysaml2_idp.py answered the wrong number of documents');
  return out;
}

/** The IdP's EntityDescriptor as pysaml2's metadata code writes it. */
export function pysaml2IdpMetadata(entityId: string, certPath: string, ssoLocation: string): Promise<string> {
  return runTool('/usr/bin/python3', [SCRIPT(), 'metadata', entityId, certPath, ssoLocation]);
}

/**
 * Documents made by one pysaml2 process (starting Python and importing pysaml2 costs more than a second, each
 * document a few milliseconds of xmlsec1): add them by name, run once, then take them by name.
 */
export class Pysaml2Batch {
  private readonly entries: Array<[string, AssertionSpec | MetadataSpec]> = [];
  private readonly docs = new Map<string, string>();
  readonly specs = new Map<string, AssertionSpec>();

  add(name: string, spec: AssertionSpec): this {
    this.entries.push([name, spec]);
    this.specs.set(name, spec);
    return this;
  }

  metadata(name: string, entityId: string, certPath: string, sso: string): this {
    this.entries.push([name, { metadata: { entity_id: entityId, cert: certPath, sso } }]);
    return this;
  }

  /** pysaml2's schema check of the metadata file at `path`: the document reads "valid" or "invalid: …". */
  validateMetadata(name: string, path: string): this {
    this.entries.push([name, { validate_metadata: path }]);
    return this;
  }

  async run(): Promise<this> {
    const docs = await pysaml2Assertions(this.entries.map(([, s]) => s));
    this.entries.forEach(([name], i) => this.docs.set(name, docs[i]!));
    return this;
  }

  get(name: string): string {
    const d = this.docs.get(name);
    if (d === undefined) throw new Error(`no document named ${name} in the batch`);
    return d;
  }
}

/** A partner IdP: its entity ID and an OpenSSL-made key and self-signed certificate. */
export class PartnerIdp {
  readonly cert: OpensslCert;

  constructor(
    readonly ws: OpensslWorkspace,
    readonly entityId: string,
    readonly opts: { newkey?: readonly string[]; audience: string; recipient?: string } = { audience: '' },
  ) {
    this.cert = ws.selfSigned({ cn: new URL(entityId).hostname, newkey: opts.newkey ?? NEWKEY.rsa2048, days: 2 });
  }

  /** The signing part of a spec: this IdP's key, RSA-SHA256 over a SHA-256 digest unless told otherwise. */
  signer(o: { sign_alg?: string; digest_alg?: string } = {}): NonNullable<AssertionSpec['sign']> {
    return { key: this.cert.keyPath, cert: this.cert.certPath, sign_alg: o.sign_alg ?? URI.rsaSha256, digest_alg: o.digest_alg ?? URI.sha256 };
  }

  /** A valid bearer assertion for `opts.audience`, issued now, valid five minutes; `o` overrides members. */
  spec(o: Partial<AssertionSpec> & { now?: number; recipient?: string | null } = {}): AssertionSpec {
    const now = o.now ?? Date.now();
    const { now: _n, recipient, ...rest } = o;
    const r = recipient === undefined ? this.opts.recipient : recipient ?? undefined;
    return {
      id: newId(),
      issuer: this.entityId,
      issue_instant: xsTime(now),
      name_id: 'alice@partner.example',
      name_id_format: URI.emailFormat,
      not_before: xsTime(now - 60_000),
      not_on_or_after: xsTime(now + 300_000),
      audiences: [[this.opts.audience]],
      confirmations: [{ method: URI.bearer, data: { not_on_or_after: xsTime(now + 300_000), ...(r ? { recipient: r } : {}) } }],
      authn: { instant: xsTime(now - 30_000), class_ref: URI.passwordProtectedTransport },
      attributes: [
        { name: 'mail', values: ['alice@partner.example'] },
        { name: 'groups', values: ['staff', 'partners'] },
      ],
      sign: this.signer(),
      ...rest,
    };
  }
}

// ------------------------------------------------------------------------------------------------ xmlsec1 alone

function withTemp<T>(files: Record<string, string>, fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-partner-'));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function xmlsec(args: string[]): string {
  try {
    return execFileSync('xmlsec1', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    throw new Error(`xmlsec1 ${args[0]} failed: ${err.stderr ?? err.message}`);
  }
}

/**
 * A bearer assertion written by hand as a template (an empty ds:Signature after the Issuer) and signed by
 * `xmlsec1 --sign` with the partner's key: how an IdP without a SAML library makes one.
 */
export function xmlsecSignedAssertion(p: {
  id?: string;
  issuer: string;
  nameId: string;
  audience: string;
  keyPath: string;
  certPath: string;
  signAlg: string;
  digestAlg?: string;
  now?: number;
  /** Attributes of the Issuer, as written (e.g. ` Format="…"`). */
  issuerAttributes?: string;
  /** Elements written inside Conditions after the AudienceRestriction. */
  extraConditions?: string;
  /**
   * SAML core 2.2.4: the NameID encrypted by `xmlsec1 --encrypt` into an EncryptedID for `certPem` (the
   * instance's encryption certificate) before the assertion is signed, as an IdP that hides the subject does.
   */
  encryptNameId?: { certPem: string; dataAlg?: string };
}): string {
  const now = p.now ?? Date.now();
  const id = p.id ?? newId();
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const template =
    `<saml:Assertion xmlns:saml="${XMLNS.saml}" ID="${id}" Version="2.0" IssueInstant="${xsTime(now)}">` +
    `<saml:Issuer${p.issuerAttributes ?? ''}>${esc(p.issuer)}</saml:Issuer>` +
    `<ds:Signature xmlns:ds="${XMLNS.ds}"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<ds:SignatureMethod Algorithm="${p.signAlg}"/>` +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    `<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
    `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${p.digestAlg ?? URI.sha256}"/><ds:DigestValue></ds:DigestValue></ds:Reference>` +
    `</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo></ds:Signature>` +
    `<saml:Subject>${p.encryptNameId ? `<saml:EncryptedID><saml:NameID Format="${URI.emailFormat}">${esc(p.nameId)}</saml:NameID></saml:EncryptedID>` : `<saml:NameID>${esc(p.nameId)}</saml:NameID>`}` +
    `<saml:SubjectConfirmation Method="${URI.bearer}"><saml:SubjectConfirmationData NotOnOrAfter="${xsTime(now + 300_000)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${xsTime(now - 60_000)}" NotOnOrAfter="${xsTime(now + 300_000)}"><saml:AudienceRestriction><saml:Audience>${esc(p.audience)}</saml:Audience></saml:AudienceRestriction>${p.extraConditions ?? ''}</saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${xsTime(now - 30_000)}"><saml:AuthnContext><saml:AuthnContextClassRef>${URI.passwordProtectedTransport}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `</saml:Assertion>`;
  return withTemp({ 't.xml': template }, (dir) => {
    if (p.encryptNameId) {
      const dataAlg = p.encryptNameId.dataAlg ?? URI.aes256Cbc;
      writeFileSync(join(dir, 'enc.crt'), p.encryptNameId.certPem);
      writeFileSync(join(dir, 'tmpl.xml'), encryptedDataTemplate(dataAlg));
      const encrypted = xmlsec([
        '--encrypt', '--pubkey-cert-pem', join(dir, 'enc.crt'), '--session-key', dataAlg === URI.aes128Cbc ? 'aes-128' : 'aes-256',
        '--xml-data', join(dir, 't.xml'), '--node-xpath', "//*[local-name()='EncryptedID']/*[local-name()='NameID']", join(dir, 'tmpl.xml'),
      ]);
      writeFileSync(join(dir, 't.xml'), encrypted);
    }
    return xmlsec(['--sign', '--privkey-pem', `${p.keyPath},${p.certPath}`, '--id-attr:ID', 'urn:oasis:names:tc:SAML:2.0:assertion:Assertion', join(dir, 't.xml')]);
  });
}

/** The xenc:EncryptedData template xmlsec1 fills: `dataAlg` content, the key wrapped with rsa-oaep-mgf1p in KeyInfo. */
function encryptedDataTemplate(dataAlg: string): string {
  return (
    `<xenc:EncryptedData xmlns:xenc="${XMLNS.xenc}" xmlns:ds="${XMLNS.ds}" Type="http://www.w3.org/2001/04/xmlenc#Element">` +
    `<xenc:EncryptionMethod Algorithm="${dataAlg}"/>` +
    `<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>` +
    `<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>`
  );
}

/**
 * `xmlsec1 --encrypt` of a signed assertion into a saml:EncryptedAssertion for `certPem` (the instance's
 * encryption certificate): content in `dataAlg`, the key wrapped with rsa-oaep-mgf1p, the EncryptedKey inside
 * the EncryptedData's KeyInfo (SAML core 6.1). The assertion is cut from the document if it is inside one.
 */
export function xmlsecEncryptedAssertion(signedAssertion: string, certPem: string, dataAlg: string = URI.aes256Gcm): string {
  const assertion = standaloneAssertion(signedAssertion);
  const doc = `<saml:EncryptedAssertion xmlns:saml="${XMLNS.saml}">${assertion}</saml:EncryptedAssertion>`;
  const template = encryptedDataTemplate(dataAlg);
  const sessionKey = dataAlg === URI.aes128Cbc ? 'aes-128' : 'aes-256';
  return withTemp({ 'doc.xml': doc, 'tmpl.xml': template, 'enc.crt': certPem }, (dir) =>
    xmlsec([
      '--encrypt',
      '--pubkey-cert-pem',
      join(dir, 'enc.crt'),
      '--session-key',
      sessionKey,
      '--xml-data',
      join(dir, 'doc.xml'),
      '--node-xpath',
      "/*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']",
      join(dir, 'tmpl.xml'),
    ]),
  ).replace(/^<\?xml[^>]*\?>\s*/, '');
}

// ------------------------------------------------------------------------------------------------ XML rewrites

export function parseLoose(xml: string): Document {
  return new DOMParser().parseFromString(xml.replace(/^<\?xml[^>]*\?>\s*/, ''), 'text/xml') as unknown as Document;
}

export function serialize(node: Node): string {
  return new XMLSerializer().serializeToString(node as never);
}

export function elementsNS(root: Node, ns: string, local: string): Element[] {
  const out: Element[] = [];
  const walk = (n: Node): void => {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) out.push(n as Element);
    for (let c = n.firstChild; c; c = c.nextSibling) walk(c);
  };
  walk(root);
  return out;
}

/** The document's one saml:Assertion as its own document, with the namespace declarations it inherits. */
export function standaloneAssertion(xml: string): string {
  const doc = parseLoose(xml);
  const [a] = elementsNS(doc, XMLNS.saml, 'Assertion');
  if (!a) throw new Error('no saml:Assertion');
  for (let p = a.parentNode as Element | null; p && p.nodeType === 1; p = p.parentNode as Element | null) {
    for (let i = 0; i < p.attributes.length; i++) {
      const at = p.attributes.item(i)!;
      if ((at.name === 'xmlns' || at.name.startsWith('xmlns:')) && !a.hasAttribute(at.name)) a.setAttributeNS('http://www.w3.org/2000/xmlns/', at.name, at.value);
    }
  }
  return serialize(a);
}

function firstChildNS(parent: Element, ns: string, local: string): Element | undefined {
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 1 && (c as Element).namespaceURI === ns && (c as Element).localName === local) return c as Element;
  }
  return undefined;
}

/** A Response around `assertions` (each a standalone saml:Assertion document), written by hand. */
export function responseAround(issuer: string, assertions: string[], o: { status?: string; extensions?: string } = {}): string {
  return (
    `<samlp:Response xmlns:samlp="${XMLNS.samlp}" xmlns:saml="${XMLNS.saml}" ID="${newId()}" Version="2.0" IssueInstant="${xsTime(Date.now())}">` +
    `<saml:Issuer>${issuer}</saml:Issuer>${o.extensions ?? ''}` +
    `<samlp:Status><samlp:StatusCode Value="${o.status ?? URI.success}"/></samlp:Status>` +
    assertions.map((a) => a.replace(/^<\?xml[^>]*\?>\s*/, '')).join('') +
    `</samlp:Response>`
  );
}

/**
 * The signature-wrapping (XSW) rewrites of a genuine signed assertion (Somorovsky et al., "On Breaking SAML",
 * 2012): each keeps the genuine signature verifiable somewhere in the document while an attacker's assertion,
 * naming `victim`, sits where a careless relying party reads.
 */
export const XSW = {
  /** An evil copy: new ID (unless given), the victim's NameID, no signature. */
  evilCopy(genuine: string, victim: string, id: string = newId()): Element {
    const doc = parseLoose(standaloneAssertion(genuine));
    const a = doc.documentElement as unknown as Element;
    a.setAttribute('ID', id);
    const sig = firstChildNS(a, XMLNS.ds, 'Signature');
    if (sig) a.removeChild(sig);
    const [nameId] = elementsNS(a, XMLNS.saml, 'NameID');
    nameId!.textContent = victim;
    return a;
  },

  /** XSW1/2 in a Response: the unsigned evil assertion first, the genuine one after it. */
  secondUnsignedAssertion(genuine: string, victim: string, issuer: string): string {
    return responseAround(issuer, [serialize(XSW.evilCopy(genuine, victim)), standaloneAssertion(genuine)]);
  },

  /** XSW4-style: the evil assertion is the root and the genuine signed one moves inside its saml:Advice. */
  signedMovedIntoAdvice(genuine: string, victim: string): string {
    const evil = XSW.evilCopy(genuine, victim);
    const doc = evil.ownerDocument!;
    const advice = doc.createElementNS(XMLNS.saml, `${evil.prefix ? evil.prefix + ':' : ''}Advice`);
    advice.appendChild(doc.importNode(parseLoose(standaloneAssertion(genuine)).documentElement as unknown as Node, true));
    const conditions = firstChildNS(evil, XMLNS.saml, 'Conditions');
    evil.insertBefore(advice, conditions ? conditions.nextSibling : null);
    return serialize(evil);
  },

  /**
   * XSW7/8-style: the evil assertion takes the genuine ID and the genuine Signature, whose ds:Object now holds
   * the genuine (unsigned) assertion the Reference still matches.
   */
  signedMovedIntoSignatureObject(genuine: string, victim: string): string {
    const original = parseLoose(standaloneAssertion(genuine)).documentElement as unknown as Element;
    const id = original.getAttribute('ID')!;
    const evil = XSW.evilCopy(genuine, victim, id);
    const doc = evil.ownerDocument!;
    const signature = doc.importNode(firstChildNS(original, XMLNS.ds, 'Signature')! as unknown as Node, true) as Element;
    const inner = doc.importNode(original as unknown as Node, true) as Element;
    inner.removeChild(firstChildNS(inner, XMLNS.ds, 'Signature')!);
    const object = doc.createElementNS(XMLNS.ds, `${signature.prefix ? signature.prefix + ':' : ''}Object`);
    object.appendChild(inner);
    signature.appendChild(object);
    const issuer = firstChildNS(evil, XMLNS.saml, 'Issuer')!;
    evil.insertBefore(signature, issuer.nextSibling);
    return serialize(evil);
  },

  /**
   * The Reference points elsewhere: the assertion (with the victim's NameID) gets a new ID, and the ID the
   * genuine signature references now belongs to another element of the Response.
   */
  referencePointsElsewhere(genuine: string, victim: string, issuer: string): string {
    const a = parseLoose(standaloneAssertion(genuine)).documentElement as unknown as Element;
    const id = a.getAttribute('ID')!;
    a.setAttribute('ID', newId());
    elementsNS(a, XMLNS.saml, 'NameID')[0]!.textContent = victim;
    return responseAround(issuer, [serialize(a)], { extensions: `<samlp:Extensions ID="${id}"/>` });
  },

  /** Reference URI="" (the whole document) instead of the assertion's ID. */
  emptyReferenceUri(genuine: string): string {
    const a = parseLoose(standaloneAssertion(genuine)).documentElement as unknown as Element;
    elementsNS(a, XMLNS.ds, 'Reference')[0]!.setAttribute('URI', '');
    return serialize(a);
  },

  /** The genuine signature moved from the assertion into its Subject. */
  signatureNotAChild(genuine: string): string {
    const a = parseLoose(standaloneAssertion(genuine)).documentElement as unknown as Element;
    const sig = firstChildNS(a, XMLNS.ds, 'Signature')!;
    a.removeChild(sig);
    firstChildNS(a, XMLNS.saml, 'Subject')!.appendChild(sig);
    return serialize(a);
  },

  /** A second copy of the signature next to the first. */
  twoSignatures(genuine: string): string {
    const a = parseLoose(standaloneAssertion(genuine)).documentElement as unknown as Element;
    const sig = firstChildNS(a, XMLNS.ds, 'Signature')!;
    a.insertBefore(sig.cloneNode(true), sig.nextSibling);
    return serialize(a);
  },
};
