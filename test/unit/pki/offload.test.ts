import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TesseraError } from '../../../src/engine/errors.js';
import { certificateFingerprint } from '../../../src/tokens/x509/certificate.js';
import { isTrustedProxy, parseOffloadHeader, parseTrustedProxy } from '../../../src/tokens/x509/offload.js';
import { makeCa, makeLeaf, makeSelfSigned, type TestCa, type TestCert } from '../../support/pki.js';

const DAY = 24 * 3600 * 1000;

function isBadInput(field?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TesseraError, String(e));
    assert.equal(e.code, 'BAD_USER_INPUT', e.message);
    if (field) assert.equal(e.field, field);
    return true;
  };
}

describe('parseOffloadHeader', () => {
  let ca: TestCa;
  let leaf: TestCert;
  before(async () => {
    ca = await makeCa('Offload CA');
    leaf = await makeLeaf(ca, { cn: 'alice' });
  });

  test('absent or empty header gives no certificate', () => {
    assert.deepEqual(parseOffloadHeader(undefined), []);
    assert.deepEqual(parseOffloadHeader(''), []);
    assert.deepEqual(parseOffloadHeader([]), []);
    assert.deepEqual(parseOffloadHeader(['', '  ']), []);
  });

  test('PingAM: base64 DER, one certificate per header value', () => {
    assert.deepEqual(parseOffloadHeader(leaf.certDerB64), [leaf.certDerB64]);
    assert.deepEqual(parseOffloadHeader([leaf.certDerB64, ca.certDerB64]), [leaf.certDerB64, ca.certDerB64]);
  });

  test('repeated headers joined by node with ", "', () => {
    assert.deepEqual(parseOffloadHeader(`${leaf.certDerB64}, ${ca.certDerB64}`), [leaf.certDerB64, ca.certDerB64]);
  });

  test('PEM, with newlines, or with spaces in their place (Apache), or as a bundle', () => {
    assert.deepEqual(parseOffloadHeader(leaf.certPem), [leaf.certDerB64]);
    assert.deepEqual(parseOffloadHeader(leaf.certPem.replace(/\n/g, ' ')), [leaf.certDerB64]);
    assert.deepEqual(parseOffloadHeader(leaf.certPem + ca.certPem), [leaf.certDerB64, ca.certDerB64]);
  });

  test("URL-encoded PEM (nginx's $ssl_client_escaped_cert)", () => {
    assert.deepEqual(parseOffloadHeader(encodeURIComponent(leaf.certPem)), [leaf.certDerB64]);
    // nginx escapes fewer characters than encodeURIComponent: '+' and '/' may stay as they are.
    const nginxStyle = leaf.certPem.replace(/\n/g, '%0A').replace(/ /g, '%20');
    assert.deepEqual(parseOffloadHeader(nginxStyle), [leaf.certDerB64]);
  });

  const refused: Array<[string, string | string[]]> = [
    ['plain text', 'not a certificate'],
    ['a half PEM block', '-----BEGIN CERTIFICATE-----\nMIIB'],
    ['broken URL encoding', '%E0%A4%A'],
    ['six certificates', new Array(6).fill('MIIBAAAA')],
    ['base64 that is not DER', Buffer.from('hello').toString('base64')],
    ['base64 broken by spaces', 'MIIB AAAA'],
  ];
  for (const [name, value] of refused) {
    test(`refuses ${name}`, () => {
      assert.throws(() => parseOffloadHeader(value), isBadInput());
    });
  }
});

describe('isTrustedProxy', () => {
  const table: Array<[string, string[], boolean]> = [
    ['127.0.0.1', ['127.0.0.1'], true],
    ['127.0.0.2', ['127.0.0.1'], false],
    ['10.1.2.3', ['10.0.0.0/8'], true],
    ['11.1.2.3', ['10.0.0.0/8'], false],
    ['192.168.1.200', ['192.168.1.128/25'], true],
    ['192.168.1.100', ['192.168.1.128/25'], false],
    ['203.0.113.7', ['0.0.0.0/0'], true],
    ['203.0.113.7', ['203.0.113.7/32'], true],
    ['::1', ['::1'], true],
    ['::1', ['127.0.0.1'], false],
    ['127.0.0.1', ['::1'], false],
    ['2001:db8::42', ['2001:db8::/32'], true],
    ['2001:db9::42', ['2001:db8::/32'], false],
    ['2001:db8:0:0:0:0:0:42', ['2001:db8::42'], true],
    ['2001:DB8::42', ['2001:db8::42'], true],
    ['fe80::1%eth0', ['fe80::/10'], true],
    // IPv4-mapped IPv6 (RFC 4291 §2.5.5.2), as node reports IPv4 peers on a dual-stack socket.
    ['::ffff:127.0.0.1', ['127.0.0.1'], true],
    ['::ffff:10.9.8.7', ['10.0.0.0/8'], true],
    ['::ffff:7f00:1', ['127.0.0.1'], true],
    ['127.0.0.1', ['::ffff:127.0.0.1'], true],
    ['10.9.8.7', ['::ffff:10.0.0.0/104'], true],
    ['11.9.8.7', ['::ffff:10.0.0.0/104'], false],
    ['::ffff:127.0.0.2', ['127.0.0.1'], false],
    // Several entries: any match.
    ['172.16.5.4', ['10.0.0.0/8', '172.16.0.0/12'], true],
    // No DNS names, no garbage; nothing trusted when the list is empty.
    ['127.0.0.1', ['localhost'], false],
    ['127.0.0.1', ['127.0.0.1/33'], false],
    ['127.0.0.1', ['127.0.0.1/'], false],
    ['127.0.0.1', ['127.0.0.0/8x'], false],
    ['127.0.0.1', [], false],
    ['localhost', ['127.0.0.1'], false],
    ['', ['0.0.0.0/0'], false],
    ['127.0.0.1 ', ['127.0.0.1'], false],
    ['1.2.3.4.5', ['0.0.0.0/0'], false],
  ];
  for (const [address, trusted, expected] of table) {
    test(`${JSON.stringify(address)} in ${JSON.stringify(trusted)} → ${expected}`, () => {
      assert.equal(isTrustedProxy(address, trusted), expected);
    });
  }

  test('parseTrustedProxy refuses host names and bad prefixes, naming the field', () => {
    for (const bad of ['localhost', 'proxy.example.com', '10.0.0.0/33', '::1/129', '10.0.0.1/-1', 'fe80::1%eth0', '', '::ffff:10.0.0.0/8']) {
      assert.throws(() => parseTrustedProxy(bad), isBadInput('x509Trust.trustedProxies'), bad);
    }
    assert.deepEqual(parseTrustedProxy('10.0.0.0/8').prefix, 8);
    assert.deepEqual(parseTrustedProxy('::1').prefix, 128);
  });
});

describe('certificateFingerprint', () => {
  test('is the hex SHA-256 of the DER', async () => {
    const c = await makeSelfSigned({ keyAlg: 'EC' });
    const expected = createHash('sha256').update(Buffer.from(c.certDerB64, 'base64')).digest('hex');
    assert.equal(certificateFingerprint(c.certDerB64), expected);
    assert.equal(certificateFingerprint(c.certDerB64), c.fingerprint);
    assert.match(expected, /^[0-9a-f]{64}$/);
  });
});
