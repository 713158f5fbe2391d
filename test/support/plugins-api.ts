/**
 * Support for the end-to-end tests of custom token plugins: plugin folders with safe permissions, LEGACY_TICKET
 * minting (the same recipe as docs/plugins.md), independent verification of what Tessera issues (xmlsec1 and
 * xmllint for SAML, PyJWT for OIDC), and reading the code blocks of a Markdown document.
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import { repoRoot, xmllintAssertion, xmlsecVerify } from './saml.js';

export const NS_SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const NS_DS = 'http://www.w3.org/2000/09/xmldsig#';

/** A secret of at least 32 bytes, as the example requires. */
export const LEGACY_SECRET = 'legacy-shared-secret-0123456789-abcdefghij';

export function examplePath(name: string): string {
  return join(repoRoot(), 'examples', 'plugins', name);
}

export interface PluginDir {
  dir: string;
  cleanup(): void;
}

/**
 * A temporary plugin folder (mode 0755) holding copies of example modules (by file name) and modules given as
 * source text, each mode 0644, so the loader's permission rules are met whatever the umask or the checkout.
 */
export function makePluginDir(opts: { examples?: string[]; modules?: Record<string, string>; dirMode?: number }): PluginDir {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-plugins-'));
  for (const name of opts.examples ?? []) {
    copyFileSync(examplePath(name), join(dir, name));
    chmodSync(join(dir, name), 0o644);
  }
  for (const [name, source] of Object.entries(opts.modules ?? {})) {
    writeFileSync(join(dir, name), source);
    chmodSync(join(dir, name), 0o644);
  }
  chmodSync(dir, opts.dirMode ?? 0o755);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `base64url(JSON {sub, attrs, exp}) "." base64url(HMAC-SHA256(secret, first part))`, as the legacy system mints them. */
export function mintTicket(
  payload: { sub?: unknown; attrs?: unknown; exp?: unknown },
  secret: string = LEGACY_SECRET,
): string {
  const part = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${part}.${createHmac('sha256', secret).update(part).digest('base64url')}`;
}

export function ticketPayload(ticket: string): { sub: string; attrs: Record<string, unknown>; exp: number } {
  const [part] = ticket.split('.');
  return JSON.parse(Buffer.from(part!, 'base64url').toString('utf8')) as { sub: string; attrs: Record<string, unknown>; exp: number };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function pem(b64: string): string {
  const body = b64.replace(/\s+/g, '').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** The signing certificate (PEM) published in /sts/<instance>/saml-metadata.xml, and the metadata's entityID. */
export async function samlMetadataCert(baseUrl: string, instance: string): Promise<{ certPem: string; entityId: string }> {
  const res = await fetch(`${baseUrl}/sts/${instance}/saml-metadata.xml`);
  if (res.status !== 200) throw new Error(`saml-metadata.xml: HTTP ${res.status}`);
  const doc = new DOMParser().parseFromString(await res.text(), 'application/xml');
  const certs = doc.getElementsByTagNameNS(NS_DS, 'X509Certificate');
  if (certs.length !== 1) throw new Error(`saml-metadata.xml holds ${certs.length} certificates`);
  const entityId = doc.documentElement?.getAttribute('entityID') ?? '';
  return { certPem: pem(certs.item(0)!.textContent ?? ''), entityId };
}

export interface AssertionView {
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  audiences: string[];
  attributes: Record<string, string[]>;
}

/** Verifies a SAML assertion with xmlsec1 against the metadata certificate and xmllint against the schema. */
export async function verifyAssertion(xml: string, baseUrl: string, instance: string): Promise<AssertionView> {
  const { certPem } = await samlMetadataCert(baseUrl, instance);
  xmlsecVerify(xml, certPem);
  xmllintAssertion(xml);
  const doc = new DOMParser().parseFromString(xml, 'application/xml');
  const root = doc.documentElement!;
  if (root.namespaceURI !== NS_SAML || root.localName !== 'Assertion') throw new Error('not a saml:Assertion');
  const text = (el: Element | null | undefined) => (el?.textContent ?? '').trim();
  const first = (name: string) => doc.getElementsByTagNameNS(NS_SAML, name).item(0);
  const attributes: Record<string, string[]> = {};
  const attrs = doc.getElementsByTagNameNS(NS_SAML, 'Attribute');
  for (let i = 0; i < attrs.length; i++) {
    const a = attrs.item(i)!;
    const values = a.getElementsByTagNameNS(NS_SAML, 'AttributeValue');
    attributes[a.getAttribute('Name') ?? ''] = Array.from({ length: values.length }, (_, j) => text(values.item(j)));
  }
  const auds = doc.getElementsByTagNameNS(NS_SAML, 'Audience');
  return {
    issuer: text(first('Issuer')),
    nameId: text(first('NameID')),
    nameIdFormat: first('NameID')?.getAttribute('Format') ?? null,
    audiences: Array.from({ length: auds.length }, (_, i) => text(auds.item(i))),
    attributes,
  };
}

/** Verifies a JWT with PyJWT against the instance's published JWK Set; resolves to the claims. */
export function pyjwtVerify(jwksUrl: string, token: string, audience: string, issuer: string): Promise<Record<string, unknown>> {
  const script = join(repoRoot(), 'test', 'support', 'pyjwt_verify.py');
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [script, jwksUrl, token, audience, issuer], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`PyJWT refused the token: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

/** The text of a Markdown file from the heading that starts with `heading` to the next heading of that level. */
export function markdownSection(path: string, heading: string): string {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`no heading "${heading}" in ${path}`);
  const level = /^#+/.exec(heading)![0];
  const next = text.slice(start + 1 + heading.length).search(new RegExp(`\\n${level} `));
  return next < 0 ? text.slice(start + 1) : text.slice(start + 1, start + 1 + heading.length + next + 1);
}

/** The fenced code blocks of Markdown text, in order, with their info string (indented fences are dedented). */
export function markdownCodeBlocks(text: string): Array<{ lang: string; code: string }> {
  const out: Array<{ lang: string; code: string }> = [];
  const re = /^([ \t]*)```([^\n`]*)\n([\s\S]*?)^\1```[ \t]*$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const indent = m[1]!;
    const code = m[3]!
      .split('\n')
      .map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l))
      .join('\n');
    out.push({ lang: m[2]!.trim(), code });
  }
  return out;
}

/** Runs a shell script (asynchronously, so an in-process server keeps answering); resolves to its stdout. */
export function runShell(script: string, opts: { env: Record<string, string>; cwd?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', `set -e\n${script}`], { env: opts.env, cwd: opts.cwd ?? repoRoot(), timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`shell failed (${err.message}): ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A message as a client may see it: no stack frames, no file paths. */
export function assertNoInternals(text: string, forbidden: string[] = []): void {
  if (/\n\s+at\s/.test(text) || /\bat [^\s]+ \(/.test(text)) throw new Error(`stack trace leaked: ${text}`);
  if (/file:\/\/|\/tmp\/|tessera-plugins-|\.mjs\b/.test(text)) throw new Error(`a path leaked: ${text}`);
  for (const f of forbidden) if (text.includes(f)) throw new Error(`"${f}" leaked: ${text}`);
}
