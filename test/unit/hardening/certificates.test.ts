/**
 * Certificates as OpenSSL makes them: signature algorithms on an allow-list in chains and holder-of-key
 * certificates (MD5, SHA-1, SHA-224 and unknown ones refused), holder-of-key accepting any parsable certificate
 * valid now with an acceptable key (CA:TRUE and self-signed included) and an optional trust list, and X.509
 * proofs remembered per public key rather than per certificate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { TesseraError, type ErrorCode } from '../../../src/engine/errors.js';
import type { PublishedInstance, TokenEnvelope, ValidatorContext } from '../../../src/engine/types.js';
import {
  CERTIFICATE_SIGNATURE_ALGORITHMS,
  certificateSignatureAlgorithm,
  checkHolderOfKeyTrust,
  parseCertificate,
  parseHolderOfKeyCertificate,
  spkiSha256,
} from '../../../src/tokens/x509/certificate.js';
import { validateCertificatePath } from '../../../src/tokens/x509/chain.js';
import { createX509Validator } from '../../../src/tokens/x509/x509.validator.js';
import { makeProof, makeReplayStore } from '../../support/pki.js';
import { NEWKEY, OpensslWorkspace, type OpensslCert } from '../../support/openssl.js';

const HOK_FIELD = 'output.proofCertificate';
const INSTANCE = 'hardening-x509';
const DAY = 86_400_000;

function code(e: unknown): ErrorCode | undefined {
  return e instanceof TesseraError ? e.code : undefined;
}

function throwsCode(fn: () => unknown, expected: ErrorCode, message?: RegExp, field?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.equal(code(e), expected, String(e));
    if (message) assert.match((e as Error).message, message);
    if (field) assert.equal((e as TesseraError).field, field);
    return true;
  });
}

const ws = new OpensslWorkspace();
after(() => ws.cleanup());

describe('certificate signature algorithms: an allow-list in chains', () => {
  let ca: OpensslCert;
  let inter: OpensslCert;
  before(() => {
    ca = ws.selfSigned({ cn: 'Hardening Root CA', days: 30 });
    inter = ws.issue(ca, { cn: 'Hardening Issuing CA', ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'] });
  });

  const path = (leaf: OpensslCert, chain: OpensslCert[] = []) => () =>
    validateCertificatePath(parseCertificate(leaf.pem), chain.map((c) => parseCertificate(c.pem)), [parseCertificate(ca.pem)], new Date());

  test('the list is the SHA-2 RSA, RSASSA-PSS, ECDSA and Ed25519 identifiers only', () => {
    assert.deepEqual(Object.values(CERTIFICATE_SIGNATURE_ALGORITHMS).sort(), [
      'Ed25519',
      'RSASSA-PSS',
      'ecdsa-with-SHA256',
      'ecdsa-with-SHA384',
      'ecdsa-with-SHA512',
      'sha256WithRSAEncryption',
      'sha384WithRSAEncryption',
      'sha512WithRSAEncryption',
    ]);
  });

  const accepted: Array<[string, () => OpensslCert]> = [
    ['sha256WithRSAEncryption', () => ws.issue(ca, { md: 'sha256' })],
    ['sha384WithRSAEncryption', () => ws.issue(ca, { md: 'sha384' })],
    ['sha512WithRSAEncryption', () => ws.issue(ca, { md: 'sha512' })],
    ['RSASSA-PSS with SHA-256', () => ws.issue(ca, { md: 'sha256', sigopt: ['rsa_padding_mode:pss'] })],
  ];
  for (const [name, make] of accepted) {
    test(`a leaf signed by the trusted CA with ${name} is accepted`, () => {
      const leaf = make();
      const check = certificateSignatureAlgorithm(parseCertificate(leaf.pem));
      assert.deepEqual(check, { ok: true, name });
      assert.equal(path(leaf)().length, 2);
    });
  }

  const refused: Array<[string, () => { leaf: OpensslCert; chain?: OpensslCert[] }, RegExp]> = [
    ['a leaf signed with MD5 by the trusted CA', () => ({ leaf: ws.issue(ca, { md: 'md5' }) }), /md5WithRSAEncryption \(MD5\)/],
    ['a leaf signed with SHA-1', () => ({ leaf: ws.issue(ca, { md: 'sha1' }) }), /SHA-1/],
    ['a leaf signed with SHA-224 (not on the list)', () => ({ leaf: ws.issue(ca, { md: 'sha224' }) }), /sha224WithRSAEncryption/],
    ['a leaf signed with RSASSA-PSS over SHA-1', () => ({ leaf: ws.issue(ca, { md: 'sha1', sigopt: ['rsa_padding_mode:pss'] }) }), /RSASSA-PSS.*SHA-1/],
    [
      'an intermediate signed with MD5 (its leaf with SHA-256)',
      () => {
        const md5Inter = ws.issue(ca, { cn: 'MD5 Issuing CA', md: 'md5', ext: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign'] });
        return { leaf: ws.issue(md5Inter, { md: 'sha256' }), chain: [md5Inter] };
      },
      /MD5/,
    ],
  ];
  for (const [name, make, message] of refused) {
    test(`${name} is INVALID_TOKEN`, () => {
      const { leaf, chain } = make();
      assert.match(ws.text(leaf), /Signature Algorithm/);
      throwsCode(path(leaf, chain), 'INVALID_TOKEN', message);
    });
  }

  test('a leaf under a SHA-256 intermediate is accepted (the path is checked, not just the leaf)', () => {
    const leaf = ws.issue(inter, { md: 'sha256' });
    assert.equal(path(leaf, [inter])().length, 3);
  });
});

describe('a certificate whose public key OpenSSL cannot decode (found by the fuzzer: it was INTERNAL)', () => {
  /** A P-256 certificate with one byte of its EC point changed: the DER still parses, the key does not. */
  function corruptedKey(ca: OpensslCert): string {
    const leaf = ws.issue(ca, { keyPath: ws.newKey(NEWKEY.p256) });
    const der = Buffer.from(parseCertificate(leaf.pem).der);
    const point = der.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04])); // BIT STRING of an uncompressed P-256 point
    assert.ok(point > 0);
    der[point + 10] ^= 0xff;
    return der.toString('base64');
  }

  test('is not a certificate: INVALID_TOKEN as X.509 input, BAD_USER_INPUT as a holder-of-key certificate', () => {
    const ca = ws.selfSigned({ cn: 'Corrupt CA', days: 30 });
    const text = corruptedKey(ca);
    assert.throws(() => parseCertificate(text), /not a valid X\.509 certificate/);
    throwsCode(() => parseHolderOfKeyCertificate(text, new Date()), 'BAD_USER_INPUT', /not a valid X\.509 certificate/, HOK_FIELD);
  });
});

describe('holder-of-key certificates: parseHolderOfKeyCertificate', () => {
  let ca: OpensslCert;
  before(() => {
    ca = ws.selfSigned({ cn: 'HoK CA', days: 30 });
  });
  const derOf = (c: OpensslCert) => parseCertificate(c.pem).derB64;

  test('accepts a certificate made exactly as `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=x -days 1` does (CA:TRUE)', () => {
    const c = ws.selfSigned();
    assert.match(ws.text(c), /CA:TRUE/, 'OpenSSL marks it a CA certificate');
    assert.equal(parseHolderOfKeyCertificate(c.pem, new Date()), derOf(c));
    // Base64 DER, with or without line breaks, is the same certificate.
    assert.equal(parseHolderOfKeyCertificate(derOf(c), new Date()), derOf(c));
    assert.equal(parseHolderOfKeyCertificate(derOf(c).replace(/(.{64})/g, '$1\n'), new Date()), derOf(c));
  });

  const keys: Array<[string, readonly string[]]> = [
    ['P-256', NEWKEY.p256],
    ['P-384', NEWKEY.p384],
    ['Ed25519', NEWKEY.ed25519],
  ];
  for (const [name, newkey] of keys) {
    test(`accepts a self-signed ${name} certificate`, () => {
      const c = ws.selfSigned({ newkey });
      assert.equal(parseHolderOfKeyCertificate(c.pem, new Date()), derOf(c));
    });
  }

  test('accepts an end-entity certificate issued by some CA (no chain is needed)', () => {
    const c = ws.issue(ca, { cn: 'holder' });
    assert.equal(parseHolderOfKeyCertificate(c.pem, new Date()), derOf(c));
  });

  const refused: Array<[string, () => [unknown, Date?], RegExp]> = [
    ['missing', () => [undefined], /required/],
    ['empty', () => ['  '], /required/],
    ['garbage', () => ['not a certificate'], /PEM or base64 DER/],
    ['a private key', () => [ws.selfSigned().keyPem], /not a PEM CERTIFICATE/],
    ['an RSA-1024 key', () => [ws.selfSigned({ newkey: NEWKEY.rsa1024 }).pem], /RSA key has 1024 bits/],
    ['a P-521 key', () => [ws.selfSigned({ newkey: NEWKEY.p521 }).pem], /secp521r1/],
    ['a self-signed MD5 certificate', () => [ws.selfSigned({ md: 'md5' }).pem], /MD5/],
    ['a SHA-1 certificate issued by a CA', () => [ws.issue(ca, { md: 'sha1' }).pem], /SHA-1/],
    ['a certificate not valid yet at the given time', () => [ws.selfSigned().pem, new Date(Date.now() - DAY)], /not valid before/],
    ['a certificate expired at the given time', () => [ws.selfSigned().pem, new Date(Date.now() + 2 * DAY)], /expired/],
  ];
  for (const [name, make, message] of refused) {
    test(`refuses ${name}: BAD_USER_INPUT on ${HOK_FIELD}`, () => {
      const [text, at] = make();
      throwsCode(() => parseHolderOfKeyCertificate(text as string, at ?? new Date()), 'BAD_USER_INPUT', message, HOK_FIELD);
    });
  }

  describe('the optional per-instance trust list', () => {
    let holder: OpensslCert;
    let pinned: OpensslCert;
    let other: OpensslCert;
    before(() => {
      holder = ws.issue(ca, { cn: 'trusted holder' });
      pinned = ws.selfSigned({ cn: 'pinned holder' });
      other = ws.selfSigned({ cn: 'stranger' });
    });

    test('an empty or absent list restricts nothing', () => {
      assert.equal(parseHolderOfKeyCertificate(other.pem, new Date(), {}), derOf(other));
      assert.equal(parseHolderOfKeyCertificate(other.pem, new Date(), { trustAnchors: [] }), derOf(other));
    });

    test('a certificate issued by a listed CA passes, so does a listed (pinned) certificate, in a bundle too', () => {
      const anchors = [ca.pem, pinned.pem];
      assert.equal(parseHolderOfKeyCertificate(holder.pem, new Date(), { trustAnchors: anchors }), derOf(holder));
      assert.equal(parseHolderOfKeyCertificate(pinned.pem, new Date(), { trustAnchors: anchors }), derOf(pinned));
      assert.equal(parseHolderOfKeyCertificate(holder.pem, new Date(), { trustAnchors: [other.pem + pinned.pem + ca.pem] }), derOf(holder));
      assert.doesNotThrow(() => checkHolderOfKeyTrust(parseCertificate(holder.pem), [ca.pem], new Date()));
    });

    test('anything else is BAD_USER_INPUT: a stranger, a certificate whose issuer has the CA name but another key, garbage anchors', () => {
      const impostorCa = ws.selfSigned({ cn: 'HoK CA', days: 30 });
      const byImpostor = ws.issue(impostorCa, { cn: 'impostor' });
      for (const [cert, anchors] of [
        [other, [ca.pem, pinned.pem]],
        [byImpostor, [ca.pem]],
        [holder, ['not a certificate']],
      ] as Array<[OpensslCert, string[]]>) {
        throwsCode(() => parseHolderOfKeyCertificate(cert.pem, new Date(), { trustAnchors: anchors }), 'BAD_USER_INPUT', /trusts for holder-of-key/, HOK_FIELD);
      }
    });

    test('an anchor that is not valid now issues nothing', () => {
      throwsCode(() => checkHolderOfKeyTrust(parseCertificate(holder.pem), [ca.pem], new Date(Date.now() + 60 * DAY)), 'BAD_USER_INPUT', /holder-of-key/);
    });
  });
});

describe('X.509 proofs are remembered per public key (SPKI), not per certificate', () => {
  let ca: OpensslCert;
  let a: OpensslCert;
  let b: OpensslCert;
  let otherKey: OpensslCert;

  function ctx(): ValidatorContext {
    const instance: PublishedInstance = {
      id: 'inst-hardening',
      config: {
        name: INSTANCE,
        transforms: [{ input: 'X509', output: 'OPENIDCONNECT', invalidateInterimSession: false }],
        persistIssuedTokens: true,
        x509Trust: { caCertificates: [ca.pem] },
      },
      createdAt: new Date(0),
      updatedAt: new Date(0),
    };
    return { instance, request: { caller: null, clientAddress: '127.0.0.1', door: 'graphql' }, now: new Date() };
  }
  const input = (cert: OpensslCert, proof: string): TokenEnvelope => ({ type: 'X509', certificates: [cert.pem], proof });

  before(() => {
    ca = ws.selfSigned({ cn: 'Proof CA', days: 30 });
    const key = ws.newKey();
    // Two certificates for one key, as a renewal gives: other serial, other subject, other fingerprint.
    a = ws.issue(ca, { cn: 'alice', keyPath: key });
    b = ws.issue(ca, { cn: 'alice-renewed', keyPath: key });
    otherKey = ws.issue(ca, { cn: 'alice' });
  });

  test('the two certificates differ but carry one key: one SPKI hash', () => {
    const pa = parseCertificate(a.pem);
    const pb = parseCertificate(b.pem);
    assert.notEqual(pa.fingerprint, pb.fingerprint);
    assert.equal(spkiSha256(pa), spkiSha256(pb));
    assert.notEqual(spkiSha256(pa), spkiSha256(parseCertificate(otherKey.pem)));
    assert.match(spkiSha256(pa), /^[0-9a-f]{64}$/);
  });

  test('a captured proof accepted with certificate A is refused with certificate B for the same key', async () => {
    const replay = makeReplayStore();
    const validator = createX509Validator({ replay });
    const proof = await makeProof(a.key, { aud: INSTANCE, jti: randomUUID() });
    const first = await validator.validate(input(a, proof), ctx());
    assert.equal(first.name, 'alice');
    await assert.rejects(validator.validate(input(b, proof), ctx()), (e: unknown) => {
      assert.equal(code(e), 'INVALID_TOKEN');
      assert.match((e as Error).message, /already used/);
      return true;
    });
    // Replaying with A is refused as before; a fresh jti with B is fine.
    await assert.rejects(validator.validate(input(a, proof), ctx()), (e: unknown) => code(e) === 'INVALID_TOKEN');
    const fresh = await validator.validate(input(b, await makeProof(b.key, { aud: INSTANCE, jti: randomUUID() })), ctx());
    assert.equal(fresh.name, 'alice-renewed');
  });

  test('the same jti under another key is another proof', async () => {
    const replay = makeReplayStore();
    const validator = createX509Validator({ replay });
    const jti = randomUUID();
    await validator.validate(input(a, await makeProof(a.key, { aud: INSTANCE, jti })), ctx());
    const other = await validator.validate(input(otherKey, await makeProof(otherKey.key, { aud: INSTANCE, jti })), ctx());
    assert.equal(other.name, 'alice');
  });
});
