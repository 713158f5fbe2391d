/**
 * Pretty-prints XML as React elements (never as HTML strings), so a hostile attribute value in a token is shown
 * as text and cannot become markup.
 */
import type { ReactNode } from 'react';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

export function parseXml(text: string): Document | null {
  if (/<!DOCTYPE/i.test(text)) return null;
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  return doc.getElementsByTagName('parsererror').length > 0 ? null : doc;
}

function attrs(el: Element): ReactNode[] {
  return Array.from(el.attributes).map((a) => (
    <span key={a.name}>
      {' '}
      <span className="xml-attr">{a.name}</span>=<span className="xml-value">"{a.value}"</span>
    </span>
  ));
}

/** Long unbroken values (signatures, certificates, ciphertext) wrapped at 76 characters like PEM. */
function wrapText(text: string, indent: string): string {
  if (text.length <= 76 || /\s/.test(text)) return text;
  return '\n' + (text.match(/.{1,76}/g) ?? []).map((l) => indent + '  ' + l).join('\n') + '\n' + indent;
}

function render(node: Element, depth: number, out: ReactNode[], key: { n: number }): void {
  const indent = '  '.repeat(depth);
  const kids = Array.from(node.childNodes).filter((c) => c.nodeType === Node.ELEMENT_NODE || (c.nodeType === Node.TEXT_NODE && c.textContent!.trim() !== ''));
  const name = node.tagName;
  if (kids.length === 0) {
    out.push(
      <span key={key.n++}>
        {indent}
        <span className="xml-tag">&lt;{name}</span>
        {attrs(node)}
        <span className="xml-tag">/&gt;</span>
        {'\n'}
      </span>,
    );
    return;
  }
  if (kids.length === 1 && kids[0]!.nodeType === Node.TEXT_NODE) {
    out.push(
      <span key={key.n++}>
        {indent}
        <span className="xml-tag">&lt;{name}</span>
        {attrs(node)}
        <span className="xml-tag">&gt;</span>
        <span className="xml-text">{wrapText(kids[0]!.textContent!.trim(), indent)}</span>
        <span className="xml-tag">&lt;/{name}&gt;</span>
        {'\n'}
      </span>,
    );
    return;
  }
  out.push(
    <span key={key.n++}>
      {indent}
      <span className="xml-tag">&lt;{name}</span>
      {attrs(node)}
      <span className="xml-tag">&gt;</span>
      {'\n'}
    </span>,
  );
  for (const k of kids) {
    if (k.nodeType === Node.ELEMENT_NODE) render(k as Element, depth + 1, out, key);
    else
      out.push(
        <span key={key.n++} className="xml-text">
          {indent}  {k.textContent!.trim()}
          {'\n'}
        </span>,
      );
  }
  out.push(
    <span key={key.n++}>
      {indent}
      <span className="xml-tag">&lt;/{name}&gt;</span>
      {'\n'}
    </span>,
  );
}

export function XmlView({ doc, label }: { doc: Document; label: string }) {
  const out: ReactNode[] = [];
  render(doc.documentElement, 0, out, { n: 0 });
  return (
    <pre className="xml" tabIndex={0} aria-label={label}>
      {out}
    </pre>
  );
}

export interface AssertionSummary {
  rows: Array<[string, string]>;
  attributes: Array<[string, string]>;
  encrypted: boolean;
}

function first(doc: Document, ns: string, local: string): Element | undefined {
  return doc.getElementsByTagNameNS(ns, local)[0];
}

/** What the assertion says, for a table above the XML. Read for display only: the server verifies. */
export function summarizeAssertion(doc: Document): AssertionSummary {
  const root = doc.documentElement;
  // A samlp:Response envelope (API.md §8) carries the assertion, signed or encrypted as configured.
  const response = root.localName === 'Response' ? root : null;
  const assertion = response ? first(doc, SAML, 'Assertion') : root;
  const encrypted = response ? !assertion && !!first(doc, SAML, 'EncryptedAssertion') : root.localName === 'EncryptedAssertion';
  const rows: Array<[string, string]> = [];
  const push = (label: string, v: string | null | undefined) => {
    if (v) rows.push([label, v]);
  };
  if (response) {
    push('Response ID', response.getAttribute('ID'));
    push('Destination', response.getAttribute('Destination'));
    push('In response to', response.getAttribute('InResponseTo'));
    push('Status', response.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'StatusCode')[0]?.getAttribute('Value'));
  }
  push('Assertion ID', assertion?.getAttribute('ID'));
  push('Issuer', first(doc, SAML, 'Issuer')?.textContent?.trim());
  const nameId = first(doc, SAML, 'NameID');
  push('Subject', nameId?.textContent?.trim());
  push('Name ID format', nameId?.getAttribute('Format'));
  push('Confirmation', first(doc, SAML, 'SubjectConfirmation')?.getAttribute('Method'));
  const cond = first(doc, SAML, 'Conditions');
  push('Not before', cond?.getAttribute('NotBefore'));
  push('Not on or after', cond?.getAttribute('NotOnOrAfter'));
  push('Audience', Array.from(doc.getElementsByTagNameNS(SAML, 'Audience')).map((a) => a.textContent?.trim()).join(', '));
  push('Authentication context', first(doc, SAML, 'AuthnContextClassRef')?.textContent?.trim());
  push('Signature algorithm', first(doc, DS, 'SignatureMethod')?.getAttribute('Algorithm'));
  const attributes: Array<[string, string]> = Array.from(doc.getElementsByTagNameNS(SAML, 'Attribute')).map((a) => [
    a.getAttribute('Name') ?? '',
    Array.from(a.getElementsByTagNameNS(SAML, 'AttributeValue'))
      .map((v) => v.textContent ?? '')
      .join(', '),
  ]);
  return { rows, attributes, encrypted };
}
