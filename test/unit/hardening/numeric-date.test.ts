/**
 * NumericDate (RFC 7519 §2) bounds: the OIDC validator, the X.509 proof and the SAML date serialiser refuse
 * instants no output can carry with INVALID_TOKEN, never `null` in an ID token or a RangeError (INTERNAL).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { TesseraError } from '../../../src/engine/errors.js';
import { isNumericDate, MAX_NUMERIC_DATE } from '../../../src/tokens/numeric-date.js';
import { xsDateTime } from '../../../src/tokens/saml2/xml.js';
import { verifyPossessionProof } from '../../../src/tokens/x509/proof.js';
import { makeProof } from '../../support/pki.js';
import { makeProvider, providerCtx, samlConfig, subject } from '../saml2/setup.js';

function isInvalidToken(e: unknown): boolean {
  assert.ok(e instanceof TesseraError, `expected a TesseraError, got ${String(e)}`);
  assert.equal(e.code, 'INVALID_TOKEN', e.message);
  return true;
}

test('isNumericDate: finite seconds from 1970 to the end of 9999', () => {
  for (const ok of [0, 1, 1.5, 1_700_000_000, MAX_NUMERIC_DATE]) assert.equal(isNumericDate(ok), true, String(ok));
  for (const bad of [-1, -1e15, MAX_NUMERIC_DATE + 1, 1e300, Infinity, -Infinity, NaN, '1700000000', null, undefined, {}, [1]]) {
    assert.equal(isNumericDate(bad), false, String(bad));
  }
});

describe('the SAML date serialiser', () => {
  test('writes xs:dateTime for every representable instant', () => {
    assert.equal(xsDateTime(new Date('2030-01-01T12:00:00.750Z')), '2030-01-01T12:00:00Z');
    assert.equal(xsDateTime(new Date('0001-01-01T00:00:00Z')), '0001-01-01T00:00:00Z');
    assert.equal(xsDateTime(new Date(MAX_NUMERIC_DATE * 1000)), '9999-12-31T23:59:59Z');
  });

  test('refuses an invalid Date and years outside 0001–9999 with INVALID_TOKEN instead of a RangeError', () => {
    for (const d of [new Date(NaN), new Date(-1e15 * 1000), new Date('+010000-01-01T00:00:00Z'), new Date('-000001-01-01T00:00:00Z'), new Date(8.64e15)]) {
      assert.throws(() => xsDateTime(d), isInvalidToken);
    }
  });

  test('an assertion for a subject authenticated at an impossible instant is INVALID_TOKEN, no token', async () => {
    const { provider } = await makeProvider();
    for (const authnInstant of [new Date(NaN), new Date(-1e18), new Date('+020000-01-01T00:00:00Z')]) {
      await assert.rejects(provider.issue(subject({ authn: { instant: authnInstant } }), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(samlConfig())), isInvalidToken);
    }
  });
});

describe('the X.509 proof of possession', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = new Date();
  const nowS = Math.floor(now.getTime() / 1000);

  const bad: Array<[string, Record<string, unknown>]> = [
    ['iat -1e15', { iat: -1e15 }],
    ['iat 1e300', { iat: 1e300 }],
    ['iat as a string', { iat: String(nowS) }],
    ['exp 1e300', { exp: 1e300 }],
    ['exp -1', { exp: -1 }],
    ['nbf -1e15', { nbf: -1e15 }],
    ['nbf past 9999', { nbf: MAX_NUMERIC_DATE + 1 }],
  ];
  for (const [name, claims] of bad) {
    test(`${name} is INVALID_TOKEN`, async () => {
      const proof = await makeProof(privateKey, { aud: 'inst', claims });
      await assert.rejects(verifyPossessionProof(proof, publicKey, { audience: 'inst', now }), isInvalidToken);
    });
  }

  test('a proof with sane dates passes and its iat is returned', async () => {
    const proof = await makeProof(privateKey, { aud: 'inst', iat: nowS - 5, claims: { exp: nowS + 60, nbf: nowS - 5 } });
    assert.equal((await verifyPossessionProof(proof, publicKey, { audience: 'inst', now })).iat, nowS - 5);
  });
});
