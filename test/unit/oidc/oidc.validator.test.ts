import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { TesseraError, type ErrorCode } from '../../../src/engine/errors.js';
import type { Obj, ValidatorContext, VerifiedSubject } from '../../../src/engine/types.js';
import type { KindValidator } from '../../../src/engine/kind.js';
import { checkFields, MAX_TOKEN_BYTES as MAX_ID_TOKEN_BYTES } from '../../../src/engine/fields.js';
import type { OidcTrustConfig } from '../../../src/tokens/oidc/oidc.config.js';
import {
  DEFAULT_JWKS_REFETCH_INTERVAL_MS,
  claimsToAttributes,
  createOidcValidator,
  jwkFitsAlgorithm,
} from '../../../src/tokens/oidc/oidc.validator.js';
import { JWKS_FETCH_TIMEOUT_MS, JWKS_MAX_BYTES } from '../../../src/tokens/oidc/jwks-fetch.js';
import {
  b64u,
  compactJws,
  makeIssuer,
  rawSignature,
  startJwksServer,
  unsignedToken,
  type JwksServer,
  type TestIssuer,
} from '../../support/oidc.js';
import { REQUEST, nowSeconds, publishedInstance } from './helpers.js';

const AUD = 'tessera-client';
const NOW = nowSeconds();
const T = NOW.getTime() / 1000;

function context(trust: OidcTrustConfig[], now: Date = NOW): ValidatorContext {
  return { instance: publishedInstance({ name: 'oidc-in', oidcTrust: trust }), request: REQUEST, now };
}

function jwksTrust(issuer: TestIssuer, extra: Partial<OidcTrustConfig> = {}): OidcTrustConfig {
  return { issuer: issuer.issuer, audience: [AUD], jwks: issuer.jwks, ...extra };
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<TesseraError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TesseraError, `expected a ${code} error, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  // Never a stack or a library's internals in what a client sees.
  assert.doesNotMatch(caught.message, /\n\s+at |node_modules|ERR_JW/);
  return caught;
}

function input(idToken: string) {
  return { type: 'OPENIDCONNECT' as const, idToken };
}

const rs = makeIssuer({ alg: 'RS256' });
const es = makeIssuer({ alg: 'ES256' });
const ed = makeIssuer({ alg: 'EdDSA' });
const hs = makeIssuer({ alg: 'HS256' });
const stranger = makeIssuer({ alg: 'RS256' });

/** What the engine does: the kind's field checks (presence, size) first, then the validator. */
async function checkedValidate(v: KindValidator, envelope: Obj, ctx: ValidatorContext): Promise<VerifiedSubject> {
  return v.validate(checkFields('OPENIDCONNECT', envelope, v.fields, 'input', 'graphql'), ctx);
}

describe('OIDC validator: success', () => {
  const validator = createOidcValidator({ fetch: () => Promise.reject(new Error('no network in this suite')) });

  test('declares its field and the section it needs', () => {
    assert.deepEqual(validator.fields.map((f) => [f.key, f.rest, f.graphql?.name]), [['idToken', 'oidc_id_token', 'idToken']]);
    assert.deepEqual(validator.needs, ['oidcTrust']);
  });

  for (const issuer of [rs, es, ed]) {
    test(`${issuer.alg} with an inline JWK Set`, async () => {
      const token = issuer.sign(issuer.claims(AUD, { email: 'alice@example.com' }, NOW));
      const subject = await checkedValidate(validator, input(token), context([jwksTrust(stranger), jwksTrust(issuer)]));
      assert.deepEqual(subject, {
        name: 'alice',
        attributes: { email: 'alice@example.com' },
        inputType: 'OPENIDCONNECT',
        authn: { instant: new Date((T - 30) * 1000), assumedContextClass: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport' },
        issuer: issuer.issuer,
      });
    });
  }

  test('HS256 with the trust entry client secret', async () => {
    const token = hs.sign(hs.claims(AUD, {}, NOW));
    const subject = await checkedValidate(validator, input(token), context([{ issuer: hs.issuer, audience: [AUD], clientSecret: hs.secret }]));
    assert.equal(subject.name, 'alice');
  });

  test('aud as an array containing one accepted audience; azp within authorizedParties', async () => {
    const token = rs.sign(rs.claims(['other', AUD], { azp: 'client-a' }, NOW));
    const subject = await checkedValidate(validator, input(token), context([jwksTrust(rs, { audience: ['x', AUD], authorizedParties: ['client-a'] })]));
    assert.equal(subject.name, 'alice');
  });

  test('clock skew: exp 59 s ago and nbf/iat 59 s ahead are accepted', async () => {
    const token = rs.sign(rs.claims(AUD, { iat: T + 59, nbf: T + 59, exp: T - 59, auth_time: undefined }, NOW));
    const subject = await checkedValidate(validator, input(token), context([jwksTrust(rs)]));
    // No auth_time: the token's iat is the best bound on the authentication time.
    assert.equal(subject.authn.instant.getTime(), (T + 59) * 1000);
  });

  test('a token without kid verifies when the set holds exactly one suitable key', async () => {
    const token = es.sign(es.claims(AUD, {}, NOW), { kid: undefined });
    const trust = jwksTrust(es, { jwks: { keys: [...es.jwks.keys, ...rs.jwks.keys] } });
    assert.equal((await checkedValidate(validator, input(token), context([trust]))).name, 'alice');
  });

  test('claims become attributes: registered claims and objects dropped, scalars as text, token only', async () => {
    // An external sub equal to a local username (admin) gets the token's claims and nothing else: the
    // validator has no access to local users at all, and the attributes are exactly the token's.
    const token = rs.sign(
      rs.claims(AUD, {
        sub: 'admin',
        email: 'admin@idp.example',
        groups: ['a', 'b'],
        empty: [],
        age: 42,
        verified: true,
        address: { street: 'x' },
        mixed: ['a', 1],
        nothing: null,
        nonce: 'n',
        acr: '1',
        amr: ['pwd'],
        azp: 'c',
        sid: 's',
        at_hash: 'h',
        jti: 'j',
      }, NOW),
    );
    const subject: VerifiedSubject = await checkedValidate(validator, input(token), context([jwksTrust(rs)]));
    assert.equal(subject.name, 'admin');
    assert.deepEqual(subject.attributes, {
      email: 'admin@idp.example',
      groups: ['a', 'b'],
      empty: [],
      age: '42',
      verified: 'true',
    });
  });

  test('claimsToAttributes ignores prototype-changing keys', () => {
    const claims = JSON.parse('{"__proto__":["x"],"constructor":"y","ok":"z"}') as Record<string, unknown>;
    const attributes = claimsToAttributes(claims);
    assert.deepEqual(Object.keys(attributes), ['ok']);
    assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  });

  test('jwkFitsAlgorithm binds kty/crv/alg/use to the algorithm', () => {
    const rsaJwk = rs.jwks.keys[0]!;
    const ecJwk = es.jwks.keys[0]!;
    assert.equal(jwkFitsAlgorithm(rsaJwk, 'RS256'), true);
    assert.equal(jwkFitsAlgorithm({ ...rsaJwk, alg: undefined }, 'PS256'), true);
    assert.equal(jwkFitsAlgorithm(rsaJwk, 'PS256'), false, 'the JWK says RS256');
    assert.equal(jwkFitsAlgorithm(rsaJwk, 'HS256'), false);
    assert.equal(jwkFitsAlgorithm(ecJwk, 'ES384'), false, 'P-256 is not ES384');
    assert.equal(jwkFitsAlgorithm({ ...ecJwk, alg: undefined }, 'RS256'), false);
    assert.equal(jwkFitsAlgorithm({ ...rsaJwk, use: 'enc' }, 'RS256'), false);
    assert.equal(jwkFitsAlgorithm({ ...rsaJwk, key_ops: ['encrypt'] }, 'RS256'), false);
    assert.equal(jwkFitsAlgorithm({ ...rsaJwk, d: 'private' }, 'RS256'), false);
    assert.equal(jwkFitsAlgorithm({ kty: 'oct', k: 'c2VjcmV0' }, 'HS256'), false);
  });
});

describe('OIDC validator: hostile tokens', () => {
  const validator = createOidcValidator({ fetch: () => Promise.reject(new Error('no network in this suite')) });
  const trustAll = [jwksTrust(rs), jwksTrust(es), { issuer: hs.issuer, audience: [AUD], clientSecret: hs.secret! }];
  const good = rs.claims(AUD, {}, NOW);
  const rsPublicPem = rs.publicKey!.export({ type: 'spki', format: 'pem' }) as string;
  const hmacWith = (key: string | Buffer) => (input: string) => createHmac('sha256', key).update(input).digest();

  const without = (claim: string) => {
    const copy: Record<string, unknown> = { ...good };
    delete copy[claim];
    return copy;
  };

  const cases: Array<{ name: string; token: () => string; code: ErrorCode; message?: RegExp; trust?: OidcTrustConfig[] }> = [
    { name: 'alg none', token: () => unsignedToken(good), code: 'INVALID_TOKEN', message: /none/ },
    { name: 'alg NONE (case variant)', token: () => unsignedToken(good, { alg: 'NONE' }), code: 'INVALID_TOKEN' },
    {
      name: 'alg none with a signature by the real key',
      token: () => compactJws({ alg: 'none', kid: rs.kid }, good, (i) => rawSignature('RS256', i, rs.privateKey!)),
      code: 'INVALID_TOKEN',
    },
    {
      name: 'HS256 signed with the issuer RSA public key (PEM)',
      token: () => compactJws({ alg: 'HS256', typ: 'JWT', kid: rs.kid }, good, hmacWith(rsPublicPem)),
      code: 'INVALID_TOKEN',
      message: /not allowed/,
    },
    {
      name: 'HS256 signed with the issuer RSA public key (JWK JSON)',
      token: () => compactJws({ alg: 'HS256', kid: rs.kid }, good, hmacWith(JSON.stringify(rs.jwks.keys[0]))),
      code: 'INVALID_TOKEN',
    },
    {
      name: 'RS256 header on an issuer with a client secret',
      token: () => hs.sign(hs.claims(AUD, {}, NOW), { alg: 'RS256' }),
      code: 'INVALID_TOKEN',
      message: /not allowed/,
    },
    {
      name: 'ES256 token whose header claims RS256 (key type mismatch)',
      token: () => es.sign(es.claims(AUD, {}, NOW), { alg: 'RS256' }),
      code: 'INVALID_TOKEN',
    },
    {
      name: 'HS512 is not on any allow-list',
      token: () => compactJws({ alg: 'HS512' }, hs.claims(AUD, {}, NOW), (i) => createHmac('sha512', hs.secret!).update(i).digest()),
      code: 'INVALID_TOKEN',
    },
    { name: 'untrusted issuer', token: () => stranger.sign(stranger.claims(AUD, {}, NOW)), code: 'INVALID_TOKEN', message: /untrusted issuer/ },
    {
      name: 'trusted issuer name, stranger key under the trusted kid',
      token: () => stranger.sign({ ...good }, { kid: rs.kid }),
      code: 'INVALID_TOKEN',
      message: /signature/,
    },
    { name: 'iss missing', token: () => rs.sign(without('iss')), code: 'INVALID_TOKEN', message: /untrusted issuer/ },
    { name: 'iss not a string', token: () => rs.sign({ ...good, iss: [rs.issuer] }), code: 'INVALID_TOKEN', message: /untrusted issuer/ },
    { name: 'wrong audience', token: () => rs.sign({ ...good, aud: 'someone-else' }), code: 'INVALID_TOKEN', message: /audience/ },
    { name: 'no audience', token: () => rs.sign(without('aud')), code: 'INVALID_TOKEN' },
    { name: 'expired (beyond the 60 s skew)', token: () => rs.sign({ ...good, exp: T - 61 }), code: 'INVALID_TOKEN', message: /expired/ },
    { name: 'not yet valid (nbf beyond skew)', token: () => rs.sign({ ...good, nbf: T + 120 }), code: 'INVALID_TOKEN', message: /nbf/ },
    { name: 'iat in the future beyond skew', token: () => rs.sign({ ...good, iat: T + 120, exp: T + 600 }), code: 'INVALID_TOKEN', message: /iat/ },
    { name: 'iat not a number', token: () => rs.sign({ ...good, iat: 'yesterday' }), code: 'INVALID_TOKEN' },
    { name: 'auth_time in the future', token: () => rs.sign({ ...good, auth_time: T + 3600 }), code: 'INVALID_TOKEN', message: /auth_time/ },
    { name: 'auth_time not a number', token: () => rs.sign({ ...good, auth_time: '0' }), code: 'INVALID_TOKEN', message: /auth_time/ },
    {
      name: 'tampered payload',
      token: () => {
        const [h, , s] = rs.sign(good).split('.');
        return `${h}.${b64u({ ...good, sub: 'admin' })}.${s}`;
      },
      code: 'INVALID_TOKEN',
      message: /signature/,
    },
    {
      name: 'signature stripped',
      token: () => `${rs.sign(good).split('.').slice(0, 2).join('.')}.`,
      code: 'INVALID_TOKEN',
    },
    { name: 'unknown kid', token: () => rs.sign(good, { kid: 'not-a-kid' }), code: 'INVALID_TOKEN', message: /unknown key/ },
    { name: 'kid not a string', token: () => rs.sign(good, { kid: 7 }), code: 'INVALID_TOKEN', message: /kid/ },
    { name: 'jku header', token: () => rs.sign(good, { jku: 'https://evil.example/jwks.json' }), code: 'INVALID_TOKEN', message: /jku/ },
    { name: 'embedded jwk header', token: () => rs.sign(good, { jwk: rs.jwks.keys[0] }), code: 'INVALID_TOKEN', message: /jwk/ },
    { name: 'x5u header', token: () => rs.sign(good, { x5u: 'https://evil.example/cert.pem' }), code: 'INVALID_TOKEN', message: /x5u/ },
    { name: 'x5c header', token: () => rs.sign(good, { x5c: ['MIIB'] }), code: 'INVALID_TOKEN', message: /x5c/ },
    { name: 'typ at+jwt (RFC 9068 access token)', token: () => rs.sign(good, { typ: 'at+jwt' }), code: 'INVALID_TOKEN', message: /access token/ },
    { name: 'typ application/at+jwt', token: () => rs.sign(good, { typ: 'application/at+jwt' }), code: 'INVALID_TOKEN' },
    { name: 'typ AT+JWT', token: () => rs.sign(good, { typ: 'AT+JWT' }), code: 'INVALID_TOKEN' },
    { name: 'typ logout+jwt', token: () => rs.sign(good, { typ: 'logout+jwt' }), code: 'INVALID_TOKEN' },
    { name: 'unknown crit header', token: () => rs.sign(good, { crit: ['exp'], exp: 1 }), code: 'INVALID_TOKEN' },
    { name: 'b64 false (unencoded payload)', token: () => rs.sign(good, { crit: ['b64'], b64: false }), code: 'INVALID_TOKEN' },
    { name: 'no sub', token: () => rs.sign(without('sub')), code: 'INVALID_TOKEN', message: /"sub"/ },
    { name: 'empty sub', token: () => rs.sign({ ...good, sub: '' }), code: 'INVALID_TOKEN', message: /sub/ },
    { name: 'sub not a string', token: () => rs.sign({ ...good, sub: 42 }), code: 'INVALID_TOKEN', message: /sub/ },
    { name: 'no exp', token: () => rs.sign(without('exp')), code: 'INVALID_TOKEN', message: /"exp"/ },
    { name: 'no iat', token: () => rs.sign(without('iat')), code: 'INVALID_TOKEN', message: /"iat"/ },
    {
      name: 'azp not allowed',
      token: () => rs.sign({ ...good, azp: 'client-b' }),
      trust: [jwksTrust(rs, { authorizedParties: ['client-a'] })],
      code: 'INVALID_TOKEN',
      message: /azp/,
    },
    {
      name: 'azp missing while authorizedParties is set',
      token: () => rs.sign(good),
      trust: [jwksTrust(rs, { authorizedParties: ['client-a'] })],
      code: 'INVALID_TOKEN',
      message: /azp/,
    },
    {
      name: 'no kid and several suitable keys',
      token: () => rs.sign(good, { kid: undefined }),
      trust: [jwksTrust(rs, { jwks: { keys: [...rs.jwks.keys, ...stranger.jwks.keys] } })],
      code: 'INVALID_TOKEN',
      message: /several keys/,
    },
    {
      name: 'a private JWK in the trusted set is never used',
      token: () => rs.sign(good),
      trust: [jwksTrust(rs, { jwks: { keys: [{ ...(rs.privateKey!.export({ format: 'jwk' }) as Record<string, unknown>), kid: rs.kid, alg: 'RS256' }] } })],
      code: 'INVALID_TOKEN',
    },
    { name: 'token over 64 KiB', token: () => rs.sign({ ...good, pad: 'x'.repeat(MAX_ID_TOKEN_BYTES) }), code: 'BAD_USER_INPUT', message: /64 KiB/ },
    { name: 'JWE (five parts)', token: () => 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d', code: 'INVALID_TOKEN', message: /JWE/ },
    { name: 'garbage', token: () => 'not a token', code: 'INVALID_TOKEN' },
    { name: 'payload not JSON', token: () => compactJws({ alg: 'RS256', kid: rs.kid }, 'hello', (i) => rawSignature('RS256', i, rs.privateKey!)), code: 'INVALID_TOKEN' },
    { name: 'payload a JSON array', token: () => compactJws({ alg: 'RS256', kid: rs.kid }, '[1]', (i) => rawSignature('RS256', i, rs.privateKey!)), code: 'INVALID_TOKEN' },
    { name: 'header not JSON', token: () => `${b64u('{alg')}.${b64u(good)}.c2ln`, code: 'INVALID_TOKEN' },
    { name: 'empty token', token: () => '', code: 'BAD_USER_INPUT' },
  ];

  for (const c of cases) {
    test(c.name, async () => {
      await expectCode(checkedValidate(validator, input(c.token()), context(c.trust ?? trustAll)), c.code, c.message);
    });
  }

  test('the 64 KiB limit counts bytes, not characters; a large token under it is accepted', async () => {
    // 22,000 three-byte characters: far under 64 Ki characters, over 64 KiB.
    const raw = '€'.repeat(22_000);
    assert.ok(raw.length < MAX_ID_TOKEN_BYTES && Buffer.byteLength(raw) > MAX_ID_TOKEN_BYTES);
    await expectCode(checkedValidate(validator, input(raw), context(trustAll)), 'BAD_USER_INPUT');
    const large = rs.sign({ ...good, pad: 'x'.repeat(45_000) });
    assert.ok(large.length > 60_000 && large.length <= MAX_ID_TOKEN_BYTES);
    assert.equal((await checkedValidate(validator, input(large), context(trustAll))).attributes.pad, 'x'.repeat(45_000));
  });

  test('no oidcTrust at all: untrusted issuer', async () => {
    const ctx: ValidatorContext = { instance: publishedInstance({ name: 'none' }), request: REQUEST, now: NOW };
    await expectCode(checkedValidate(validator, input(rs.sign(good)), ctx), 'INVALID_TOKEN', /untrusted issuer/);
  });

  test('a non-OIDC input is a caller error', async () => {
    await expectCode(checkedValidate(validator, { type: 'SESSION', sessionToken: 'x' }, context(trustAll)), 'BAD_USER_INPUT');
  });
});

describe('OIDC validator: jwksUri', () => {
  let server: JwksServer;
  let other: JwksServer;
  before(async () => {
    server = await startJwksServer(rs.jwks);
    other = await startJwksServer(rs.jwks);
  });
  after(async () => {
    await server.close();
    await other.close();
  });

  const uriTrust = (uri: string, issuer: TestIssuer = rs): OidcTrustConfig => ({ issuer: issuer.issuer, audience: [AUD], jwksUri: uri });

  test('fetches once, then serves from the cache', async () => {
    server.setHandler(undefined);
    server.setJwks(rs.jwks);
    const before = server.hits();
    const validator = createOidcValidator();
    const ctx = context([uriTrust(server.url)]);
    assert.equal((await checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), ctx)).name, 'alice');
    assert.equal((await checkedValidate(validator, input(rs.sign(rs.claims(AUD, { sub: 'bob' }, NOW))), ctx)).name, 'bob');
    assert.equal(server.hits() - before, 1);
  });

  test('concurrent validations share one fetch', async () => {
    server.setHandler(undefined);
    server.setJwks(rs.jwks);
    const before = server.hits();
    const validator = createOidcValidator();
    const ctx = context([uriTrust(server.url)]);
    const token = rs.sign(rs.claims(AUD, {}, NOW));
    await Promise.all(Array.from({ length: 5 }, () => checkedValidate(validator, input(token), ctx)));
    assert.equal(server.hits() - before, 1);
  });

  test('accepts application/jwk-set+json', async () => {
    server.setHandler((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json; charset=utf-8' }).end(JSON.stringify(es.jwks));
    });
    const validator = createOidcValidator();
    assert.equal((await checkedValidate(validator, input(es.sign(es.claims(AUD, {}, NOW))), context([uriTrust(server.url, es)]))).name, 'alice');
  });

  test('an unreachable issuer is INVALID_TOKEN', async () => {
    const down = await startJwksServer(rs.jwks);
    const url = down.url;
    await down.close();
    const validator = createOidcValidator();
    await expectCode(checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), context([uriTrust(url)])), 'INVALID_TOKEN', /could not be fetched/);
  });

  test('a slow issuer times out (INVALID_TOKEN) and the default deadline is 5 s', async () => {
    assert.equal(JWKS_FETCH_TIMEOUT_MS, 5_000);
    server.setHandler(() => {
      /* never answers */
    });
    const validator = createOidcValidator({ jwksFetchTimeoutMs: 150 });
    const started = Date.now();
    await expectCode(checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), context([uriTrust(server.url)])), 'INVALID_TOKEN', /in time/);
    assert.ok(Date.now() - started < 3_000);
  });

  test('a redirect is not followed', async () => {
    const targetBefore = other.hits();
    server.setHandler((_req, res) => {
      res.writeHead(302, { location: other.url }).end();
    });
    const validator = createOidcValidator();
    await expectCode(checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), context([uriTrust(server.url)])), 'INVALID_TOKEN', /redirect/);
    assert.equal(other.hits(), targetBefore, 'the redirect target was never asked');
  });

  test('a JWK Set over 256 KiB is refused, with or without Content-Length', async () => {
    assert.equal(JWKS_MAX_BYTES, 256 * 1024);
    const big = JSON.stringify({ keys: [...rs.jwks.keys, { kty: 'RSA', pad: 'x'.repeat(JWKS_MAX_BYTES) }] });
    for (const withLength of [true, false]) {
      server.setHandler((_req, res) => {
        if (withLength) {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) }).end(big);
        } else {
          // Chunked, in pieces: the cap must hold while streaming.
          res.writeHead(200, { 'content-type': 'application/json' });
          for (let i = 0; i < big.length; i += 16_384) res.write(big.slice(i, i + 16_384));
          res.end();
        }
      });
      const validator = createOidcValidator();
      await expectCode(checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), context([uriTrust(server.url)])), 'INVALID_TOKEN', /larger than/);
    }
  });

  test('a non-JSON answer, an HTTP error or a document without keys is refused', async () => {
    const answers: Array<[number, string, string]> = [
      [200, 'text/html', JSON.stringify(rs.jwks)],
      [500, 'application/json', JSON.stringify(rs.jwks)],
      [200, 'application/json', '{"keys": {}}'],
      [200, 'application/json', 'not json'],
    ];
    for (const [status, type, body] of answers) {
      server.setHandler((_req, res) => {
        res.writeHead(status, { 'content-type': type }).end(body);
      });
      const validator = createOidcValidator();
      await expectCode(checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), context([uriTrust(server.url)])), 'INVALID_TOKEN');
    }
  });

  test('a non-http(s) jwksUri is refused', async () => {
    const validator = createOidcValidator();
    const dataUri = `data:application/json,${encodeURIComponent(JSON.stringify(rs.jwks))}`;
    await expectCode(checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), context([uriTrust(dataUri)])), 'INVALID_TOKEN', /http/);
  });

  test('key rotation: a new kid triggers one refetch; another unknown kid within the interval does not', async () => {
    assert.equal(DEFAULT_JWKS_REFETCH_INTERVAL_MS, 60_000);
    server.setHandler(undefined);
    const keyA = makeIssuer({ alg: 'RS256', issuer: 'https://rotating.example.test', kid: 'key-a' });
    const keyB = makeIssuer({ alg: 'ES256', issuer: 'https://rotating.example.test', kid: 'key-b' });
    const keyC = makeIssuer({ alg: 'RS256', issuer: 'https://rotating.example.test', kid: 'key-c' });
    server.setJwks(keyA.jwks);
    const validator = createOidcValidator();
    const trust = [uriTrust(server.url, keyA)];
    const base = server.hits();

    const t0 = NOW;
    assert.equal((await checkedValidate(validator, input(keyA.sign(keyA.claims(AUD, {}, t0))), context(trust, t0))).name, 'alice');
    assert.equal(server.hits() - base, 1);

    // The issuer rotates: B is published next to A. A token under B is seen a minute after the first fetch.
    server.setJwks({ keys: [...keyA.jwks.keys, ...keyB.jwks.keys] });
    const t1 = new Date(t0.getTime() + 61_000);
    assert.equal((await checkedValidate(validator, input(keyB.sign(keyB.claims(AUD, {}, t1))), context(trust, t1))).name, 'alice');
    assert.equal(server.hits() - base, 2, 'one refetch for the new kid');

    // Key C appears at the issuer, but 20 s after the last fetch no refetch is allowed yet.
    server.setJwks({ keys: [...keyA.jwks.keys, ...keyB.jwks.keys, ...keyC.jwks.keys] });
    const t2 = new Date(t1.getTime() + 20_000);
    await expectCode(checkedValidate(validator, input(keyC.sign(keyC.claims(AUD, {}, t2))), context(trust, t2)), 'INVALID_TOKEN', /unknown key/);
    await expectCode(checkedValidate(validator, input(keyC.sign(keyC.claims(AUD, { sub: 'x' }, t2), { kid: 'key-z' })), context(trust, t2)), 'INVALID_TOKEN');
    assert.equal(server.hits() - base, 2, 'no refetch within the interval');
    // Known keys keep working from the cache meanwhile.
    assert.equal((await checkedValidate(validator, input(keyA.sign(keyA.claims(AUD, {}, t2))), context(trust, t2))).name, 'alice');
    assert.equal(server.hits() - base, 2);

    // A minute after the last fetch, the unknown kid may trigger a refetch again.
    const t3 = new Date(t1.getTime() + 60_000);
    assert.equal((await checkedValidate(validator, input(keyC.sign(keyC.claims(AUD, {}, t3))), context(trust, t3))).name, 'alice');
    assert.equal(server.hits() - base, 3);
  });

  test('the cache is per issuer: another issuer on another URI is fetched on its own', async () => {
    server.setHandler(undefined);
    server.setJwks(rs.jwks);
    other.setJwks(es.jwks);
    const validator = createOidcValidator();
    const trust = [uriTrust(server.url, rs), uriTrust(other.url, es)];
    const [a, b] = [server.hits(), other.hits()];
    await checkedValidate(validator, input(rs.sign(rs.claims(AUD, {}, NOW))), context(trust));
    await checkedValidate(validator, input(es.sign(es.claims(AUD, {}, NOW))), context(trust));
    assert.deepEqual([server.hits() - a, other.hits() - b], [1, 1]);
  });
});
