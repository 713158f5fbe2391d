/**
 * Realm paths and the PingAM login routes on their own: how each door reads a realm (engine/realm.ts), the
 * `/json/…/authenticate` forms AM clients and PingGateway send (http/am-auth.ts), and RFC 2047 credentials.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BadUserInputError } from '../../../src/engine/errors.js';
import { inRealm, notInRealm, parseRealm, realmFromSegments, realmPath } from '../../../src/engine/realm.js';
import { restStsPath } from '../../../src/engine/instance-config.js';
import { amJsonRoute, decodeCredentialHeader } from '../../../src/http/am-auth.js';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('realms', () => {
  const CONFIGURED: Array<[unknown, string | undefined]> = [
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['/', undefined],
    ['root', undefined],
    ['/root', undefined],
    ['/root/', undefined],
    ['alpha', '/alpha'],
    ['/alpha/', '/alpha'],
    ['/root/alpha/beta', '/alpha/beta'],
    ['fred/bobo', '/fred/bobo'],
    ['/subrealm2021890344', '/subrealm2021890344'],
  ];
  for (const [given, realm] of CONFIGURED) {
    test(`configured ${JSON.stringify(given)} is ${realm ?? 'the root realm'}`, () => assert.equal(parseRealm(given, 'input.realm'), realm));
  }

  const REFUSED: unknown[] = ['//alpha', '/al pha', '/alpha//beta', '/-alpha', 'a/'.repeat(20), 7, ['alpha'], '/é'];
  for (const given of REFUSED) {
    test(`configured ${JSON.stringify(given)} is BAD_USER_INPUT naming the field`, () => {
      assert.throws(
        () => parseRealm(given, 'input.realm'),
        (e: unknown) => e instanceof BadUserInputError && e.field === 'input.realm',
      );
    });
  }

  test('paths: a leading root is the root realm; a segment that is no realm name is no path', () => {
    assert.equal(realmFromSegments([]), undefined);
    assert.equal(realmFromSegments(['root']), undefined);
    assert.equal(realmFromSegments(['root', 'alpha']), '/alpha');
    assert.equal(realmFromSegments(['alpha', 'root']), '/alpha/root');
    assert.equal(realmFromSegments(['al%20pha']), null);
    assert.equal(realmFromSegments(['']), null);
  });

  test('an instance answers in its own realm only, and the refusal says where it is', () => {
    assert.ok(inRealm(undefined, '/'));
    assert.ok(inRealm('/alpha', '/alpha'));
    assert.ok(!inRealm('/alpha', '/'));
    assert.ok(!inRealm(undefined, '/alpha'));
    assert.ok(!inRealm('/alpha', '/alpha/beta'));
    assert.match(notInRealm('x', '/alpha', undefined).message, /x is published in the root realm/);
    assert.equal(notInRealm('x', '/', '/alpha').code, 'NOT_FOUND');
  });

  test('REST paths as PingAM builds them', () => {
    assert.equal(realmPath(undefined), '');
    assert.equal(realmPath('/fred/bobo'), 'fred/bobo');
    assert.equal(restStsPath('x'), '/rest-sts/x');
    assert.equal(restStsPath('x', '/fred/bobo'), '/rest-sts/fred/bobo/x');
  });
});

describe('PingAM login routes', () => {
  const ROUTES: Array<[string, ReturnType<typeof amJsonRoute>]> = [
    ['/json/authenticate', { endpoint: 'authenticate', realm: '/' }],
    // PingGateway: "json" + realm + "/authenticate", realm "/" by default.
    ['/json//authenticate', { endpoint: 'authenticate', realm: '/' }],
    ['/json/alpha/authenticate', { endpoint: 'authenticate', realm: '/alpha' }],
    ['/json/fred/bobo/authenticate', { endpoint: 'authenticate', realm: '/fred/bobo' }],
    ['/json/realms/alpha/authenticate', { endpoint: 'authenticate', realm: '/alpha' }],
    ['/json/realms/root/authenticate', { endpoint: 'authenticate', realm: '/' }],
    ['/json/realms/root/realms/alpha/authenticate', { endpoint: 'authenticate', realm: '/alpha' }],
    ['/json/sessions', { endpoint: 'sessions', realm: '/' }],
    ['/json/sessions/', { endpoint: 'sessions', realm: '/' }],
    ['/json/alpha/sessions/', { endpoint: 'sessions', realm: '/alpha' }],
    ['/json/realms/root/realms/alpha/sessions', { endpoint: 'sessions', realm: '/alpha' }],
    ['/json/users', null],
    ['/json/realms/root/alpha/authenticate', null],
    ['/json/al%20pha/authenticate', null],
    ['/jsonx/authenticate', null],
    ['/authenticate', null],
  ];
  for (const [path, route] of ROUTES) {
    test(`${path} → ${route ? `${route.endpoint} in ${route.realm}` : 'not a route'}`, () => assert.deepEqual(amJsonRoute(path), route));
  }

  test('credentials: plain, or RFC 2047 encoded-words in UTF-8 (B and Q)', () => {
    assert.equal(decodeCredentialHeader('demo'), 'demo');
    assert.equal(decodeCredentialHeader(`=?UTF-8?B?${Buffer.from('pässwörd-✓').toString('base64')}?=`), 'pässwörd-✓');
    assert.equal(decodeCredentialHeader('=?utf-8?Q?p=C3=A4ss_w?='), 'päss w');
    assert.equal(decodeCredentialHeader('=?ISO-8859-1?Q?caf=E9?='), 'café');
    assert.equal(decodeCredentialHeader('=?KOI8-R?B?AAAA?='), null);
    // Not an encoded-word: the value itself, whatever it looks like.
    assert.equal(decodeCredentialHeader('=?half'), '=?half');
  });
});

describe('TESSERA_AM_COOKIE_NAME', () => {
  test('defaults to iPlanetDirectoryPro and takes any cookie name', () => {
    assert.equal(loadConfig({}).amCookieName, 'iPlanetDirectoryPro');
    assert.equal(loadConfig({ TESSERA_AM_COOKIE_NAME: ' amSession ' }).amCookieName, 'amSession');
  });
  for (const bad of ['two words', 'semi;colon', 'a=b', 'x'.repeat(65)]) {
    test(`refuses ${JSON.stringify(bad.slice(0, 20))} at start`, () => {
      assert.throws(() => loadConfig({ TESSERA_AM_COOKIE_NAME: bad }), (e: unknown) => e instanceof ConfigError && /TESSERA_AM_COOKIE_NAME/.test(e.message));
    });
  }
});
