/**
 * The X509 kind's configuration section `x509Trust` (API.md §3): trust anchors, and PingAM's TLS offload header
 * with the proxies allowed to set it. Parsed with the functions the validator uses at run time
 * (parseTrustAnchors, parseTrustedProxy), so an anchor bundle or a proxy entry means the same thing at publish
 * and at the first translate.
 *
 * `offloadHeader` is stored lower-cased: header names are case-insensitive (RFC 9110 §5.1) and the HTTP layer
 * sees them lower-cased.
 */
import { absent, fail, get, MAX_TRUST_ENTRIES, object, onlyKeys, optionalString, quote, stringList } from '../../engine/config-toolkit.js';
import { BadUserInputError } from '../../engine/errors.js';
import type { ConfigSection, GqlObject } from '../../engine/kind.js';
import type { InstanceConfig } from '../../engine/types.js';
import { parseTrustedProxy } from './offload.js';
import { parseTrustAnchors } from './x509.validator.js';

export interface X509TrustConfig {
  caCertificates: string[];
  offloadHeader?: string;
  trustedProxies?: string[];
}

export const x509TrustOf = (c: InstanceConfig): X509TrustConfig | undefined => c.x509Trust as X509TrustConfig | undefined;

function parseX509Trust(v: unknown): X509TrustConfig {
  const field = 'input.x509Trust';
  const x = object(v, field);
  onlyKeys(x, ['caCertificates', 'offloadHeader', 'trustedProxies'], field);
  const cas = get(x, 'caCertificates');
  if (absent(cas)) fail(`${field}.caCertificates`, 'is required.');
  if (!Array.isArray(cas) || cas.length === 0) fail(`${field}.caCertificates`, 'must be a non-empty list of PEM CA certificates.');
  if (cas.length > MAX_TRUST_ENTRIES) fail(`${field}.caCertificates`, `must hold at most ${MAX_TRUST_ENTRIES} certificates.`);
  // The validator's own parser: an entry may be a PEM bundle, and a CA is what the chain check accepts as one.
  const out: X509TrustConfig = { caCertificates: parseTrustAnchors(cas, `${field}.caCertificates`) };
  if (out.caCertificates.length > MAX_TRUST_ENTRIES) fail(`${field}.caCertificates`, `must hold at most ${MAX_TRUST_ENTRIES} certificates.`);

  const header = optionalString(x, 'offloadHeader', `${field}.offloadHeader`, { max: 256 });
  const proxiesValue = get(x, 'trustedProxies');
  // A header without a proxy list would let any client assert a certificate; a list without a header is a
  // half-finished configuration (AM's DeploymentConfig refuses both the same way).
  if ((header === undefined) !== absent(proxiesValue)) {
    fail(header === undefined ? `${field}.offloadHeader` : `${field}.trustedProxies`, 'offloadHeader and trustedProxies come together: give both or neither.');
  }
  if (header !== undefined) {
    // RFC 9110 §5.1: field-name = token.
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header)) fail(`${field}.offloadHeader`, 'must be a valid HTTP header name.');
    out.offloadHeader = header.toLowerCase();
    out.trustedProxies = stringList(proxiesValue, `${field}.trustedProxies`).map((p, i) => {
      const f = `${field}.trustedProxies[${i}]`;
      try {
        // The matcher's own parser: what it cannot match (a zone, a mixed IPv4-mapped block) is refused here.
        parseTrustedProxy(p, f);
      } catch (e) {
        if (e instanceof BadUserInputError) fail(f, `${quote(p)} is not an IP address or CIDR block: ${e.message.replace(`${f}: `, '')}`);
        throw e;
      }
      return p.trim();
    });
  }
  return out;
}

const X509_COMMON = {
  caCertificates: { type: { list: 'String' }, required: true, description: 'PEM trust anchors (an entry may hold a bundle); the client certificate must chain to one.' },
  offloadHeader: { type: 'String', description: 'REST only: the header in which a TLS-terminating proxy forwards the client certificate (PingAM\'s offload).' },
  trustedProxies: { type: { list: 'String' }, description: 'Addresses or CIDR blocks allowed to set offloadHeader (the socket address decides); both or neither.' },
} as const;

const X509_INPUT: GqlObject = { object: 'X509TrustInput', description: 'Trust for X509 input.', fields: X509_COMMON };
const X509_OUTPUT: GqlObject = { object: 'X509Trust', description: 'Trust for X509 input.', fields: X509_COMMON };

export const x509TrustSection: ConfigSection<X509TrustConfig> = {
  key: 'x509Trust',
  parse: (raw) => parseX509Trust(raw),
  graphql: { input: X509_INPUT, output: X509_OUTPUT, description: 'Required when a transform takes X509 input.' },
};
