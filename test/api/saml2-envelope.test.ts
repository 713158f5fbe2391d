/**
 * SAML that SP libraries take as they are (API.md §8): the samlp:Response envelope through GraphQL and REST,
 * judged by pysaml2 and @node-saml/node-saml with their default settings (signed Response + signed assertion;
 * encrypted assertion), by xmllint against the OASIS protocol schema and by xmlsec1; validate and cancel of the
 * Response exactly as issued; SessionIndex; per-attribute NameFormat; the IdP metadata's validity, binding
 * and signature.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SAML } from '@node-saml/node-saml';
import { codeOf, startServer, type TestServer } from '../support/server.js';
import { makeSelfSigned, SAML_SCHEMA_DIR, xmlsecVerify, type TestCert } from '../support/saml.js';
import { execFileSync } from 'node:child_process';
import { projectRoot } from '../../src/paths.js';

const NS = { samlp: 'urn:oasis:names:tc:SAML:2.0:protocol', saml: 'urn:oasis:names:tc:SAML:2.0:assertion', md: 'urn:oasis:names:tc:SAML:2.0:metadata', ds: 'http://www.w3.org/2000/09/xmldsig#' };
const SP = 'https://sp.example/metadata';
const ACS = 'https://sp.example/acs';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const MAIL_OID = 'urn:oid:0.9.2342.19200300.100.1.3';

const dir = mkdtempSync(join(tmpdir(), 'tessera-envelope-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function xmllintProtocol(xml: string): void {
  const file = join(dir, `lint-${Math.random().toString(36).slice(2)}.xml`);
  writeFileSync(file, xml);
  execFileSync('xmllint', ['--noout', '--nonet', '--schema', join(SAML_SCHEMA_DIR(), 'saml-schema-protocol-2.0.xsd'), file], { stdio: 'pipe' });
}

/** xmlsec1 with the IdP certificate only, knowing both ID attributes (Response and Assertion). */
function xmlsecVerifyResponse(xml: string, certPem: string): void {
  const tag = Math.random().toString(36).slice(2);
  writeFileSync(join(dir, `${tag}.xml`), xml);
  writeFileSync(join(dir, `${tag}.crt`), certPem);
  execFileSync('xmlsec1', ['--verify', '--enabled-key-data', 'rsa,ec', '--pubkey-cert-pem', join(dir, `${tag}.crt`), '--id-attr:ID', `${NS.samlp}:Response`, '--id-attr:ID', `${NS.saml}:Assertion`, join(dir, `${tag}.xml`)], { stdio: 'pipe' });
}

function elements(root: Document | Element, ns: string, name: string): Element[] {
  const list = root.getElementsByTagNameNS(ns, name);
  return Array.from({ length: list.length }, (_, i) => list.item(i) as Element);
}

function parse(xml: string): Document {
  return new DOMParser().parseFromString(xml, 'text/xml');
}

function first(doc: Document | Element, ns: string, name: string): Element | undefined {
  return (doc.getElementsByTagNameNS(ns, name)[0] as Element | undefined) ?? undefined;
}

/** pysaml2 as an SP with its defaults; resolves with what it accepted, rejects with its refusal. */
function pysaml2(xml: string, metadata: string, sp: TestCert, inResponseTo: string | null): Promise<Record<string, any>> {
  const tag = Math.random().toString(36).slice(2);
  const files = { md: join(dir, `${tag}-idp.xml`), key: join(dir, `${tag}-sp.key`), cert: join(dir, `${tag}-sp.crt`), resp: join(dir, `${tag}-r.xml`), cfg: join(dir, `${tag}.json`) };
  writeFileSync(files.md, metadata);
  writeFileSync(files.key, sp.keyPem);
  writeFileSync(files.cert, sp.certPem);
  writeFileSync(files.resp, xml);
  writeFileSync(files.cfg, JSON.stringify({ idp_metadata: files.md, entity_id: SP, acs: ACS, key_file: files.key, cert_file: files.cert, response_file: files.resp, in_response_to: inResponseTo }));
  return new Promise((resolve, reject) =>
    execFile('/usr/bin/python3', [join(projectRoot(), 'test', 'support', 'pysaml2_sp.py'), files.cfg], { timeout: 60_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`pysaml2 refused: ${stderr.split('\n').slice(-3).join(' ')}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

/** node-saml with its defaults (wantAuthnResponseSigned and wantAssertionsSigned true). */
async function nodeSaml(xml: string, idpCert: string, decryptionPvk?: string) {
  const saml = new SAML({ callbackUrl: ACS, idpCert, issuer: SP, audience: SP, ...(decryptionPvk ? { decryptionPvk } : {}) });
  return saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(xml, 'utf8').toString('base64') });
}

describe('the samlp:Response envelope', () => {
  let s: TestServer;
  let sp: TestCert;
  let idpCertPem: string;
  const metadataOf = async (name: string) => (await fetch(`${s.url}/sts/${name}/saml-metadata.xml`)).text();
  const saml2 = (extra: Record<string, unknown> = {}) => ({
    issuer: 'https://idp.tessera.example',
    spEntityId: SP,
    spAcsUrl: ACS,
    attributeMap: { [MAIL_OID]: { attribute: 'mail', nameFormat: URI_FORMAT, friendlyName: 'mail' }, memberOf: 'memberOf' },
    ...extra,
  });
  const translate = (instance: string, output: Record<string, unknown>) =>
    s.gql(
      'mutation($n: String!, $o: TokenOutput!, $p: String!) { translateToken(instance: $n, input: { type: USERNAME, username: "erin", password: $p }, output: $o) { token tokenId } }',
      { n: instance, o: { type: 'SAML2', ...output }, p: 'erin-password-1' },
    );

  before(async () => {
    s = await startServer({ db: 'sqlite' });
    sp = await makeSelfSigned({ cn: 'sp.example' });
    // erin's attributes feed the attribute statement.
    const u = await s.gql('mutation($i: UserInput!) { createUser(input: $i) { username } }', { i: { username: 'erin', password: 'erin-password-1', attributes: { mail: 'erin@example.com', memberOf: ['ops', 'staff'] } } }, s.adminToken);
    assert.equal(u.errors, undefined, JSON.stringify(u.errors));
    const instances = [
      { name: 'env-signed', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: saml2({ envelope: { enabled: true, signResponse: true }, metadata: { sign: true } }) },
      { name: 'env-encrypted', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: saml2({ envelope: { enabled: true, signResponse: true }, encryptAssertion: true, spEncryptionCertificate: sp.certPem }) },
      { name: 'env-request', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: saml2({ envelope: { signResponse: true } }) },
    ];
    for (const i of instances) {
      const r = await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name saml2 { envelope { enabled signResponse } metadata { sign validitySeconds cacheDurationSeconds } } } }', { i }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    }
    const md = parse(await metadataOf('env-signed'));
    idpCertPem = `-----BEGIN CERTIFICATE-----\n${first(md, NS.ds, 'X509Certificate')!.textContent!.trim()}\n-----END CERTIFICATE-----\n`;
  });
  after(() => s.destroy());

  test('GraphQL: a signed Response around a signed assertion; pysaml2, node-saml, xmllint and xmlsec1 accept it', async () => {
    const r = await translate('env-signed', { inResponseTo: '_req-4711' });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const { token, tokenId } = r.data.translateToken;
    const doc = parse(token);
    const root = doc.documentElement;
    assert.equal(root.namespaceURI, NS.samlp);
    assert.equal(root.localName, 'Response');
    assert.equal(root.getAttribute('Version'), '2.0');
    assert.equal(root.getAttribute('Destination'), ACS);
    assert.equal(root.getAttribute('InResponseTo'), '_req-4711');
    assert.equal(first(doc, NS.samlp, 'StatusCode')!.getAttribute('Value'), 'urn:oasis:names:tc:SAML:2.0:status:Success');
    const assertion = first(doc, NS.saml, 'Assertion')!;
    assert.equal(tokenId, assertion.getAttribute('ID'), 'tokenId stays the assertion ID');
    assert.notEqual(root.getAttribute('ID'), tokenId);
    assert.equal(first(assertion, NS.saml, 'SubjectConfirmationData')!.getAttribute('InResponseTo'), '_req-4711');
    assert.match(first(assertion, NS.saml, 'AuthnStatement')!.getAttribute('SessionIndex') ?? '', /^_[0-9a-f]{32}$/, 'SessionIndex by default');
    const mail = elements(assertion, NS.saml, 'Attribute').find((a) => a.getAttribute('Name') === MAIL_OID)!;
    assert.equal(mail.getAttribute('NameFormat'), URI_FORMAT);
    assert.equal(mail.getAttribute('FriendlyName'), 'mail');
    // The Response's signature is its own child, after the Issuer; the assertion keeps its own.
    const rootSig = Array.from({ length: root.childNodes.length }, (_, i) => root.childNodes.item(i)).filter((n) => (n as Element).localName === 'Signature');
    assert.equal(rootSig.length, 1);
    assert.equal((rootSig[0]!.previousSibling as Element).localName, 'Issuer');

    xmllintProtocol(token);
    xmlsecVerifyResponse(token, idpCertPem); // the first signature in document order: the Response's
    xmlsecVerify(new XMLSerializer().serializeToString(assertion), idpCertPem);

    const py = await pysaml2(token, await metadataOf('env-signed'), sp, '_req-4711');
    assert.equal(py.name_id, 'erin');
    assert.equal(py.in_response_to, '_req-4711');
    assert.equal(py.response_signed, true);
    assert.deepEqual(py.attributes.mail, ['erin@example.com'], "the uri NameFormat maps the OID to pysaml2's name");
    assert.match(py.session_index, /^_[0-9a-f]{32}$/);

    const ns = await nodeSaml(token, idpCertPem);
    assert.equal(ns.profile?.nameID, 'erin');
    assert.equal(ns.profile?.sessionIndex, py.session_index);
    assert.equal(ns.profile?.inResponseTo, '_req-4711');
  });

  test('REST: a signed Response around an encrypted assertion; pysaml2 and node-saml decrypt and accept it', async () => {
    const r = await s.rest('env-encrypted', 'translate', {
      input_token_state: { token_type: 'USERNAME', username: 'erin', password: 'erin-password-1' },
      output_token_state: { token_type: 'SAML2', subject_confirmation: 'BEARER', in_response_to: '_req-enc' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const token = r.body.issued_token as string;
    const doc = parse(token);
    assert.equal(doc.documentElement.localName, 'Response');
    assert.ok(first(doc, NS.saml, 'EncryptedAssertion'));
    assert.equal(first(doc, NS.saml, 'Assertion'), undefined, 'no assertion in clear');
    xmllintProtocol(token);
    xmlsecVerifyResponse(token, idpCertPem);
    const py = await pysaml2(token, await metadataOf('env-encrypted'), sp, '_req-enc');
    assert.equal(py.name_id, 'erin');
    assert.deepEqual(py.attributes.mail, ['erin@example.com']);
    const ns = await nodeSaml(token, idpCertPem, sp.keyPem);
    assert.equal(ns.profile?.nameID, 'erin');
    assert.equal(ns.profile?.inResponseTo, '_req-enc');
  });

  test('validate and cancel take the Response exactly as issued; a changed Response does not validate', async () => {
    const { token } = (await translate('env-signed', {})).data.translateToken;
    const validate = (t: string) => s.gql('mutation($t: String!) { validateToken(instance: "env-signed", type: SAML2, token: $t) { valid reason subject } }', { t }, s.adminToken);
    assert.deepEqual((await validate(token)).data.validateToken, { valid: true, reason: null, subject: 'erin' });
    const rest = await s.rest('env-signed', 'validate', { validated_token_state: { token_type: 'SAML2', saml2_token: token } });
    assert.deepEqual(rest.body, { token_valid: true });
    const tampered = [
      token.replace(`Destination="${ACS}"`, 'Destination="https://evil.example/acs"'),
      token.replace('<samlp:StatusCode', '<samlp:StatusCode foo="bar"'),
      token.replace(/(<ds:SignatureValue>)([A-Za-z0-9+/])/, (_m: string, a: string, c: string) => `${a}${c === 'A' ? 'B' : 'A'}`),
    ];
    for (const t of tampered) {
      assert.notEqual(t, token);
      const v = (await validate(t)).data.validateToken;
      assert.equal(v.valid, false);
      assert.ok(['BAD_SIGNATURE', 'UNKNOWN'].includes(v.reason), v.reason);
    }
    // The bare assertion cut out of the Response is not the token that was issued.
    const bare = new XMLSerializer().serializeToString(first(parse(token), NS.saml, 'Assertion')!);
    assert.equal((await validate(bare)).data.validateToken.reason, 'UNKNOWN');
    assert.equal((await s.gql('mutation($t: String!) { cancelToken(instance: "env-signed", type: SAML2, token: $t) }', { t: token }, s.adminToken)).data.cancelToken, true);
    assert.equal((await validate(token)).data.validateToken.reason, 'CANCELLED');
  });

  test('a per-request envelope: signed when signResponse is true though enabled is false; absent, a bare assertion', async () => {
    const bare = (await translate('env-request', {})).data.translateToken.token as string;
    assert.equal(parse(bare).documentElement.localName, 'Assertion');
    const off = (await translate('env-request', { envelope: false })).data.translateToken.token as string;
    assert.equal(parse(off).documentElement.localName, 'Assertion');
    const on = (await translate('env-request', { envelope: true })).data.translateToken.token as string;
    assert.equal(parse(on).documentElement.localName, 'Response');
    xmlsecVerifyResponse(on, idpCertPem);
    await nodeSaml(on, idpCertPem);
    const viaRest = await s.rest('env-request', 'translate', {
      input_token_state: { token_type: 'USERNAME', username: 'erin', password: 'erin-password-1' },
      output_token_state: { token_type: 'SAML2', envelope: 'true' },
    });
    assert.equal(parse(viaRest.body.issued_token).documentElement.localName, 'Response');
    const offRest = await s.rest('env-signed', 'translate', {
      input_token_state: { token_type: 'USERNAME', username: 'erin', password: 'erin-password-1' },
      output_token_state: { token_type: 'SAML2', envelope: false },
    });
    assert.equal(parse(offRest.body.issued_token).documentElement.localName, 'Assertion', 'the request overrides an enabled envelope');
  });

  test('refused: a bad InResponseTo or envelope value, and bad envelope, metadata and attributeMap configuration', async () => {
    for (const [output, field] of [
      [{ inResponseTo: '4711' }, 'output.inResponseTo'],
      [{ inResponseTo: 'a b' }, 'output.inResponseTo'],
      [{ inResponseTo: '<x/>' }, 'output.inResponseTo'],
    ] as const) {
      const r = await translate('env-signed', output);
      assert.equal(codeOf(r), 'BAD_USER_INPUT', JSON.stringify(output));
      assert.match(r.errors![0]!.message, new RegExp(field.replace('.', '\\.')));
    }
    const rest = await s.rest('env-signed', 'translate', {
      input_token_state: { token_type: 'USERNAME', username: 'erin', password: 'erin-password-1' },
      output_token_state: { token_type: 'SAML2', in_response_to: '9lives' },
    });
    assert.equal(rest.status, 400);
    assert.match(rest.body.message, /output_token_state\.in_response_to/);
    const badEnvelope = await s.rest('env-signed', 'translate', {
      input_token_state: { token_type: 'USERNAME', username: 'erin', password: 'erin-password-1' },
      output_token_state: { token_type: 'SAML2', envelope: 'yes' },
    });
    assert.equal(badEnvelope.status, 400);

    const publish = (extra: Record<string, unknown>) =>
      s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', { i: { name: 'env-bad', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: saml2(extra) } }, s.adminToken);
    // GraphQL's own types refuse a non-boolean; the section's parser refuses what JSON doors could send.
    assert.equal(codeOf(await publish({ envelope: { enabled: 'yes' } })), 'BAD_USER_INPUT');
    await assert.rejects(s.tessera.services.publish.validate({ name: 'env-bad', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: saml2({ envelope: { enabled: 'yes' } }) }), /input\.saml2\.envelope\.enabled: /);
    for (const [extra, field] of [
      [{ envelope: { sign: true } }, 'input.saml2.envelope.sign'],
      [{ metadata: { validitySeconds: 5 } }, 'input.saml2.metadata.validitySeconds'],
      [{ metadata: { cacheDurationSeconds: -1 } }, 'input.saml2.metadata.cacheDurationSeconds'],
      [{ attributeMap: { mail: { attribute: 'mail', nameFormat: 'not a uri' } } }, 'input.saml2.attributeMap.mail.nameFormat'],
      [{ attributeMap: { mail: { nameFormat: URI_FORMAT } } }, 'input.saml2.attributeMap.mail.attribute'],
      [{ attributeMap: { mail: { attribute: 'mail', format: URI_FORMAT } } }, 'input.saml2.attributeMap.mail.format'],
    ] as const) {
      // The section's parser, as every door publishes (GraphQL's own input types already refuse unknown keys).
      const e = await s.tessera.services.publish.validate({ name: 'env-bad', transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: saml2(extra) }).then(
        () => assert.fail(`${JSON.stringify(extra)} was accepted`),
        (err: { code?: string; message: string }) => err,
      );
      assert.equal(e.code, 'BAD_USER_INPUT', JSON.stringify(extra));
      assert.ok(e.message.startsWith(`${field}:`), `${JSON.stringify(extra)}: ${e.message}`);
    }
    const viaDoor = await publish({ attributeMap: { mail: { attribute: 'mail', nameFormat: 'not a uri' } } });
    assert.equal(codeOf(viaDoor), 'BAD_USER_INPUT');
    assert.match(viaDoor.errors![0]!.message, /^input\.saml2\.attributeMap\.mail\.nameFormat: must be an absolute URI/);
  });

  test('IdP metadata: validUntil, cacheDuration, HTTP-POST SingleSignOnService at the REST URL; signed on request', async () => {
    const signed = await metadataOf('env-signed');
    const doc = parse(signed);
    const ed = doc.documentElement;
    const validUntil = Date.parse(ed.getAttribute('validUntil')!);
    assert.ok(Math.abs(validUntil - (Date.now() + 7 * 86400_000)) < 60_000, 'validUntil: 7 days by default');
    assert.equal(ed.getAttribute('cacheDuration'), 'PT3600S');
    const sso = first(doc, NS.md, 'SingleSignOnService')!;
    assert.equal(sso.getAttribute('Binding'), 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    assert.equal(sso.getAttribute('Location'), `${s.url}/rest-sts/env-signed`);
    assert.equal((ed.firstChild as Element).localName, 'Signature', 'the signature is the first child (metadata schema order)');
    const file = join(dir, 'md.xml');
    writeFileSync(file, signed);
    writeFileSync(join(dir, 'idp.crt'), idpCertPem);
    execFileSync('xmlsec1', ['--verify', '--enabled-key-data', 'rsa', '--pubkey-cert-pem', join(dir, 'idp.crt'), '--id-attr:ID', `${NS.md}:EntityDescriptor`, file], { stdio: 'pipe' });
    const unsigned = parse(await metadataOf('env-encrypted'));
    assert.equal(first(unsigned, NS.ds, 'Signature'), undefined);
    assert.equal(unsigned.documentElement.getAttribute('cacheDuration'), 'PT3600S');
  });
});
