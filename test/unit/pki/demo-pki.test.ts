import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { ensureDemoPki } from '../../../src/keys/demo-pki.js';
import { createX509Validator } from '../../../src/tokens/x509/x509.validator.js';
import { makeProof, makeReplayStore } from '../../support/pki.js';

describe('ensureDemoPki', () => {
  test('generates a CA and a client certificate once, then reuses them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-demo-'));
    try {
      const first = await ensureDemoPki(dir);
      assert.equal(first.created, true);
      assert.equal(first.caCertPath, join(dir, 'demo-pki', 'ca.crt'));
      for (const p of [first.clientKeyPath, first.caKeyPath]) assert.equal(statSync(p).mode & 0o777, 0o600, p);

      const ca = new X509Certificate(readFileSync(first.caCertPath));
      const client = new X509Certificate(readFileSync(first.clientCertPath));
      assert.equal(readFileSync(first.caCertPath, 'utf8'), first.caCertificatePem);
      assert.equal(ca.ca, true);
      assert.equal(client.ca, false);
      assert.ok(client.checkIssued(ca) && client.verify(ca.publicKey), 'the client certificate is signed by the CA');
      assert.match(client.subject, /CN=demo/);
      assert.match(client.subjectAltName ?? '', /email:demo@example\.com/);
      const years = (new Date(ca.validTo).getTime() - Date.now()) / (365.25 * 24 * 3600 * 1000);
      assert.ok(years > 9.9 && years < 10.1, `CA valid for 10 years, got ${years}`);
      const ku = new x509.X509Certificate(client.raw).getExtension(x509.KeyUsagesExtension);
      assert.equal(ku?.usages, x509.KeyUsageFlags.digitalSignature);
      const clientKey = createPrivateKey(readFileSync(first.clientKeyPath));
      assert.ok(client.checkPrivateKey(clientKey));

      // OpenSSL agrees that the client certificate chains to the CA.
      const out = execFileSync('openssl', ['verify', '-CAfile', first.caCertPath, first.clientCertPath], { encoding: 'utf8' });
      assert.match(out, /OK/);

      // And the X509 validator accepts it with a proof by the client key.
      const subject = await createX509Validator({ replay: makeReplayStore() }).validate(
        { type: 'X509', certificates: [readFileSync(first.clientCertPath, 'utf8')], proof: await makeProof(clientKey, { aud: 'demo' }) },
        {
          instance: {
            id: '1',
            config: { name: 'demo', transforms: [], persistIssuedTokens: true, x509Trust: { caCertificates: [first.caCertificatePem] } },
            createdAt: new Date(),
            updatedAt: new Date(),
          },
          request: { caller: null, clientAddress: '127.0.0.1', door: 'graphql' },
          now: new Date(),
        },
      );
      assert.equal(subject.name, 'demo');
      assert.equal(subject.attributes.mail, 'demo@example.com');

      const second = await ensureDemoPki(dir);
      assert.equal(second.created, false);
      assert.equal(second.caCertificatePem, first.caCertificatePem);
      assert.equal(readFileSync(second.clientKeyPath, 'utf8'), readFileSync(first.clientKeyPath, 'utf8'));

      // A damaged set is regenerated rather than served.
      writeFileSync(first.clientCertPath, 'garbage');
      const third = await ensureDemoPki(dir);
      assert.equal(third.created, true);
      assert.notEqual(third.caCertificatePem, first.caCertificatePem);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
