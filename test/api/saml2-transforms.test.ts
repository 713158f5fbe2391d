/**
 * SAML2 issuance end to end: every input (USERNAME, X509, OPENIDCONNECT, SESSION) with every subject confirmation
 * (BEARER, HOLDER_OF_KEY, SENDER_VOUCHES), through GraphQL translateToken and through the PingAM REST door, on
 * SQLite and PostgreSQL (the full matrix on both). Every assertion is judged by xmllint against the OASIS schema
 * and by xmlsec1 with the certificate from the instance's metadata, then read per SAML core: Issuer, NameID,
 * Conditions, AudienceRestriction, SubjectConfirmationData, AuthnStatement and AttributeStatement.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { makeCa, makeLeaf, makeProof, makeSelfSigned, type TestCa, type TestCert } from '../support/pki.js';
import { makeIssuer, type TestIssuer } from '../support/oidc.js';
import {
  AC,
  AUDIT,
  CM,
  ISSUED,
  METHODS,
  NAMEID,
  NS,
  assertionOf,
  attributeValues,
  bearer,
  children,
  createUser,
  el,
  els,
  floorSecond,
  judge,
  metadataCert,
  publish,
  restTranslate,
  text,
  time,
  translate,
  type Method,
} from '../support/saml-api.js';
import { TestClock } from '../support/clock.js';

const ISSUER = 'https://idp.example.com/tessera';
const SP = 'https://sp.example.com/saml';
const ACS = 'https://sp.example.com/saml/acs';
const LIFETIME = 900;
const PASSWORD = 'alice-password-1';
const BROKER_PASSWORD = 'broker-password-1';
const DISPLAY_NAME_OID = 'urn:oid:2.16.840.1.113730.3.1.241';
const URI_FORMAT = 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri';
const OIDC_AUDIENCE = 'tessera-sts';

const ALICE = { mail: 'alice@example.com', memberOf: ['staff', 'dev'], displayName: 'Alice Liddell' };
const ATTRIBUTE_MAP = {
  mail: 'mail',
  groups: 'memberOf',
  [`${URI_FORMAT}|${DISPLAY_NAME_OID}`]: 'displayName',
  absent: 'noSuchAttribute',
};

type Kind = 'USERNAME' | 'X509' | 'OPENIDCONNECT' | 'SESSION';
const KINDS: Kind[] = ['USERNAME', 'X509', 'OPENIDCONNECT', 'SESSION'];

interface Expectation {
  subject: string;
  classRef: string;
  /** AuthnInstant bounds in epoch ms (inclusive). */
  authn: [number, number];
  attributes: Record<string, string[]>;
}

interface Prepared {
  gql: Record<string, unknown>;
  rest: Record<string, unknown>;
  expect: Expectation;
}

const ALICE_ATTRIBUTES = { mail: [ALICE.mail], groups: ALICE.memberOf, [DISPLAY_NAME_OID]: [ALICE.displayName] };

/** The server's clock: tests move it instead of sleeping. */
const clock = new TestClock();

for (const db of DB_KINDS) {
  describe(`SAML2 transforms × confirmations on ${db}`, () => {
    let s: TestServer;
    let ca: TestCa;
    let leaf: TestCert;
    let holder: TestCert;
    let idp: TestIssuer;
    let idpCert: string;
    let brokerToken: string;
    let aliceSession: string;
    let loginWindow: [number, number];

    before(async () => {
      s = await startServer({ db, clock });
      ca = await makeCa(`Tessera test CA ${db}`);
      leaf = await makeLeaf(ca, { cn: 'carol', email: 'carol@example.com' });
      holder = await makeSelfSigned({ keyAlg: 'EC', cn: 'holder.example.com' });
      idp = makeIssuer({ alg: 'ES256' });
      await createUser(s, 'alice', PASSWORD, ALICE);
      await createUser(s, 'broker', BROKER_PASSWORD, {}, ['user']);
      brokerToken = await s.login('broker', BROKER_PASSWORD);
      await publish(s, {
        name: 'sp-all',
        transforms: KINDS.map((input) => ({ input, output: 'SAML2' })),
        saml2: { issuer: ISSUER, spEntityId: SP, spAcsUrl: ACS, attributeMap: ATTRIBUTE_MAP, lifetimeSeconds: LIFETIME },
        x509Trust: { caCertificates: [ca.certPem] },
        oidcTrust: [{ issuer: idp.issuer, audience: [OIDC_AUDIENCE], jwks: idp.jwks }],
      });
      await publish(s, {
        name: 'sp-plain',
        transforms: [{ input: 'USERNAME', output: 'SAML2' }],
        saml2: { issuer: `${ISSUER}/plain`, spEntityId: `${SP}/plain`, nameIdFormat: NAMEID.persistent, attributeMap: { absent: 'noSuchAttribute' }, lifetimeSeconds: 300 },
      });
      idpCert = (await metadataCert(s, 'sp-all')).pem;
      // The SESSION cases must show the login time, not the translate time: log in, then let a second pass.
      // The login happens 1.1 s in the server's past.
      const t0 = Date.now() - 1100;
      aliceSession = await clock.during(-1100, () => s.login('alice', PASSWORD));
      loginWindow = [floorSecond(t0), Date.now() - 1100];
    });
    after(async () => {
      await s?.destroy();
    });

    async function prepare(kind: Kind): Promise<Prepared> {
      const now = Date.now();
      switch (kind) {
        case 'USERNAME':
          return {
            gql: { type: 'USERNAME', username: 'alice', password: PASSWORD },
            rest: { token_type: 'USERNAME', username: 'alice', password: PASSWORD },
            expect: { subject: 'alice', classRef: AC.passwordProtectedTransport, authn: [floorSecond(now), now + 30_000], attributes: ALICE_ATTRIBUTES },
          };
        case 'X509': {
          // The proof's iat is the authentication time (proof of possession), 2 minutes ago.
          const iat = Math.floor(now / 1000) - 120;
          const gqlProof = await makeProof(leaf.privateKey, { aud: 'sp-all', iat });
          const restProof = await makeProof(leaf.privateKey, { aud: 'sp-all', iat });
          return {
            gql: { type: 'X509', certificate: leaf.certPem, proof: gqlProof },
            rest: { token_type: 'X509', x509_cert: leaf.certPem, proof: restProof },
            expect: { subject: 'carol', classRef: AC.x509, authn: [iat * 1000, iat * 1000], attributes: { mail: ['carol@example.com'] } },
          };
        }
        case 'OPENIDCONNECT': {
          const authTime = Math.floor(now / 1000) - 900;
          const claims = idp.claims(OIDC_AUDIENCE, { sub: 'oidc-user-42', auth_time: authTime, mail: 'dinah@example.org', memberOf: ['guests'], displayName: 'Dinah' });
          const idToken = idp.sign(claims);
          return {
            gql: { type: 'OPENIDCONNECT', idToken },
            rest: { token_type: 'OPENIDCONNECT', oidc_id_token: idToken },
            expect: {
              subject: 'oidc-user-42',
              classRef: AC.passwordProtectedTransport,
              authn: [authTime * 1000, authTime * 1000],
              attributes: { mail: ['dinah@example.org'], groups: ['guests'], [DISPLAY_NAME_OID]: ['Dinah'] },
            },
          };
        }
        case 'SESSION':
          return {
            gql: { type: 'SESSION', sessionToken: aliceSession },
            rest: { token_type: 'SESSION', session_id: aliceSession },
            expect: { subject: 'alice', classRef: AC.previousSession, authn: loginWindow, attributes: ALICE_ATTRIBUTES },
          };
      }
    }

    /** Reads the verified assertion and checks it against SAML core and the instance configuration. */
    function checkAssertion(xml: string, kind: Kind, method: Method, expect: Expectation, window: [number, number], confirmationDer?: string): Element {
      const a = assertionOf(judge(xml, idpCert));
      assert.equal(a.getAttribute('Version'), '2.0');
      assert.match(a.getAttribute('ID') ?? '', /^[_A-Za-z][\w.-]{15,}$/);
      const issue = time(a, 'IssueInstant');
      assert.ok(issue >= floorSecond(window[0]) && issue <= window[1], `IssueInstant ${issue} outside ${window}`);

      // Issuer first, the enveloped signature right after it (SAML core 2.3.3 schema order).
      const kids = children(a);
      assert.equal(kids[0]!.localName, 'Issuer');
      assert.equal(text(kids[0]!), ISSUER);
      assert.equal(kids[1]!.namespaceURI, NS.ds);
      assert.equal(kids[1]!.localName, 'Signature');

      const subject = el(a, NS.saml, 'Subject');
      const nameId = el(subject, NS.saml, 'NameID');
      assert.equal(text(nameId), expect.subject);
      assert.equal(nameId.getAttribute('Format'), NAMEID.unspecified);

      const confirmations = els(subject, NS.saml, 'SubjectConfirmation');
      assert.equal(confirmations.length, 1);
      assert.equal(confirmations[0]!.getAttribute('Method'), CM[method], `${kind} ${method}`);
      const data = els(confirmations[0]!, NS.saml, 'SubjectConfirmationData');
      if (method === 'BEARER') {
        assert.equal(data.length, 1);
        assert.equal(time(data[0]!, 'NotOnOrAfter'), issue + LIFETIME * 1000);
        assert.equal(data[0]!.getAttribute('Recipient'), ACS);
        // SAML profiles 4.1.4.2: bearer confirmation data carries no NotBefore.
        assert.equal(data[0]!.hasAttribute('NotBefore'), false);
      } else if (method === 'HOLDER_OF_KEY') {
        assert.equal(data.length, 1);
        assert.equal(data[0]!.getAttributeNS(NS.xsi, 'type')?.replace(/^.*:/, ''), 'KeyInfoConfirmationDataType');
        const certs = els(data[0]!, NS.ds, 'X509Certificate');
        assert.equal(certs.length, 1);
        assert.equal(text(certs[0]!).replace(/\s+/g, ''), confirmationDer);
      } else {
        assert.equal(els(confirmations[0]!, NS.ds, 'KeyInfo').length, 0);
        for (const d of data) assert.equal(d.hasAttribute('Recipient'), false);
      }

      const conditions = el(a, NS.saml, 'Conditions');
      assert.equal(time(conditions, 'NotBefore'), issue);
      assert.equal(time(conditions, 'NotOnOrAfter'), issue + LIFETIME * 1000);
      const audiences = els(el(conditions, NS.saml, 'AudienceRestriction'), NS.saml, 'Audience').map(text);
      assert.deepEqual(audiences, [SP]);

      const authn = el(a, NS.saml, 'AuthnStatement');
      const authnInstant = time(authn, 'AuthnInstant');
      assert.ok(
        authnInstant >= floorSecond(expect.authn[0]) && authnInstant <= expect.authn[1],
        `AuthnInstant ${new Date(authnInstant).toISOString()} outside [${new Date(expect.authn[0]).toISOString()}, ${new Date(expect.authn[1]).toISOString()}]`,
      );
      if (kind !== 'USERNAME') assert.ok(authnInstant < issue, `${kind}: AuthnInstant must be the original authentication, before the issue`);
      assert.equal(text(el(authn, NS.saml, 'AuthnContextClassRef')), expect.classRef);

      const statements = els(a, NS.saml, 'AttributeStatement');
      assert.equal(statements.length, 1);
      assert.deepEqual(attributeValues(statements[0]!), expect.attributes);
      for (const attr of els(statements[0]!, NS.saml, 'Attribute')) {
        if (attr.getAttribute('Name') === DISPLAY_NAME_OID) assert.equal(attr.getAttribute('NameFormat'), URI_FORMAT);
        else assert.equal(attr.hasAttribute('NameFormat'), false);
      }
      assert.equal(els(a, NS.saml, 'AuthzDecisionStatement').length, 0);
      return a;
    }

    async function recordOf(tokenId: string): Promise<{ subject: string; sender: string | null; type: string; expiresAt: string }> {
      const r = await s.gql(ISSUED, { n: 'sp-all' }, s.adminToken);
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const rec = (r.data.issuedTokens as Array<{ tokenId: string }>).find((x) => x.tokenId === tokenId);
      assert.ok(rec, `no issued-token record ${tokenId}`);
      return rec as never;
    }

    async function checkSender(tokenId: string, method: Method, subject: string): Promise<void> {
      const rec = await recordOf(tokenId);
      assert.equal(rec.subject, subject);
      assert.equal(rec.type, 'SAML2');
      if (method !== 'SENDER_VOUCHES') {
        assert.equal(rec.sender, null);
        return;
      }
      assert.equal(rec.sender, 'broker');
      const audit = await s.gql(AUDIT, { n: 'sp-all' }, s.adminToken);
      assert.equal(audit.errors, undefined, JSON.stringify(audit.errors));
      const ev = (audit.data.auditEvents as Array<{ action: string; outcome: string; actor: string | null; detail: Record<string, unknown> | null }>).find(
        (e) => e.action === 'translate' && e.detail?.tokenId === tokenId,
      );
      assert.ok(ev, `no audit event for ${tokenId}`);
      assert.equal(ev.outcome, 'OK');
      assert.equal(ev.actor, 'broker');
      assert.equal(ev.detail?.sender, 'broker');
    }

    for (const kind of KINDS) {
      for (const method of METHODS) {
        test(`${kind} → SAML2 ${method} via GraphQL translateToken`, async () => {
          const p = await prepare(kind);
          const output: Record<string, unknown> = { type: 'SAML2', subjectConfirmation: method };
          // X509 input: HOLDER_OF_KEY defaults to the proven input certificate; others name the holder's.
          if (method === 'HOLDER_OF_KEY' && kind !== 'X509') output.proofCertificate = holder.certPem;
          const t0 = Date.now();
          const t = await translate(s, 'sp-all', p.gql, output, method === 'SENDER_VOUCHES' ? brokerToken : null);
          const window: [number, number] = [t0, Date.now()];
          const a = checkAssertion(t.token, kind, method, p.expect, window, kind === 'X509' ? leaf.certDerB64 : holder.certDerB64);
          assert.equal(t.tokenId, a.getAttribute('ID'));
          assert.equal(t.subject, p.expect.subject);
          assert.equal(Date.parse(t.issuedAt), time(a, 'IssueInstant'));
          assert.equal(Date.parse(t.expiresAt), time(el(a, NS.saml, 'Conditions'), 'NotOnOrAfter'));
          await checkSender(t.tokenId, method, p.expect.subject);
        });

        test(`${kind} → SAML2 ${method} via REST translate`, async () => {
          const p = await prepare(kind);
          const out: Record<string, unknown> = { token_type: 'SAML2', subject_confirmation: method };
          if (method === 'HOLDER_OF_KEY' && kind !== 'X509') out.proof_token_state = { base64EncodedCertificate: holder.certDerB64 };
          const t0 = Date.now();
          const token = await restTranslate(
            s,
            'sp-all',
            { input_token_state: p.rest, output_token_state: out },
            method === 'SENDER_VOUCHES' ? bearer(brokerToken) : {},
          );
          const a = checkAssertion(token, kind, method, p.expect, [t0, Date.now()], kind === 'X509' ? leaf.certDerB64 : holder.certDerB64);
          await checkSender(a.getAttribute('ID')!, method, p.expect.subject);
        });
      }
    }

    test('X509 input with an explicit proofCertificate confirms that certificate, not the input one', async () => {
      const proof = await makeProof(leaf.privateKey, { aud: 'sp-all' });
      const t = await translate(
        s,
        'sp-all',
        { type: 'X509', certificate: leaf.certPem, proof },
        { type: 'SAML2', subjectConfirmation: 'HOLDER_OF_KEY', proofCertificate: holder.certDerB64 },
      );
      const a = assertionOf(judge(t.token, idpCert));
      const der = text(el(el(a, NS.saml, 'SubjectConfirmationData'), NS.ds, 'X509Certificate'));
      assert.equal(der, holder.certDerB64);
      assert.notEqual(der, leaf.certDerB64);
    });

    test('REST OPENAM input (PingAM name for a session) gives a PreviousSession assertion', async () => {
      const token = await restTranslate(s, 'sp-all', {
        input_token_state: { token_type: 'OPENAM', session_id: aliceSession },
        output_token_state: { token_type: 'SAML2' },
      });
      const a = assertionOf(judge(token, idpCert));
      assert.equal(text(el(a, NS.saml, 'AuthnContextClassRef')), AC.previousSession);
      assert.equal(el(a, NS.saml, 'SubjectConfirmation').getAttribute('Method'), CM.BEARER, 'no subject_confirmation means BEARER');
    });

    test('no spAcsUrl: bearer Recipient omitted; no mapped attribute: no AttributeStatement; nameIdFormat and lifetime honoured', async () => {
      const plainCert = (await metadataCert(s, 'sp-plain')).pem;
      const t = await translate(s, 'sp-plain', { type: 'USERNAME', username: 'alice', password: PASSWORD }, { type: 'SAML2' });
      const a = assertionOf(judge(t.token, plainCert));
      assert.equal(text(el(a, NS.saml, 'Issuer')), `${ISSUER}/plain`);
      const nameId = el(a, NS.saml, 'NameID');
      assert.equal(nameId.getAttribute('Format'), NAMEID.persistent);
      const issue = time(a, 'IssueInstant');
      const data = el(a, NS.saml, 'SubjectConfirmationData');
      assert.equal(data.hasAttribute('Recipient'), false);
      assert.equal(time(data, 'NotOnOrAfter'), issue + 300_000);
      assert.equal(time(el(a, NS.saml, 'Conditions'), 'NotOnOrAfter'), issue + 300_000);
      assert.deepEqual(els(a, NS.saml, 'Audience').map(text), [`${SP}/plain`]);
      assert.equal(els(a, NS.saml, 'AttributeStatement').length, 0);
      assert.equal(els(a, NS.saml, 'AuthnStatement').length, 1);
    });
  });
}
