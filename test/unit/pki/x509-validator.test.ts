import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createSecretKey, webcrypto, X509Certificate } from 'node:crypto';
import { CompactSign } from 'jose';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { TesseraError, type ErrorCode } from '../../../src/engine/errors.js';
import type { PublishedInstance, TokenEnvelope, ValidatorContext, VerifiedSubject } from '../../../src/engine/types.js';
import { checkFields } from '../../../src/engine/fields.js';
import { issueCertificate } from '../../../src/keys/key-material.js';
import { createX509Validator, parseTrustAnchors } from '../../../src/tokens/x509/x509.validator.js';
import {
  KeyUsage,
  makeCa,
  makeIntermediate,
  makeLeaf,
  makeProof,
  makeReplayStore,
  type TestCa,
  type TestCert,
} from '../../support/pki.js';

const INSTANCE = 'x509-test';
const DAY = 24 * 3600 * 1000;

const OFFLOAD_HEADER = 'x-client-cert';
const PROXY = '10.0.0.1';

function instance(caCertificates: string[] | undefined): PublishedInstance {
  return {
    id: 'inst-1',
    config: {
      name: INSTANCE,
      transforms: [{ input: 'X509', output: 'OPENIDCONNECT', invalidateInterimSession: false }],
      persistIssuedTokens: true,
      ...(caCertificates ? { x509Trust: { caCertificates, offloadHeader: OFFLOAD_HEADER, trustedProxies: [PROXY] } } : {}),
    },
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
}

function ctx(caCertificates: string[] | undefined, now = new Date()): ValidatorContext {
  return { instance: instance(caCertificates), request: { caller: null, clientAddress: '127.0.0.1', door: 'graphql' }, now };
}

/** An X509 envelope; `offloaded`: the certificates come from a trusted TLS offloader's header instead (REST). */
type X509Test = { envelope: TokenEnvelope; offloaded?: string[] };

function x509Input(certificates: unknown[], proof?: string, offloaded?: boolean): X509Test {
  if (offloaded) return { envelope: { type: 'X509' }, offloaded: certificates as string[] };
  return { envelope: { type: 'X509', certificates, proof } };
}

/** The engine's order: the field checks, then the validator; an offloaded certificate arrives as a proxy's header. */
function validateX509(validator: ReturnType<typeof createX509Validator>, input: X509Test, context: ValidatorContext): Promise<VerifiedSubject> {
  const c: ValidatorContext = input.offloaded
    ? { ...context, request: { caller: null, clientAddress: PROXY, door: 'rest', headers: { [OFFLOAD_HEADER]: input.offloaded.map((p) => p.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '')).join(', ') } } }
    : context;
  return (async () => validator.validate(checkFields('X509', input.envelope, validator.fields, 'input', c.request.door), c))();
}

async function rejects(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TesseraError, `expected a TesseraError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe('X509 validator', () => {
  let root: TestCa;
  let other: TestCa;
  let inter: TestCa;
  let alice: TestCert;
  let bob: TestCert; // under the intermediate
  let anchors: string[];

  before(async () => {
    root = await makeCa('Test Root CA');
    other = await makeCa('Other CA');
    inter = await makeIntermediate(root, { name: 'Test Issuing CA' });
    alice = await makeLeaf(root, { cn: 'alice', email: 'alice@example.com' });
    bob = await makeLeaf(inter, { cn: 'bob' });
    anchors = [root.certPem];
  });

  const run = (input: X509Test, context = ctx(anchors), replay = makeReplayStore()): Promise<VerifiedSubject> =>
    validateX509(createX509Validator({ replay }), input, context);

  test('declares its fields and needs x509Trust', () => {
    const v = createX509Validator({ replay: makeReplayStore() });
    assert.deepEqual(v.fields.map((f) => [f.key, f.rest, f.graphql?.name]), [['certificates', 'x509_cert', 'certificate'], ['proof', 'proof', 'proof']]);
    assert.deepEqual(v.needs, ['x509Trust']);
  });

  describe('accepted', () => {
    test('leaf issued directly by the trust anchor, with a proof', async () => {
      const iat = nowSeconds() - 10;
      const replay = makeReplayStore();
      const subject = await run(x509Input([alice.certPem], await makeProof(alice.privateKey, { aud: INSTANCE, iat, jti: 'p-1' })), ctx(anchors), replay);
      assert.equal(subject.name, 'alice');
      assert.equal(subject.inputType, 'X509');
      assert.equal(subject.attributes.mail, 'alice@example.com');
      assert.match(String(subject.attributes.dn), /CN=alice/);
      assert.equal(subject.authn.instant.getTime(), iat * 1000, 'the authentication instant is the proof iat');
      assert.deepEqual(subject.authn.methods, ['pop']);
      assert.equal(subject.certificateDer, alice.certDerB64);
      // The jti is remembered per public key (SHA-256 of its SubjectPublicKeyInfo) until the iat window is over.
      const [[key, expiresAt]] = [...replay.entries];
      const spki = createHash('sha256').update(alice.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
      assert.deepEqual(JSON.parse(key), [`x509-pop-key:${spki}`, 'p-1']);
      assert.equal(expiresAt.getTime(), (iat + 360) * 1000);
    });

    test('leaf under an intermediate presented after it', async () => {
      const subject = await run(x509Input([bob.certPem, inter.certPem], await makeProof(bob.privateKey, { aud: INSTANCE })));
      assert.equal(subject.name, 'bob');
      assert.equal(subject.attributes.mail, undefined);
    });

    test('full chain including the root, as one PEM bundle, in base64 DER too', async () => {
      const proof = (): Promise<string> => makeProof(bob.privateKey, { aud: INSTANCE });
      assert.equal((await run(x509Input([bob.certPem, inter.certPem, root.certPem], await proof()))).name, 'bob');
      assert.equal((await run(x509Input([bob.certPem + inter.certPem], await proof()))).name, 'bob');
      assert.equal((await run(x509Input([bob.certDerB64, inter.certDerB64], await proof()))).name, 'bob');
      // Chain certificates in the wrong order are still found.
      const deep = await makeIntermediate(inter, { name: 'Deep CA' });
      const carol = await makeLeaf(deep, { cn: 'carol' });
      assert.equal((await run(x509Input([carol.certPem, inter.certPem, deep.certPem], await makeProof(carol.privateKey, { aud: INSTANCE })))).name, 'carol');
    });

    test('the intermediate itself configured as the anchor', async () => {
      const s = await run(x509Input([bob.certPem], await makeProof(bob.privateKey, { aud: INSTANCE })), ctx([inter.certPem]));
      assert.equal(s.name, 'bob');
    });

    for (const keyAlg of ['EC', 'Ed25519', 'RSA'] as const) {
      test(`${keyAlg} leaf with its default algorithm`, async () => {
        const leaf = await makeLeaf(root, { cn: `leaf-${keyAlg}`, keyAlg });
        const s = await run(x509Input([leaf.certPem], await makeProof(leaf.privateKey, { aud: INSTANCE })));
        assert.equal(s.name, `leaf-${keyAlg}`);
      });
    }

    test('RSA leaf with PS256', async () => {
      const leaf = await makeLeaf(root, { cn: 'pss', keyAlg: 'RSA' });
      const s = await run(x509Input([leaf.certPem], await makeProof(leaf.privateKey, { aud: INSTANCE, alg: 'PS256' })));
      assert.equal(s.name, 'pss');
    });

    test('iat at the edges of the window (−300 s, +60 s)', async () => {
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const t = now.getTime() / 1000;
      for (const iat of [t - 300, t + 60]) {
        const s = await run(x509Input([alice.certPem], await makeProof(alice.privateKey, { aud: INSTANCE, iat })), ctx(anchors, now));
        assert.equal(s.authn.instant.getTime(), iat * 1000);
      }
    });

    test('aud as an array naming the instance', async () => {
      const s = await run(x509Input([alice.certPem], await makeProof(alice.privateKey, { aud: ['elsewhere', INSTANCE] })));
      assert.equal(s.name, 'alice');
    });

    test('certificate from a trusted offloader needs no proof; authnInstant is now', async () => {
      const now = new Date();
      const replay = makeReplayStore();
      const s = await run(x509Input([alice.certDerB64], undefined, true), ctx(anchors, now), replay);
      assert.equal(s.name, 'alice');
      assert.equal(s.authn.instant.getTime(), now.getTime());
      assert.equal(replay.entries.size, 0);
    });

    test('mail from the emailAddress RDN when there is no SAN', async () => {
      const leaf = await makeLeaf(root, { cn: 'dave', emailRdn: 'dave@example.org' });
      const s = await run(x509Input([leaf.certPem], await makeProof(leaf.privateKey, { aud: INSTANCE })));
      assert.equal(s.attributes.mail, 'dave@example.org');
    });

    test('extendedKeyUsage with clientAuth', async () => {
      const leaf = await makeLeaf(root, { cn: 'eku', extendedKeyUsage: [x509.ExtendedKeyUsage.clientAuth] });
      assert.equal((await run(x509Input([leaf.certPem], await makeProof(leaf.privateKey, { aud: INSTANCE })))).name, 'eku');
    });

    test('a leaf without keyUsage', async () => {
      const leaf = await makeLeaf(root, { cn: 'noku', keyUsage: null });
      assert.equal((await run(x509Input([leaf.certPem], await makeProof(leaf.privateKey, { aud: INSTANCE })))).name, 'noku');
    });
  });

  describe('chain refused (INVALID_TOKEN)', () => {
    const cases: Array<{ name: string; make: () => Promise<{ certs: string[]; key: TestCert; anchors?: string[] }>; message: RegExp }> = [
      {
        name: 'certificate from another CA',
        make: async () => {
          const leaf = await makeLeaf(other, { cn: 'mallory' });
          return { certs: [leaf.certPem], key: leaf };
        },
        message: /not issued by a certificate authority this instance trusts/,
      },
      {
        name: 'self-signed leaf',
        make: async () => {
          const self = await makeCa('mallory', { isCa: null, keyUsage: KeyUsage.digitalSignature });
          return { certs: [self.certPem], key: self };
        },
        message: /not issued by a certificate authority this instance trusts/,
      },
      {
        name: 'leaf under an intermediate that was not presented',
        make: async () => ({ certs: [bob.certPem], key: bob }),
        message: /not issued by a certificate authority this instance trusts/,
      },
      {
        name: 'intermediate of another CA presented',
        make: async () => {
          const evilInter = await makeIntermediate(other, { name: 'Test Issuing CA' });
          const leaf = await makeLeaf(evilInter, { cn: 'mallory' });
          return { certs: [leaf.certPem, evilInter.certPem], key: leaf };
        },
        message: /not issued by a certificate authority this instance trusts/,
      },
      {
        name: 'expired certificate',
        make: async () => {
          const leaf = await makeLeaf(root, { cn: 'old', notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
          return { certs: [leaf.certPem], key: leaf };
        },
        message: /expired/,
      },
      {
        name: 'not-yet-valid certificate',
        make: async () => {
          const leaf = await makeLeaf(root, { cn: 'future', notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) });
          return { certs: [leaf.certPem], key: leaf };
        },
        message: /not valid before/,
      },
      {
        name: 'a CA certificate as leaf',
        make: async () => {
          const leaf = await makeLeaf(root, { cn: 'sub-ca', isCa: true, keyUsage: KeyUsage.digitalSignature | KeyUsage.keyCertSign });
          return { certs: [leaf.certPem], key: leaf };
        },
        message: /is a CA certificate/,
      },
      {
        name: 'the intermediate CA presented as the leaf',
        make: async () => ({ certs: [inter.certPem], key: inter }),
        message: /is a CA certificate/,
      },
      {
        name: 'leaf keyUsage without digitalSignature',
        make: async () => {
          const leaf = await makeLeaf(root, { cn: 'enc-only', keyUsage: KeyUsage.keyAgreement });
          return { certs: [leaf.certPem], key: leaf };
        },
        message: /digitalSignature/,
      },
      {
        name: 'leaf extendedKeyUsage without clientAuth',
        make: async () => {
          const leaf = await makeLeaf(root, { cn: 'server', extendedKeyUsage: [x509.ExtendedKeyUsage.serverAuth] });
          return { certs: [leaf.certPem], key: leaf };
        },
        message: /clientAuth/,
      },
      {
        name: 'intermediate that is not a CA',
        make: async () => {
          const notCa = await makeIntermediate(root, { name: 'Not A CA', isCa: false });
          const leaf = await makeLeaf(notCa, { cn: 'x' });
          return { certs: [leaf.certPem, notCa.certPem], key: leaf };
        },
        message: /not a CA certificate/,
      },
      {
        name: 'intermediate without basicConstraints',
        make: async () => {
          const notCa = await makeIntermediate(root, { name: 'No BC', isCa: null });
          const leaf = await makeLeaf(notCa, { cn: 'x' });
          return { certs: [leaf.certPem, notCa.certPem], key: leaf };
        },
        message: /not a CA certificate/,
      },
      {
        name: 'intermediate without keyCertSign',
        make: async () => {
          const i = await makeIntermediate(root, { name: 'No CertSign', keyUsage: KeyUsage.digitalSignature | KeyUsage.cRLSign });
          const leaf = await makeLeaf(i, { cn: 'x' });
          return { certs: [leaf.certPem, i.certPem], key: leaf };
        },
        message: /keyCertSign/,
      },
      {
        name: 'pathLenConstraint 0 on the anchor with an intermediate below',
        make: async () => {
          const strictRoot = await makeCa('Strict Root', { pathLength: 0 });
          const i = await makeIntermediate(strictRoot, { name: 'Too Deep' });
          const leaf = await makeLeaf(i, { cn: 'x' });
          return { certs: [leaf.certPem, i.certPem], key: leaf, anchors: [strictRoot.certPem] };
        },
        message: /pathLenConstraint/,
      },
      {
        name: 'pathLenConstraint 0 on an intermediate with another intermediate below',
        make: async () => {
          const i1 = await makeIntermediate(root, { name: 'Len0', pathLength: 0 });
          const i2 = await makeIntermediate(i1, { name: 'Below Len0' });
          const leaf = await makeLeaf(i2, { cn: 'x' });
          return { certs: [leaf.certPem, i2.certPem, i1.certPem], key: leaf };
        },
        message: /pathLenConstraint/,
      },
      {
        name: 'expired intermediate',
        make: async () => {
          const i = await makeIntermediate(root, { name: 'Old Issuing CA', notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
          const leaf = await makeLeaf(i, { cn: 'x' });
          return { certs: [leaf.certPem, i.certPem], key: leaf };
        },
        message: /intermediate certificate .* expired/,
      },
      {
        name: 'expired trust anchor',
        make: async () => {
          const oldRoot = await makeCa('Old Root', { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
          const leaf = await makeLeaf(oldRoot, { cn: 'x' });
          return { certs: [leaf.certPem], key: leaf, anchors: [oldRoot.certPem] };
        },
        message: /trust anchor .* expired/,
      },
      {
        name: 'unknown critical extension',
        make: async () => {
          const leaf = await makeLeaf(root, { cn: 'crit', extensions: [new x509.Extension('1.3.6.1.4.1.99999.1', true, new Uint8Array([0x05, 0x00]))] });
          return { certs: [leaf.certPem], key: leaf };
        },
        message: /critical extension 1\.3\.6\.1\.4\.1\.99999\.1/,
      },
      {
        name: 'leaf signed with SHA-1',
        make: async () => {
          const rsaRoot = await makeCa('RSA Root', { keyAlg: 'RSA' });
          const sha1Key = (await webcrypto.subtle.importKey(
            'pkcs8',
            rsaRoot.privateKey.export({ type: 'pkcs8', format: 'der' }),
            { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' },
            false,
            ['sign'],
          )) as unknown as CryptoKey;
          const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
          const cert = await issueCertificate({
            subject: [{ CN: ['sha1'] }],
            keys,
            issuer: { certificate: rsaRoot.cert, privateKey: sha1Key },
            notBefore: new Date(Date.now() - DAY),
            notAfter: new Date(Date.now() + DAY),
            keyUsage: KeyUsage.digitalSignature,
            signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' } as Algorithm,
          });
          const der = Buffer.from(cert.rawData);
          assert.ok(new X509Certificate(der).verify(rsaRoot.publicKey), 'the fixture is correctly signed');
          const key = { ...alice, privateKey: (await import('node:crypto')).KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey) };
          return { certs: [der.toString('base64')], key, anchors: [rsaRoot.certPem] };
        },
        message: /SHA-1/,
      },
    ];

    for (const c of cases) {
      test(c.name, async () => {
        const { certs, key, anchors: a } = await c.make();
        const replay = makeReplayStore();
        await rejects(run(x509Input(certs, await makeProof(key.privateKey, { aud: INSTANCE })), ctx(a ?? anchors), replay), 'INVALID_TOKEN', c.message);
        assert.equal(replay.entries.size, 0, 'a refused request does not use up its jti');
      });
    }

    test('an offloaded certificate is still checked against the anchors', async () => {
      const leaf = await makeLeaf(other, { cn: 'mallory' });
      await rejects(run(x509Input([leaf.certPem], undefined, true)), 'INVALID_TOKEN', /not issued/);
    });

    test('an instance without x509Trust trusts nothing', async () => {
      await rejects(run(x509Input([alice.certPem], await makeProof(alice.privateKey, { aud: INSTANCE })), ctx(undefined)), 'INVALID_TOKEN', /trusts no certificate authority/);
    });

    test('the leaf listed as its own trust anchor is still not trusted', async () => {
      const self = await makeCa('self', { isCa: null, keyUsage: KeyUsage.digitalSignature });
      await rejects(run(x509Input([self.certPem], await makeProof(self.privateKey, { aud: INSTANCE })), ctx([self.certPem])), 'INVALID_TOKEN');
    });

    test('a certificate without CN', async () => {
      const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
      const cert = await issueCertificate({
        subject: [{ O: ['No Name Inc'] }],
        keys,
        issuer: { certificate: root.cert, privateKey: root.keys.privateKey },
        notBefore: new Date(Date.now() - DAY),
        notAfter: new Date(Date.now() + DAY),
        keyUsage: KeyUsage.digitalSignature,
      });
      const { KeyObject } = await import('node:crypto');
      const proof = await makeProof(KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey), { aud: INSTANCE });
      await rejects(run(x509Input([Buffer.from(cert.rawData).toString('base64')], proof)), 'INVALID_TOKEN', /no common name/);
    });
  });

  describe('proof refused (INVALID_TOKEN)', () => {
    const cases: Array<{ name: string; proof: () => Promise<string | undefined>; message: RegExp }> = [
      { name: 'missing proof', proof: async () => undefined, message: /proof of possession .* is required/ },
      { name: 'empty proof', proof: async () => '', message: /is required/ },
      { name: 'proof signed by another key', proof: async () => makeProof(bob.privateKey, { aud: INSTANCE }), message: /not signed by the certificate's private key/ },
      { name: 'proof without typ', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, typ: null }), message: /tessera-pop\+jwt/ },
      { name: 'proof with typ JWT', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, typ: 'JWT' }), message: /tessera-pop\+jwt/ },
      { name: 'proof with typ in other case', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, typ: 'Tessera-PoP+JWT' }), message: /tessera-pop\+jwt/ },
      { name: 'proof with wrong aud', proof: async () => makeProof(alice.privateKey, { aud: 'another-instance' }), message: /another audience/ },
      { name: 'proof without aud', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, claims: { aud: undefined } }), message: /no "aud"/ },
      { name: 'proof dated in the future (> 60 s)', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, iat: nowSeconds() + 120 }), message: /in the future/ },
      { name: 'proof too old (> 300 s)', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, iat: nowSeconds() - 400 }), message: /too old/ },
      { name: 'proof without iat', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, claims: { iat: undefined } }), message: /"iat"/ },
      { name: 'proof with a string iat', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, claims: { iat: String(nowSeconds()) } }), message: /"iat"/ },
      { name: 'proof without jti', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, claims: { jti: undefined } }), message: /"jti"/ },
      { name: 'proof with an empty jti', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, jti: '' }), message: /"jti"/ },
      { name: 'proof with a 129-character jti', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, jti: 'j'.repeat(129) }), message: /longer than 128/ },
      { name: 'proof with an embedded jwk header', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, header: { jwk: alice.publicKey.export({ format: 'jwk' }) } }), message: /"jwk"/ },
      { name: 'proof with an x5c header', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, header: { x5c: [alice.certDerB64] } }), message: /"x5c"/ },
      { name: 'proof with ES384 on a P-256 key', proof: async () => forged('ES384', 'sig'), message: /not allowed/ },
      { name: 'proof with RS256 on a P-256 key', proof: async () => forged('RS256', 'sig'), message: /not allowed/ },
      { name: 'proof with alg none', proof: async () => forged('none', ''), message: /not allowed|malformed|not a compact JWS/ },
      {
        name: 'proof with alg HS256 keyed with the certificate',
        proof: async () =>
          new CompactSign(new TextEncoder().encode(JSON.stringify({ aud: INSTANCE, iat: nowSeconds(), jti: 'hs' })))
            .setProtectedHeader({ alg: 'HS256', typ: 'tessera-pop+jwt' })
            .sign(createSecretKey(Buffer.from(alice.certDerB64))),
        message: /not allowed/,
      },
      { name: 'proof that is not a JWS', proof: async () => 'hello', message: /not a compact JWS/ },
      { name: 'proof with a non-JSON payload', proof: async () => signRaw(alice, 'not json'), message: /not JSON/ },
      { name: 'proof with an array payload', proof: async () => signRaw(alice, '[1,2]'), message: /not a JSON object/ },
      { name: 'proof with an expired exp', proof: async () => makeProof(alice.privateKey, { aud: INSTANCE, claims: { exp: nowSeconds() - 120 } }), message: /expired/ },
    ];

    async function signRaw(leaf: TestCert, payload: string): Promise<string> {
      return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'ES256', typ: 'tessera-pop+jwt' }).sign(leaf.privateKey);
    }
    function forged(alg: string, sig: string): string {
      const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${enc({ alg, typ: 'tessera-pop+jwt' })}.${enc({ aud: INSTANCE, iat: nowSeconds(), jti: 'forged' })}.${Buffer.from(sig).toString('base64url')}`;
    }

    for (const c of cases) {
      test(c.name, async () => {
        const replay = makeReplayStore();
        await rejects(run(x509Input([alice.certPem], await c.proof()), ctx(anchors), replay), 'INVALID_TOKEN', c.message);
        assert.equal(replay.entries.size, 0);
      });
    }

    test('RSA leaf: ES256 and RS512 are not allowed', async () => {
      const leaf = await makeLeaf(root, { cn: 'rsa', keyAlg: 'RSA' });
      await rejects(run(x509Input([leaf.certPem], await makeProof(leaf.privateKey, { aud: INSTANCE, alg: 'RS512' }))), 'INVALID_TOKEN', /not allowed/);
    });

    test('Ed25519 leaf: a proof by an EC key is refused', async () => {
      const leaf = await makeLeaf(root, { cn: 'ed', keyAlg: 'Ed25519' });
      await rejects(run(x509Input([leaf.certPem], await makeProof(alice.privateKey, { aud: INSTANCE }))), 'INVALID_TOKEN', /not allowed/);
    });

    test('replayed proof: the same jti twice is refused, another jti passes', async () => {
      const replay = makeReplayStore();
      const v = createX509Validator({ replay });
      const proof = await makeProof(alice.privateKey, { aud: INSTANCE, jti: 'once' });
      await validateX509(v, x509Input([alice.certPem], proof), ctx(anchors));
      await rejects(validateX509(v, x509Input([alice.certPem], proof), ctx(anchors)), 'INVALID_TOKEN', /already used/);
      // A fresh proof with the same jti is a replay too: the pair (certificate, jti) is what counts.
      await rejects(validateX509(v, x509Input([alice.certPem], await makeProof(alice.privateKey, { aud: INSTANCE, jti: 'once' })), ctx(anchors)), 'INVALID_TOKEN', /already used/);
      await validateX509(v, x509Input([alice.certPem], await makeProof(alice.privateKey, { aud: INSTANCE, jti: 'twice' })), ctx(anchors));
      // The same jti from another certificate is another pair.
      await validateX509(v, x509Input([bob.certPem, inter.certPem], await makeProof(bob.privateKey, { aud: INSTANCE, jti: 'once' })), ctx(anchors));
    });
  });

  describe('malformed input', () => {
    const garbage: Array<[string, unknown[], ErrorCode, RegExp?]> = [
      ['no certificate', [], 'BAD_USER_INPUT', /input\.certificate/],
      ['a number instead of a certificate', [42], 'BAD_USER_INPUT', /input\.certificate/],
      ['plain text', ['not a certificate'], 'INVALID_TOKEN', /not a valid X\.509 certificate/],
      ['base64 that is not DER', [Buffer.from('hello world, this is not a certificate at all').toString('base64')], 'INVALID_TOKEN', /not a valid X\.509/],
      ['a private key PEM', ['-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n'], 'INVALID_TOKEN', /not a valid X\.509/],
      ['an empty PEM block', ['-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----'], 'INVALID_TOKEN', /not a valid X\.509/],
    ];
    for (const [name, certs, code, message] of garbage) {
      test(name, async () => {
        await rejects(run(x509Input(certs, 'a.b.c')), code, message);
      });
    }

    test('truncated DER and DER with trailing bytes', async () => {
      const der = Buffer.from(alice.certDerB64, 'base64');
      await rejects(run(x509Input([der.subarray(0, der.length - 10).toString('base64')], 'a.b.c')), 'INVALID_TOKEN', /not a valid X\.509/);
      await rejects(run(x509Input([Buffer.concat([der, Buffer.from([0, 0])]).toString('base64')], 'a.b.c')), 'INVALID_TOKEN', /not a valid X\.509/);
    });

    test('a garbage chain certificate after a good leaf', async () => {
      await rejects(run(x509Input([alice.certPem, 'garbage'], await makeProof(alice.privateKey, { aud: INSTANCE }))), 'INVALID_TOKEN', /Chain certificate 1/);
    });

    test('more than 5 certificates', async () => {
      const six = [alice.certPem, inter.certPem, root.certPem, other.certPem, bob.certPem, inter.certPem];
      await rejects(run(x509Input(six, await makeProof(alice.privateKey, { aud: INSTANCE }))), 'BAD_USER_INPUT', /at most 5/);
      // Also when they come as one PEM bundle.
      await rejects(run(x509Input([six.join('')], await makeProof(alice.privateKey, { aud: INSTANCE }))), 'BAD_USER_INPUT', /at most 5/);
    });

    test('exactly 5 certificates are accepted', async () => {
      const s = await run(x509Input([alice.certPem, inter.certPem, root.certPem, other.certPem, bob.certPem], await makeProof(alice.privateKey, { aud: INSTANCE })));
      assert.equal(s.name, 'alice');
    });

    test('a certificate over 64 KiB', async () => {
      await rejects(run(x509Input(['A'.repeat(65 * 1024)], 'a.b.c')), 'BAD_USER_INPUT');
    });
  });
});

describe('parseTrustAnchors', () => {
  test('accepts PEM CA certificates and bundles; refuses the rest naming the entry', async () => {
    const ca1 = await makeCa('A');
    const ca2 = await makeCa('B');
    assert.equal(parseTrustAnchors([ca1.certPem, ca2.certPem + ca1.certPem]).length, 3);
    const leaf = await makeLeaf(ca1, { cn: 'leaf', isCa: false });
    for (const [bad, field] of [
      [[], 'x509Trust.caCertificates'],
      [['garbage'], 'x509Trust.caCertificates[0]'],
      [[ca1.certPem, leaf.certPem], 'x509Trust.caCertificates[1]'],
      [[ca1.certPem, 5], 'x509Trust.caCertificates[1]'],
    ] as const) {
      assert.throws(
        () => parseTrustAnchors(bad),
        (e: unknown) => e instanceof TesseraError && e.code === 'BAD_USER_INPUT' && e.field === field,
        JSON.stringify(field),
      );
    }
  });
});
