/**
 * The hostile table for SAML2 input, on SQLite and PostgreSQL, at both doors (GraphQL translateToken and REST
 * /rest-sts/<instance>?_action=translate): signature wrapping (a second unsigned assertion, the signed one moved
 * into Advice or into its own Signature's Object, a Reference pointing elsewhere), re-signed by another key,
 * tampered, unsigned, the right key with the wrong algorithm, DOCTYPE and entities, comments, CDATA and
 * processing instructions (the comment trick must never change the subject), the wrong issuer, expired and not
 * yet valid (by the assertion's dates and by the server's clock), wrong audience and recipient, bearer without
 * SubjectConfirmationData, several assertions, oversized and too deeply nested input, Responses that are not
 * Success, EncryptedAssertions Tessera cannot or must not read, and replayed IDs. Every one is refused with
 * INVALID_TOKEN (BAD_USER_INPUT for a field over 64 KiB, as API.md §2 says) and a message that says why, never
 * a stack trace or a 500. The partner's documents come from pysaml2 and xmlsec1 (test/support/saml-partner.ts).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpensslWorkspace } from '../support/openssl.js';
import { TestClock } from '../support/clock.js';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { assertNoInternals } from '../support/saml-api.js';
import { xmlsecVerify } from '../support/saml.js';
import { PartnerIdp, Pysaml2Batch, responseAround, standaloneAssertion, URI, XSW, xmlsecSignedAssertion, xsTime } from '../support/saml-partner.js';

const AUD = 'https://sts.tessera.example/saml-in';
const RECIPIENT = 'https://sts.tessera.example/saml-in/acs';
const TRANSLATE = `mutation($n: String!, $in: TokenInput!, $out: TokenOutput!) { translateToken(instance: $n, input: $in, output: $out) { token subject } }`;
const OUT_GQL = { type: 'OPENIDCONNECT' };
const OUT_REST = { token_type: 'OPENIDCONNECT', allow_access: true };
const VICTIM = 'admin@partner.example';

let ws: OpensslWorkspace;
let idp: PartnerIdp;
let attacker: PartnerIdp;
let stranger: PartnerIdp;
let docs: Pysaml2Batch;

/** The genuine NameID replaced in the text after signing. */
function withNameId(xml: string, nameId: string): string {
  const out = xml.replace(/(<[A-Za-z0-9]*:?NameID\b[^>]*>)[^<]*(<)/, `$1${nameId}$2`);
  assert.notEqual(out, xml);
  return out;
}

/** Text inserted right after the genuine document's first start tag (the assertion's own). */
function afterRootStart(xml: string, insert: string): string {
  const i = xml.indexOf('>', xml.indexOf('Assertion')) + 1;
  return xml.slice(0, i) + insert + xml.slice(i);
}

interface Case {
  name: string;
  make: () => string;
  message: RegExp;
  instance?: 'hostile' | 'pinned';
  /** The rewrite still carries a signature xmlsec1 verifies with the partner's certificate: a real wrapping attack. */
  stillVerifies?: boolean;
}

const CASES: Case[] = [
  // Signature wrapping.
  { name: 'XSW: a second, unsigned assertion before the signed one (in a Response)', make: () => XSW.secondUnsignedAssertion(docs.get('genuine'), VICTIM, idp.entityId), message: /exactly one assertion/, stillVerifies: true },
  { name: 'XSW: the signed assertion moved into the evil assertion\'s Advice', make: () => XSW.signedMovedIntoAdvice(docs.get('genuine'), VICTIM), message: /more than one saml:Assertion/, stillVerifies: true },
  { name: 'XSW: the signed assertion moved into its Signature\'s ds:Object, the evil one taking its ID', make: () => XSW.signedMovedIntoSignatureObject(docs.get('genuine'), VICTIM), message: /more than one saml:Assertion/ },
  { name: 'XSW: the Reference points at another element of the Response', make: () => XSW.referencePointsElsewhere(docs.get('genuine'), VICTIM, idp.entityId), message: /one Reference to the assertion/ },
  { name: 'XSW: Reference URI="" (the whole document)', make: () => XSW.emptyReferenceUri(docs.get('genuine')), message: /one Reference to the assertion/ },
  { name: 'the signature moved out of the assertion\'s children (into its Subject)', make: () => XSW.signatureNotAChild(docs.get('genuine')), message: /exactly one ds:Signature, a child of the assertion/, stillVerifies: true },
  { name: 'two signatures on the assertion', make: () => XSW.twoSignatures(docs.get('genuine')), message: /exactly one ds:Signature/ },
  // Keys and algorithms.
  { name: 're-signed by another key (the attacker\'s certificate in KeyInfo)', make: () => docs.get('attacker-signed'), message: /signature does not verify/ },
  { name: 'the NameID changed after signing', make: () => withNameId(docs.get('genuine'), VICTIM), message: /signature does not verify/ },
  { name: 'unsigned', make: () => docs.get('unsigned'), message: /not signed/ },
  { name: 'the right key with rsa-sha1 (SHA-1 is never accepted)', make: () => docs.get('rsa-sha1'), message: /signature algorithm is not one this trust entry accepts/ },
  { name: 'the right key with rsa-sha256 over a SHA-1 digest', make: () => docs.get('sha1-digest'), message: /digest algorithm is not SHA-256 or SHA-512/ },
  { name: 'the right key with rsa-sha512 where the entry pins rsa-sha256', make: () => docs.get('sha512'), message: /signature algorithm is not one this trust entry accepts/, instance: 'pinned' },
  // Hostile XML.
  {
    name: 'DOCTYPE with an external entity in the NameID',
    make: () => `<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + withNameId(docs.get('genuine'), '&xxe;'),
    message: /DTDs/,
  },
  {
    name: 'DOCTYPE with nested entities (billion laughs)',
    make: () => `<!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>` + withNameId(docs.get('genuine'), '&c;'),
    message: /DTDs/,
  },
  { name: 'the comment trick: admin<!---->@evil in a NameID signed as admin@evil', make: () => withNameId(docs.get('evil-signed'), 'admin<!---->@evil.example'), message: /comments/ },
  { name: 'CDATA in the NameID', make: () => withNameId(docs.get('evil-signed'), 'admin<![CDATA[@evil.example]]>'), message: /CDATA/ },
  { name: 'a processing instruction inside the assertion', make: () => afterRootStart(docs.get('genuine'), '<?evil run?>'), message: /processing instructions/ },
  { name: 'nested 40 elements deep', make: () => afterRootStart(docs.get('genuine'), '<x>'.repeat(40) + '</x>'.repeat(40)), message: /too deeply nested/ },
  { name: 'not XML at all', make: () => '{"saml": "assertion"}', message: /not acceptable XML/ },
  { name: 'XML that is not SAML', make: () => '<foo xmlns="urn:example"/>', message: /not a SAML 2\.0 assertion/ },
  // Issuer.
  { name: 'an issuer not in saml2Trust (signed with its own key)', make: () => docs.get('stranger'), message: /untrusted issuer \("https:\/\/stranger\.example"/ },
  {
    name: 'an Issuer with a Format other than entity',
    make: () => xmlsecSignedAssertion({ issuer: idp.entityId, issuerAttributes: ` Format="${URI.emailFormat}"`, nameId: 'alice@partner.example', audience: AUD, keyPath: idp.cert.keyPath, certPath: idp.cert.certPath, signAlg: URI.rsaSha256 }),
    message: /Format other than the entity format/,
  },
  // Time.
  { name: 'expired (Conditions NotOnOrAfter an hour ago)', make: () => docs.get('expired'), message: /expired \(NotOnOrAfter\)/ },
  { name: 'the bearer confirmation expired (SubjectConfirmationData NotOnOrAfter past)', make: () => docs.get('expired-confirmation'), message: /bearer confirmation has expired/ },
  { name: 'not yet valid (NotBefore in an hour)', make: () => docs.get('not-yet-valid'), message: /not valid yet \(NotBefore\)/ },
  // Audience and confirmation.
  { name: 'the wrong audience', make: () => docs.get('wrong-audience'), message: /not meant for this audience/ },
  { name: 'two AudienceRestrictions, one not met', make: () => docs.get('one-restriction-unmet'), message: /not meant for this audience/ },
  { name: 'no AudienceRestriction', make: () => docs.get('no-audience'), message: /names no audience/ },
  { name: 'the wrong Recipient', make: () => docs.get('wrong-recipient'), message: /addressed to another recipient/ },
  { name: 'bearer without SubjectConfirmationData', make: () => docs.get('bearer-no-data'), message: /no SubjectConfirmationData/ },
  { name: 'bearer SubjectConfirmationData without NotOnOrAfter', make: () => docs.get('bearer-no-expiry'), message: /no NotOnOrAfter on the bearer confirmation/ },
  { name: 'holder-of-key only, no bearer confirmation', make: () => docs.get('no-bearer'), message: /no bearer SubjectConfirmation/ },
  {
    name: 'a condition Tessera does not understand',
    make: () =>
      xmlsecSignedAssertion({
        issuer: idp.entityId,
        nameId: 'alice@partner.example',
        audience: AUD,
        keyPath: idp.cert.keyPath,
        certPath: idp.cert.certPath,
        signAlg: URI.rsaSha256,
        extraConditions: `<saml:Condition xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:x="urn:example" xsi:type="x:MustBeUnderstood"/>`,
      }),
    message: /condition Tessera does not understand \(Condition\)/,
  },
  { name: 'a NameID padded with white space', make: () => docs.get('nameid-padded'), message: /padded with white space/ },
  // Envelopes.
  { name: 'two signed assertions in one Response', make: () => responseAround(idp.entityId, [docs.get('multi-a'), docs.get('multi-b')]), message: /exactly one assertion/, stillVerifies: true },
  { name: 'a Response whose status is Requester', make: () => docs.get('status-requester'), message: /not a success \(status "urn:oasis:names:tc:SAML:2\.0:status:Requester"\)/ },
  { name: 'a Response whose status is AuthnFailed', make: () => docs.get('status-authnfailed'), message: /not a success/ },
  { name: 'an EncryptedAssertion for another key', make: () => docs.get('encrypted-other-key'), message: /EncryptedAssertion cannot be read: the content key does not decrypt/ },
  { name: 'an EncryptedAssertion in Triple DES', make: () => docs.get('encrypted-3des'), message: /EncryptedAssertion cannot be read: the content encryption algorithm/ },
  { name: 'more than 256 attributes', make: () => docs.get('too-many-attributes'), message: /more than 256 attributes/ },
];

before(async () => {
  ws = new OpensslWorkspace();
  idp = new PartnerIdp(ws, 'https://idp.partner.example/saml2', { audience: AUD, recipient: RECIPIENT });
  // Claims to be the trusted IdP, holds another key.
  attacker = new PartnerIdp(ws, idp.entityId, { audience: AUD, recipient: RECIPIENT });
  stranger = new PartnerIdp(ws, 'https://stranger.example', { audience: AUD, recipient: RECIPIENT });
  const now = Date.now();
  const data = (o: Record<string, string> = {}) => ({ recipient: RECIPIENT, not_on_or_after: xsTime(now + 300_000), ...o });
  docs = new Pysaml2Batch()
    .add('genuine', idp.spec())
    .add('evil-signed', idp.spec({ name_id: 'admin@evil.example' }))
    .add('attacker-signed', idp.spec({ sign: attacker.signer() }))
    .add('unsigned', idp.spec({ sign: null }))
    .add('rsa-sha1', idp.spec({ sign: idp.signer({ sign_alg: URI.rsaSha1, digest_alg: URI.sha1 }) }))
    .add('sha1-digest', idp.spec({ sign: idp.signer({ digest_alg: URI.sha1 }) }))
    .add('sha512', idp.spec({ sign: idp.signer({ sign_alg: URI.rsaSha512, digest_alg: URI.sha512 }) }))
    .add('pinned-ok', idp.spec())
    .add('stranger', stranger.spec())
    .add('expired', idp.spec({ now: now - 3600_000 }))
    .add('expired-confirmation', idp.spec({ confirmations: [{ method: URI.bearer, data: data({ not_on_or_after: xsTime(now - 120_000) }) }] }))
    .add('not-yet-valid', idp.spec({ not_before: xsTime(now + 3600_000), not_on_or_after: xsTime(now + 7200_000) }))
    .add('by-clock', idp.spec())
    .add('wrong-audience', idp.spec({ audiences: [['https://another-sp.example']] }))
    .add('one-restriction-unmet', idp.spec({ audiences: [[AUD], ['https://another-sp.example']] }))
    .add('no-audience', idp.spec({ audiences: [] }))
    .add('wrong-recipient', idp.spec({ recipient: 'https://evil.example/acs' }))
    .add('bearer-no-data', idp.spec({ confirmations: [{ method: URI.bearer, data: null }] }))
    .add('bearer-no-expiry', idp.spec({ confirmations: [{ method: URI.bearer, data: { recipient: RECIPIENT } }] }))
    .add('no-bearer', idp.spec({ confirmations: [{ method: URI.holderOfKey, data: data() }] }))
    .add('nameid-padded', idp.spec({ name_id: ' admin@partner.example' }))
    .add('multi-a', idp.spec())
    .add('multi-b', idp.spec({ name_id: VICTIM }))
    .add('status-requester', idp.spec({ response: { status: URI.requester } }))
    .add('status-authnfailed', idp.spec({ response: { status: URI.authnFailed } }))
    .add('encrypted-other-key', idp.spec({ encrypt: { cert: attacker.cert.certPath, data_alg: URI.aes256Cbc } }))
    .add('encrypted-3des', idp.spec({ encrypt: { cert: attacker.cert.certPath, data_alg: URI.tripleDesCbc } }))
    .add('too-many-attributes', idp.spec({ attributes: Array.from({ length: 257 }, (_, i) => ({ name: `a${i}`, values: ['v'] })) }))
    .add('prototype-names', idp.spec({ attributes: ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'mail'].map((name) => ({ name, values: [`${name}-value`] })) }))
    .add('oversized', idp.spec({ attributes: [{ name: 'pad', values: ['x'.repeat(64 * 1024)] }] }));
  for (const door of ['gql', 'rest', 'cross']) docs.add(`replay-${door}`, idp.spec());
  await docs.run();
});
after(() => ws?.cleanup());

for (const db of DB_KINDS) {
  describe(`hostile SAML2 input, on ${db}`, () => {
    let s: TestServer;
    const clock = new TestClock();

    const gql = (xml: string, instance = 'hostile') => s.gql(TRANSLATE, { n: instance, in: { type: 'SAML2', samlAssertion: xml }, out: OUT_GQL });
    const rest = (xml: string, instance = 'hostile') => s.rest(instance, 'translate', { input_token_state: { token_type: 'SAML2', saml2_token: xml }, output_token_state: OUT_REST });

    async function refusedAtBothDoors(xml: string, message: RegExp, instance = 'hostile'): Promise<void> {
      const g = await gql(xml, instance);
      assert.equal(g.errors?.[0]?.extensions?.code, 'INVALID_TOKEN', `GraphQL: ${JSON.stringify(g.errors ?? g.data)}`);
      assert.equal(g.data, null);
      assert.match(g.errors![0]!.message, message);
      assertNoInternals(g.errors![0]!.message);
      const r = await rest(xml, instance);
      assert.deepEqual([r.status, r.body?.code, r.body?.detail?.code], [401, 401, 'INVALID_TOKEN'], `REST: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.issued_token, undefined);
      assert.match(r.body.message, message);
      assertNoInternals(r.body.message);
    }

    before(async () => {
      s = await startServer({ db, clock });
      const trust = { issuer: idp.entityId, certificates: [idp.cert.pem], audience: [AUD], recipients: [RECIPIENT] };
      for (const i of [
        { name: 'hostile', transforms: [{ input: 'SAML2', output: 'OPENIDCONNECT' }], oidc: { audience: ['rp'] }, saml2Trust: [trust] },
        { name: 'pinned', transforms: [{ input: 'SAML2', output: 'OPENIDCONNECT' }], oidc: { audience: ['rp'] }, saml2Trust: [{ ...trust, signatureAlgorithms: [URI.rsaSha256] }] },
      ]) {
        const r = await s.gql(`mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }`, { i }, s.adminToken);
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      }
    });
    after(async () => {
      await s?.destroy();
    });

    for (const c of CASES) {
      test(`refused: ${c.name}`, async () => {
        const xml = c.make();
        if (c.stillVerifies) xmlsecVerify(xml, idp.cert.pem);
        await refusedAtBothDoors(xml, c.message, c.instance);
      });
    }

    test('the comment trick never yields the shortened subject: nothing was issued to "admin"', async () => {
      const r = await s.gql(`query { issuedTokens(subject: "admin") { tokenId } }`, {}, s.adminToken);
      assert.deepEqual(r.data.issuedTokens, []);
      // The genuine NameID itself, uncommented, is the one subject that can come out of that assertion.
      const ok = await gql(docs.get('evil-signed'));
      assert.equal(ok.data?.translateToken?.subject, 'admin@evil.example', JSON.stringify(ok.errors));
    });

    test('the pinned entry accepts its own algorithm (control for the rsa-sha512 row)', async () => {
      const ok = await gql(docs.get('pinned-ok'), 'pinned');
      assert.equal(ok.data?.translateToken?.subject, 'alice@partner.example', JSON.stringify(ok.errors));
    });

    test('over 64 KiB: BAD_USER_INPUT naming the field at each door', async () => {
      const big = docs.get('oversized');
      assert.ok(Buffer.byteLength(big) > 64 * 1024);
      const g = await gql(big);
      assert.equal(g.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.equal(g.errors?.[0]?.extensions?.field, 'input.samlAssertion');
      assert.match(g.errors![0]!.message, /larger than 64 KiB/);
      const r = await rest(big);
      assert.deepEqual([r.status, r.body?.detail?.code], [400, 'BAD_USER_INPUT'], JSON.stringify(r.body));
      assert.match(r.body.message, /input_token_state\.saml2_token/);
    });

    test('expired and not yet valid by the server\'s clock; a refusal does not use the ID up', async () => {
      const xml = docs.get('by-clock');
      await clock.during(3600_000, () => refusedAtBothDoors(xml, /expired \(NotOnOrAfter\)/));
      await clock.during(-3600_000, () => refusedAtBothDoors(xml, /not valid yet/));
      const ok = await gql(xml);
      assert.equal(ok.data?.translateToken?.subject, 'alice@partner.example', JSON.stringify(ok.errors));
    });

    test('attributes named after Object.prototype members are plain attributes, never an internal error', async () => {
      const ok = await gql(docs.get('prototype-names'));
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
      assert.equal(ok.data.translateToken.subject, 'alice@partner.example');
    });

    test('replay: an assertion ID is accepted once, whichever door sees it again', async () => {
      const g = docs.get('replay-gql');
      assert.equal((await gql(g)).data?.translateToken?.subject, 'alice@partner.example');
      await refusedAtBothDoors(g, /already used \(its ID is accepted once\)/);
      const r = docs.get('replay-rest');
      assert.equal((await rest(r)).status, 200);
      await refusedAtBothDoors(r, /already used/);
      // The same assertion wrapped differently (in a Response) is the same ID.
      const c = docs.get('replay-cross');
      assert.equal((await gql(c)).data?.translateToken?.subject, 'alice@partner.example');
      await refusedAtBothDoors(responseAround(idp.entityId, [standaloneAssertion(c)]), /already used/);
    });
  });
}
