/**
 * What publishes is what runs: configuration the runtime would refuse at the first translate is refused at
 * publish, through `publishInstance`, with BAD_USER_INPUT naming the field — the same checks the validators and
 * providers make, run by their own code. One case per mistake that used to publish and then fail every request.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { DB_KINDS, startServer, type TestServer } from '../support/server.js';
import { GQL, uniqueName } from '../support/engine.js';
import { makeCa, makeLeaf, makeProof, makeSelfSigned } from '../support/pki.js';
import { REGISTERED_CLAIMS } from '../../src/tokens/oidc/claims.js';
import { SIGNATURE_ALGORITHMS } from '../../src/tokens/saml2/sign.js';

/** An RSA-1024 certificate made by OpenSSL, as an SP with an old key would send it. */
function rsa1024Certificate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-rsa1024-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-subj', '/CN=old-sp', '-days', '2', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    return readFileSync(join(dir, 'c.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SAML = { issuer: 'https://idp.example.com', spEntityId: 'https://sp.example.com' };

for (const db of DB_KINDS) {
  describe(`publish refuses what would fail at run time, on ${db}`, () => {
    let s: TestServer;
    before(async () => {
      s = await startServer({ db });
    });
    after(async () => {
      await s.destroy();
    });

    async function refused(input: Record<string, unknown>, field: string, message?: RegExp): Promise<void> {
      const r = await s.gql(GQL.publish, { i: { name: uniqueName('bad'), ...input } }, s.adminToken);
      assert.equal(r.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(r.errors ?? r.data));
      assert.equal(r.errors?.[0]?.extensions?.field, field, r.errors?.[0]?.message);
      if (message) assert.match(r.errors![0]!.message, message);
      // Nothing was published.
      const list = await s.gql('{ instances { name } }', {}, s.adminToken);
      assert.ok(!list.data.instances.some((i: { name: string }) => i.name.startsWith('bad-')));
    }

    test('a pinned signingKeyId that does not exist (SAML2 and OIDC), or of another algorithm', async () => {
      await refused({ transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, signingKeyId: 'no-such-kid' } }, 'input.saml2.signingKeyId', /RS256 signing key.*no-such-kid/);
      await refused({ transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['app'], signingKeyId: 'no-such-kid' } }, 'input.oidc.signingKeyId');
      const es = await s.gql('mutation { generateKey(algorithm: "ES256") { kid } }', {}, s.adminToken);
      const kid = es.data.generateKey.kid as string;
      await refused({ transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, signingKeyId: kid } }, 'input.saml2.signingKeyId', /ES256 key, not RS256/);
      // The same key with the algorithm it is bound to publishes and signs.
      const ok = await s.gql(GQL.publish, { i: { name: uniqueName('pinned'), transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, signingKeyId: kid, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256' } } }, s.adminToken);
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    });

    test('an RSA-1024 spEncryptionCertificate', async () => {
      await refused(
        { transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, encryptAssertion: true, spEncryptionCertificate: rsa1024Certificate() } },
        'input.saml2.spEncryptionCertificate',
        /2048/,
      );
    });

    test('a claimMap entry the provider would drop: every claim it sets itself, and names that are not data', async () => {
      for (const claim of ['s_hash', ...REGISTERED_CLAIMS, '__proto__', 'constructor']) {
        await refused(
          { transforms: [{ input: 'USERNAME', output: 'OPENIDCONNECT' }], oidc: { audience: ['app'], claimMap: JSON.parse(`{"${claim}": "mail"}`) } },
          `input.oidc.claimMap.${claim}`,
        );
      }
    });

    test('trustedProxies entries the matcher can never match', async () => {
      const ca = await makeCa('Proxy Test CA');
      for (const [i, entry] of [[1, '::ffff:10.0.0.0/8'], [0, 'fe80::1%eth0'], [0, '10.0.0.0/33'], [0, 'proxy.internal']] as const) {
        const proxies = i === 1 ? ['10.0.0.1', entry] : [entry];
        await refused(
          { transforms: [{ input: 'X509', output: 'SAML2' }], saml2: SAML, x509Trust: { caCertificates: [ca.certPem], offloadHeader: 'x-client-cert', trustedProxies: proxies } },
          `input.x509Trust.trustedProxies[${i}]`,
          /not an IP address or CIDR block/,
        );
      }
      // The IPv4-mapped form of a /8 is ::ffff:10.0.0.0/104, which the matcher reads as 10.0.0.0/8.
      const ok = await s.gql(GQL.publish, { i: { name: uniqueName('mapped'), transforms: [{ input: 'X509', output: 'SAML2' }], saml2: SAML, x509Trust: { caCertificates: [ca.certPem], offloadHeader: 'x-client-cert', trustedProxies: ['::ffff:10.0.0.0/104'] } } }, s.adminToken);
      assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    });

    test('a PEM bundle in one caCertificates entry publishes, and a leaf of either CA in it translates', async () => {
      const [a, b] = await Promise.all([makeCa('Bundle CA A'), makeCa('Bundle CA B')]);
      const name = uniqueName('bundle');
      const r = await s.gql(
        `mutation($i: InstanceInput!) { publishInstance(input: $i) { x509Trust { caCertificates } } }`,
        { i: { name, transforms: [{ input: 'X509', output: 'OPENIDCONNECT' }], oidc: { audience: ['app'] }, x509Trust: { caCertificates: [a.certPem + b.certPem] } } },
        s.adminToken,
      );
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      assert.equal(r.data.publishInstance.x509Trust.caCertificates.length, 2);
      for (const [ca, cn] of [[a, 'user-of-a'], [b, 'user-of-b']] as const) {
        const leaf = await makeLeaf(ca, { cn });
        const t = await s.gql(GQL.translate, { n: name, in: { type: 'X509', certificate: leaf.certPem, proof: await makeProof(leaf.privateKey, { aud: name }) }, out: { type: 'OPENIDCONNECT' } });
        assert.equal(t.errors, undefined, JSON.stringify(t.errors));
        assert.equal(decodeJwt(t.data.translateToken.token).sub, cn);
      }
    });

    test('an SP set up from its metadata (read with samlify): ACS and encryption certificate filled in, the entity ID checked', async () => {
      const enc = await makeSelfSigned({ cn: 'sp-encryption' });
      const der = enc.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
      const xml = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sp.example.com">
        <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
          <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
          <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.com/acs" index="0"/>
        </md:SPSSODescriptor></md:EntityDescriptor>`;
      const r = await s.gql(
        `mutation($i: InstanceInput!) { publishInstance(input: $i) { saml2 { spEntityId spAcsUrl spEncryptionCertificate encryptAssertion } } }`,
        { i: { name: uniqueName('from-md'), transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, spMetadataXml: xml, encryptAssertion: true } } },
        s.adminToken,
      );
      assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      const saml2 = r.data.publishInstance.saml2;
      assert.deepEqual([saml2.spEntityId, saml2.spAcsUrl, saml2.encryptAssertion], ['https://sp.example.com', 'https://sp.example.com/acs', true]);
      assert.equal(saml2.spEncryptionCertificate.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, ''), der);
      await refused({ transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, spEntityId: 'https://other.example.com', spMetadataXml: xml } }, 'input.saml2.spEntityId', /differs from the SP metadata/);
      await refused({ transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, spMetadataXml: xml.replace('<md:EntityDescriptor', '<!DOCTYPE x><md:EntityDescriptor') } }, 'input.saml2.spMetadataXml', /DTD/);
    });

    test('a signature algorithm the signer does not have, by the signer\'s own table', async () => {
      for (const uri of Object.keys(SIGNATURE_ALGORITHMS)) {
        const ok = await s.gql(GQL.publish, { i: { name: uniqueName('alg'), transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, signatureAlgorithm: uri } } }, s.adminToken);
        assert.equal(ok.errors, undefined, `${uri}: ${JSON.stringify(ok.errors)}`);
      }
      await refused({ transforms: [{ input: 'USERNAME', output: 'SAML2' }], saml2: { ...SAML, signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384' } }, 'input.saml2.signatureAlgorithm');
    });
  });
}
