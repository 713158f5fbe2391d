import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPublicKey } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import { TesseraError } from '../../../src/engine/errors.js';
import type { ProviderContext, PublishedInstance, VerifiedSubject } from '../../../src/engine/types.js';
import type { OidcConfig } from '../../../src/tokens/oidc/oidc.config.js';
import {
  authnContextClaims,
  createOidcProvider,
  defaultIssuer,
} from '../../../src/tokens/oidc/oidc.provider.js';
import { signJws } from '../../../src/tokens/oidc/jws.js';
import { b64u, fakeKeyProvider } from '../../support/oidc.js';
import { REQUEST, decodePart, nowSeconds, publishedInstance } from './helpers.js';

const PUBLIC_URL = 'https://sts.example.test';
const SECRET = 'an-hs256-client-secret-of-32-bytes-or-more!';
const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
const ALL = [...ASYMMETRIC, 'HS256'] as const;
type Alg = (typeof ALL)[number];

const keys = fakeKeyProvider([...ASYMMETRIC, 'RS512']);
const provider = createOidcProvider({ keys, publicUrl: PUBLIC_URL });

function oidcConfig(alg: Alg, extra: Partial<OidcConfig> = {}): OidcConfig {
  return {
    audience: ['client-a', 'client-b'],
    authorizedParty: 'client-a',
    signatureAlgorithm: alg,
    claimMap: { email: 'mail', groups: 'memberOf', phone_number: 'phone' },
    lifetimeSeconds: 600,
    ...(alg === 'HS256' ? { clientSecret: SECRET } : {}),
    ...extra,
  };
}

function instanceFor(alg: Alg, extra: Partial<OidcConfig> = {}, name = 'partner'): PublishedInstance {
  return publishedInstance({ name, oidc: oidcConfig(alg, extra) });
}

const AUTHN_INSTANT = new Date('2025-03-01T08:00:00Z');
const SUBJECT: VerifiedSubject = {
  name: 'alice',
  attributes: { mail: 'alice@example.com', memberOf: ['staff', 'dev'], cn: 'Alice' },
  inputType: 'USERNAME',
  authn: { instant: AUTHN_INSTANT, methods: ['pwd'], contextClass: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' },
};

function ctx(instance: PublishedInstance, now = nowSeconds(), inputType = 'USERNAME'): ProviderContext {
  return { instance, request: REQUEST, now, inputType };
}

async function verifyWithJose(token: string, alg: Alg, kid?: string) {
  if (alg === 'HS256') return jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
  const jwk = (await keys.verificationKeys()).find((k) => k.kid === kid)?.jwk;
  assert.ok(jwk, 'the header kid names a verification key');
  return jwtVerify(token, await importJWK(jwk, alg), { algorithms: [alg] });
}

function tamperPayload(token: string, change: Record<string, unknown>): string {
  const [h, , s] = token.split('.');
  return `${h}.${b64u({ ...decodePart(token, 1), ...change })}.${s}`;
}

describe('defaultIssuer', () => {
  test('is <publicUrl>/sts/<instance>, without a doubled slash', () => {
    assert.equal(defaultIssuer('https://sts.example.test', 'partner'), 'https://sts.example.test/sts/partner');
    assert.equal(defaultIssuer('https://sts.example.test/', 'partner'), 'https://sts.example.test/sts/partner');
  });
});

describe('authnContextClaims', () => {
  test('acr and amr are what the validator observed; nothing when it knows nothing', () => {
    assert.deepEqual(authnContextClaims(SUBJECT), { acr: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', amr: ['pwd'] });
    assert.deepEqual(authnContextClaims({ authn: { instant: AUTHN_INSTANT } }), {});
    // An assumed class (what SAML must state) is never asserted as acr.
    assert.deepEqual(authnContextClaims({ authn: { instant: AUTHN_INSTANT, assumedContextClass: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' } }), {});
    // A caller mutating the result cannot change the subject.
    authnContextClaims(SUBJECT).amr!.push('otp');
    assert.deepEqual(SUBJECT.authn.methods, ['pwd']);
  });
});

describe('OIDC provider: issue', () => {
  test('declares its fields and needs', () => {
    assert.deepEqual(provider.fields.map((f) => f.key).sort(), ['audience', 'nonce']);
    assert.deepEqual(provider.needs, ['oidc']);
  });

  for (const alg of ALL) {
    test(`${alg}: header, claims and an independent jose verification`, async () => {
      const now = nowSeconds();
      const instance = instanceFor(alg);
      const issued = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT', nonce: 'n-0S6_WzA2Mj' }, ctx(instance, now));
      const header = decodePart(issued.token, 0);
      if (alg === 'HS256') {
        assert.deepEqual(header, { alg, typ: 'JWT' });
      } else {
        const expectedKid = keys.keys.find((k) => k.algorithm === alg)?.kid;
        assert.deepEqual(header, { alg, typ: 'JWT', kid: expectedKid });
      }
      const iat = now.getTime() / 1000;
      const claims = decodePart(issued.token, 1);
      assert.deepEqual(claims, {
        iss: `${PUBLIC_URL}/sts/partner`,
        sub: 'alice',
        aud: ['client-a', 'client-b'],
        azp: 'client-a',
        iat,
        exp: iat + 600,
        auth_time: AUTHN_INSTANT.getTime() / 1000,
        nonce: 'n-0S6_WzA2Mj',
        jti: issued.tokenId,
        acr: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
        amr: ['pwd'],
        email: 'alice@example.com',
        groups: ['staff', 'dev'],
      });
      assert.match(issued.tokenId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(issued.type, 'OPENIDCONNECT');
      assert.equal(issued.subject, 'alice');
      assert.equal(issued.issuedAt.getTime(), now.getTime());
      assert.equal(issued.expiresAt.getTime(), now.getTime() + 600_000);

      const { payload, protectedHeader } = await verifyWithJose(issued.token, alg, decodePart(issued.token, 0).kid as string | undefined);
      assert.equal(protectedHeader.alg, alg);
      assert.equal(payload.jti, issued.tokenId);
    });
  }

  test('auth_time is the original authentication, not the translate time', async () => {
    const now = new Date('2025-03-01T09:30:00Z');
    const issued = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instanceFor('RS256'), now));
    const claims = decodePart(issued.token, 1);
    assert.equal(claims.auth_time, Date.parse('2025-03-01T08:00:00Z') / 1000);
    assert.equal(claims.iat, now.getTime() / 1000);
  });

  test('sub-second times are truncated to whole seconds (RFC 7519 NumericDate)', async () => {
    const now = new Date('2025-03-01T09:30:00.987Z');
    const subject = { ...SUBJECT, authnInstant: new Date('2025-03-01T08:00:00.999Z') };
    const issued = await provider.issue(subject, { type: 'OPENIDCONNECT' }, ctx(instanceFor('ES256'), now));
    const claims = decodePart(issued.token, 1);
    assert.equal(claims.iat, Date.parse('2025-03-01T09:30:00Z') / 1000);
    assert.equal(claims.auth_time, Date.parse('2025-03-01T08:00:00Z') / 1000);
    assert.equal(issued.issuedAt.toISOString(), '2025-03-01T09:30:00.000Z');
  });

  test('an empty or absent nonce is omitted, azp only when configured', async () => {
    const instance = instanceFor('RS256', { authorizedParty: undefined });
    for (const output of [{ type: 'OPENIDCONNECT' as const }, { type: 'OPENIDCONNECT' as const, nonce: '' }]) {
      const claims = decodePart((await provider.issue(SUBJECT, output, ctx(instance))).token, 1);
      assert.equal('nonce' in claims, false);
      assert.equal('azp' in claims, false);
    }
  });

  test('a configured issuer replaces the default, aud stays an array with one audience', async () => {
    const instance = instanceFor('RS256', { issuer: 'https://login.example.test', audience: ['only'] });
    const claims = decodePart((await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instance))).token, 1);
    assert.equal(claims.iss, 'https://login.example.test');
    assert.deepEqual(claims.aud, ['only']);
  });

  test('acr/amr follow what the validator observed; none when the method is not known', async () => {
    const instance = instanceFor('RS256');
    const x509Subject: VerifiedSubject = { ...SUBJECT, inputType: 'X509', authn: { instant: AUTHN_INSTANT, methods: ['pop'], contextClass: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509' } };
    const x509 = decodePart((await provider.issue(x509Subject, { type: 'OPENIDCONNECT' }, ctx(instance, undefined, 'X509'))).token, 1);
    assert.equal(x509.acr, 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509');
    assert.deepEqual(x509.amr, ['pop']);
    for (const inputType of ['OPENIDCONNECT', 'MY_TOKEN']) {
      const unknown: VerifiedSubject = { ...SUBJECT, inputType, authn: { instant: AUTHN_INSTANT, assumedContextClass: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' } };
      const claims = decodePart((await provider.issue(unknown, { type: 'OPENIDCONNECT' }, ctx(instance, undefined, inputType))).token, 1);
      assert.equal('acr' in claims, false, inputType);
      assert.equal('amr' in claims, false, inputType);
    }
  });

  test('claimMap never overrides registered claims and ignores inherited or odd attributes', async () => {
    const instance = instanceFor('RS256', {
      // JSON.parse makes "__proto__" an own key, as a stored configuration would.
      claimMap: JSON.parse('{"sub":"cn","iss":"cn","exp":"cn","__proto__":"cn","name":"cn","ctor":"constructor","weird":"bad"}') as Record<string, string>,
    });
    const subject: VerifiedSubject = {
      ...SUBJECT,
      attributes: { cn: 'Alice', bad: { nested: true } as unknown as string },
    };
    const claims = decodePart((await provider.issue(subject, { type: 'OPENIDCONNECT' }, ctx(instance))).token, 1);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.iss, `${PUBLIC_URL}/sts/partner`);
    assert.equal(typeof claims.exp, 'number');
    assert.equal(claims.name, 'Alice');
    assert.equal(Object.hasOwn(claims, '__proto__'), false);
    assert.equal('ctor' in claims, false);
    assert.equal('weird' in claims, false);
  });

  test('a pinned signingKeyId picks that key', async () => {
    const pinned = keys.add('RS256', 'pinned-rs256');
    const issued = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instanceFor('RS256', { signingKeyId: pinned.kid })));
    assert.equal(decodePart(issued.token, 0).kid, 'pinned-rs256');
  });

  test('HS256 without an adequate client secret is a server fault, not a token', async () => {
    for (const clientSecret of [undefined, 'short']) {
      await assert.rejects(
        provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instanceFor('HS256', { clientSecret }))),
        (e: unknown) => e instanceof TesseraError && e.code === 'INTERNAL',
      );
    }
  });

  test('a key provider returning another algorithm is refused', async () => {
    const wrong = createOidcProvider({
      publicUrl: PUBLIC_URL,
      keys: { signingKey: (_alg) => keys.signingKey('ES256'), verificationKeys: () => keys.verificationKeys() },
    });
    await assert.rejects(
      wrong.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instanceFor('RS256'))),
      (e: unknown) => e instanceof TesseraError && e.code === 'INTERNAL',
    );
  });

  test('an instance without oidc configuration fails as INTERNAL', async () => {
    await assert.rejects(
      provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(publishedInstance({ name: 'bare' }))),
      (e: unknown) => e instanceof TesseraError && e.code === 'INTERNAL',
    );
  });
});

describe('OIDC provider: verifyIssued', () => {
  const verifyIssued = provider.verifyIssued!;

  for (const alg of ALL) {
    test(`${alg}: ok, tampered, expired`, async () => {
      const now = nowSeconds();
      const instance = instanceFor(alg);
      const issued = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instance, now));

      assert.deepEqual(await verifyIssued(issued.token, { instance, now, checkExpiry: true }), {
        ok: true,
        tokenId: issued.tokenId,
        subject: 'alice',
        expiresAt: issued.expiresAt,
      });

      const tampered = tamperPayload(issued.token, { sub: 'mallory' });
      assert.deepEqual(await verifyIssued(tampered, { instance, now, checkExpiry: true }), { ok: false, reason: 'BAD_SIGNATURE' });

      const [h, p, s] = issued.token.split('.') as [string, string, string];
      const flipped = Buffer.from(s, 'base64url');
      flipped[0] = (flipped[0] ?? 0) ^ 0x01;
      assert.deepEqual(await verifyIssued(`${h}.${p}.${b64u(flipped)}`, { instance, now, checkExpiry: true }), {
        ok: false,
        reason: 'BAD_SIGNATURE',
      });

      const later = new Date(issued.expiresAt.getTime());
      assert.deepEqual(await verifyIssued(issued.token, { instance, now: later, checkExpiry: true }), { ok: false, reason: 'EXPIRED' });
      // cancelToken skips the expiry check.
      const noExpiry = await verifyIssued(issued.token, { instance, now: later, checkExpiry: false });
      assert.equal(noExpiry.ok, true);
    });
  }

  test('a token signed by another key under the same kid is BAD_SIGNATURE', async () => {
    const instance = instanceFor('ES256');
    const real = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instance));
    const header = decodePart(real.token, 0);
    const impostor = fakeKeyProvider(['ES256']).keys[0]!;
    const forged = signJws(header, decodePart(real.token, 1), impostor.privateKey, 'ES256');
    const r = await provider.verifyIssued!(forged, { instance, now: nowSeconds(), checkExpiry: true });
    assert.deepEqual(r, { ok: false, reason: 'BAD_SIGNATURE' });
  });

  test('an unknown kid, a missing kid or an algorithm other than the instance one is BAD_SIGNATURE', async () => {
    const instance = instanceFor('RS256');
    const real = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instance));
    const payload = decodePart(real.token, 1);
    const rsKey = keys.keys.find((k) => k.algorithm === 'RS256')!;
    const esKey = keys.keys.find((k) => k.algorithm === 'ES256')!;
    const rs512Key = keys.keys.find((k) => k.algorithm === 'RS512')!;
    const cases = {
      unknownKid: signJws({ typ: 'JWT', kid: 'nope' }, payload, rsKey.privateKey, 'RS256'),
      noKid: signJws({ typ: 'JWT' }, payload, rsKey.privateKey, 'RS256'),
      otherAlgorithm: signJws({ typ: 'JWT', kid: esKey.kid }, payload, esKey.privateKey, 'ES256'),
      // A published key of this service, but for another algorithm than the instance's.
      rs512: signJws({ typ: 'JWT', kid: rs512Key.kid }, payload, rs512Key.privateKey, 'RS512'),
      // HS256 "signed" with an RSA public key: never a valid RS256 token.
      confusion: signJws({ typ: 'JWT', kid: rsKey.kid }, payload, Buffer.from(rsKey.publicKey.export({ type: 'spki', format: 'pem' })), 'HS256'),
    };
    for (const [name, token] of Object.entries(cases)) {
      assert.deepEqual(await provider.verifyIssued!(token, { instance, now: nowSeconds(), checkExpiry: true }), { ok: false, reason: 'BAD_SIGNATURE' }, name);
    }
  });

  test("another instance's token (other issuer or audience, same keys) is not ours", async () => {
    const now = nowSeconds();
    const mine = instanceFor('RS256', {}, 'mine');
    const theirs = instanceFor('RS256', {}, 'theirs');
    const sameIssuerOtherAudience = instanceFor('RS256', { issuer: `${PUBLIC_URL}/sts/mine`, audience: ['client-z'] }, 'z');
    const theirToken = (await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(theirs, now))).token;
    const zToken = (await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(sameIssuerOtherAudience, now))).token;
    for (const token of [theirToken, zToken]) {
      assert.deepEqual(await provider.verifyIssued!(token, { instance: mine, now, checkExpiry: true }), { ok: false, reason: 'BAD_SIGNATURE' });
    }
  });

  test('HS256 with another secret is BAD_SIGNATURE', async () => {
    const issued = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instanceFor('HS256')));
    const other = instanceFor('HS256', { clientSecret: 'another-client-secret-that-is-long-enough' });
    assert.deepEqual(await provider.verifyIssued!(issued.token, { instance: other, now: nowSeconds(), checkExpiry: true }), {
      ok: false,
      reason: 'BAD_SIGNATURE',
    });
  });

  test('garbage, JWE, bad base64url and non-JSON headers are MALFORMED, never a throw', async () => {
    const instance = instanceFor('RS256');
    const real = (await provider.issue(SUBJECT, { type: 'OPENIDCONNECT' }, ctx(instance))).token;
    const [h, p, s] = real.split('.') as [string, string, string];
    const tokens = [
      '',
      'garbage',
      'a.b',
      'a.b.c.d.e',
      `${h}.${p}.${s}.x.y`,
      `${h}.${p}`,
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s}+`,
      `${b64u('not json')}.${p}.${s}`,
      `${b64u('[1,2]')}.${p}.${s}`,
      `${b64u({ alg: 'RS256', crit: ['exp'] })}.${p}.${s}`,
    ];
    for (const token of tokens) {
      const r = await provider.verifyIssued!(token, { instance, now: nowSeconds(), checkExpiry: true });
      assert.deepEqual(r, { ok: false, reason: 'MALFORMED' }, token);
    }
    // A non-canonical encoding of a real signature (trailing bits set) is not the issued token.
    const lastChar = s.at(-1)!;
    const variant = `${h}.${p}.${s.slice(0, -1)}${lastChar === 'A' ? 'B' : 'A'}`;
    const r = await provider.verifyIssued!(variant, { instance, now: nowSeconds(), checkExpiry: true });
    assert.equal(r.ok, false);
  });

  test('an instance without oidc configuration has no issued tokens', async () => {
    const r = await provider.verifyIssued!('a.b.c', { instance: publishedInstance({ name: 'bare' }), now: nowSeconds(), checkExpiry: true });
    assert.deepEqual(r, { ok: false, reason: 'UNKNOWN' });
  });
});

function findPyjwtScript(): string {
  // Works from the sources (tsx) and from dist/ after `tsc`: the working directory (the repository root under
  // `npm test`) first, then up from this file to the folder holding test/support.
  const fromCwd = join(process.cwd(), 'test', 'support', 'pyjwt_verify.py');
  if (existsSync(fromCwd)) return fromCwd;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'test', 'support', 'pyjwt_verify.py');
    if (existsSync(candidate)) return candidate;
    dir = resolve(dir, '..');
  }
  throw new Error('test/support/pyjwt_verify.py not found');
}

function runPyjwt(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile('/usr/bin/python3', [findPyjwtScript(), ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

describe('OIDC provider: interop with PyJWT', () => {
  let dir: string;
  let jwksPath: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tessera-oidc-'));
    jwksPath = join(dir, 'jwks.json');
    // Only the published JWK Set, as a relying party would fetch it from /sts/<instance>/jwks.json.
    await writeFile(jwksPath, JSON.stringify({ keys: (await keys.verificationKeys()).map((k) => k.jwk) }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const alg of ALL) {
    test(`${alg} token verifies with PyJWT from the JWKS${alg === 'HS256' ? ' (client secret)' : ''}`, async () => {
      const instance = instanceFor(alg);
      const issued = await provider.issue(SUBJECT, { type: 'OPENIDCONNECT', nonce: 'xyz' }, ctx(instance));
      const iss = `${PUBLIC_URL}/sts/partner`;
      const args = alg === 'HS256' ? ['--secret', SECRET, '-', issued.token, 'client-b', iss] : [jwksPath, issued.token, 'client-b', iss];
      const ok = await runPyjwt(args);
      assert.equal(ok.code, 0, ok.stderr);
      const claims = JSON.parse(ok.stdout) as Record<string, unknown>;
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.jti, issued.tokenId);
      assert.deepEqual(claims.groups, ['staff', 'dev']);

      // The same check must be able to fail: a tampered token and a wrong audience are refused by PyJWT.
      const tampered = tamperPayload(issued.token, { sub: 'mallory' });
      const bad = await runPyjwt(alg === 'HS256' ? ['--secret', SECRET, '-', tampered, 'client-b', iss] : [jwksPath, tampered, 'client-b', iss]);
      assert.notEqual(bad.code, 0);
      const wrongAud = await runPyjwt(
        alg === 'HS256' ? ['--secret', SECRET, '-', issued.token, 'client-x', iss] : [jwksPath, issued.token, 'client-x', iss],
      );
      assert.notEqual(wrongAud.code, 0);
    });
  }

  test('the published JWK Set re-imports to the very keys that sign', async () => {
    // Guards the JWKS file itself: every JWK re-imports to the same SPKI.
    for (const k of await keys.verificationKeys()) {
      const reimported = createPublicKey({ key: k.jwk as never, format: 'jwk' });
      assert.equal(
        reimported.export({ type: 'spki', format: 'der' }).toString('hex'),
        k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
      );
    }
  });
});
