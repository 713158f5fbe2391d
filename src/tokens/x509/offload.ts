/**
 * TLS offloading (API.md §3, PingAM's "client certificate header"): a proxy that terminated mutual TLS
 * forwards the client certificate in a header. The header is believed only when the TCP peer (the socket
 * address, never X-Forwarded-For) is one of `x509Trust.trustedProxies`.
 */
import { isIP } from 'node:net';
import { BadUserInputError } from '../../engine/errors.js';
import { MAX_CERTIFICATE_TEXT } from './certificate.js';
import { MAX_PRESENTED_CERTIFICATES } from './chain.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * Reads the offload header into certificates (leaf first), each as base64 DER. Accepted forms:
 * - base64 DER, one certificate per header value (PingAM; several values form the chain; node joins
 *   repeated headers with ", ", and neither base64 nor PEM contains a comma);
 * - PEM, with its line breaks kept or replaced by spaces (Apache's SSL_CLIENT_CERT), one or more blocks;
 * - URL-encoded PEM (nginx's $ssl_client_escaped_cert).
 * An absent or empty header gives []. A value that is none of these is BAD_USER_INPUT.
 */
export function parseOffloadHeader(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const values = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    if (v.length > MAX_CERTIFICATE_TEXT * MAX_PRESENTED_CERTIFICATES * 3) {
      throw new BadUserInputError('the client certificate header is too large', 'x509Trust.offloadHeader');
    }
    for (const piece of v.split(',')) {
      let text = piece.trim();
      if (text.length === 0) continue;
      if (/%[0-9A-Fa-f]{2}/.test(text)) {
        try {
          text = decodeURIComponent(text).trim();
        } catch {
          throw new BadUserInputError('the client certificate header is not valid URL encoding', 'x509Trust.offloadHeader');
        }
      }
      if (text.includes('-----BEGIN')) {
        const blocks = [...text.matchAll(PEM_BLOCK)];
        if (blocks.length === 0) throw new BadUserInputError('the client certificate header holds an incomplete PEM block', 'x509Trust.offloadHeader');
        for (const b of blocks) out.push(normalizeBase64(b[1].replace(/\s+/g, '')));
      } else {
        out.push(normalizeBase64(text));
      }
    }
  }
  if (out.length > MAX_PRESENTED_CERTIFICATES) {
    throw new BadUserInputError(`the client certificate header holds more than ${MAX_PRESENTED_CERTIFICATES} certificates`, 'x509Trust.offloadHeader');
  }
  return out;
}

function normalizeBase64(text: string): string {
  // base64 DER is one unbroken token (line breaks belong to PEM and were removed with its armour), and a
  // DER certificate starts with a SEQUENCE tag (0x30), i.e. "M" in base64.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || !text.startsWith('M')) {
    throw new BadUserInputError('the client certificate header is neither base64 DER nor PEM', 'x509Trust.offloadHeader');
  }
  return text;
}

// ---------------------------------------------------------------------------------------------------------
// Trusted proxies: exact addresses and CIDR blocks, IPv4 and IPv6. No DNS names: a name would make trust
// depend on the resolver.
// ---------------------------------------------------------------------------------------------------------

interface ParsedNetwork {
  bytes: Uint8Array; // 4 or 16 octets
  prefix: number;
}

/** Octets of an IPv4 or IPv6 address, IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) folded to IPv4. */
function addressBytes(text: string): Uint8Array | null {
  const kind = isIP(text);
  if (kind === 4) return new Uint8Array(text.split('.').map((p) => Number(p)));
  if (kind !== 6) return null;
  const bytes = ipv6Bytes(text);
  if (!bytes) return null;
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function ipv6Bytes(text: string): Uint8Array | null {
  let s = text;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    if (isIP(v4[1]) !== 4) return null;
    const [a, b, c, d] = v4[1].split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    s = s.slice(0, -v4[1].length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const given = head.length + rest.length + tail.length;
  if (given > 8 || (halves.length === 1 && given !== 8)) return null;
  const groups = [...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail];
  if (groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * Parses one trustedProxies entry: an IPv4 or IPv6 address, optionally with a /prefix. Throws
 * BadUserInputError naming `field` otherwise (use it when publishing an instance).
 */
export function parseTrustedProxy(entry: string, field = 'x509Trust.trustedProxies'): ParsedNetwork {
  if (typeof entry !== 'string') throw new BadUserInputError('an entry is not a string', field);
  const text = entry.trim();
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const bits = addr.includes('%') ? null : addressBytes(addr);
  if (!bits) {
    throw new BadUserInputError(`${JSON.stringify(text.slice(0, 64))} is not an IP address or CIDR block (host names are not accepted)`, field);
  }
  const wasV6 = isIP(addr) === 6;
  const max = wasV6 ? 128 : 32;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new BadUserInputError(`${JSON.stringify(text.slice(0, 64))} has an invalid prefix length`, field);
    prefix = Number(p);
  }
  // An IPv4-mapped IPv6 block (::ffff:10.0.0.0/104) becomes its IPv4 block (10.0.0.0/8).
  if (wasV6 && bits.length === 4) {
    if (prefix < 96) throw new BadUserInputError(`${JSON.stringify(text.slice(0, 64))} mixes IPv4-mapped and other IPv6 addresses`, field);
    prefix -= 96;
  }
  return { bytes: bits, prefix };
}

function inNetwork(addr: Uint8Array, net: ParsedNetwork): boolean {
  if (addr.length !== net.bytes.length) return false;
  let remaining = net.prefix;
  for (let i = 0; i < addr.length && remaining > 0; i++) {
    const take = Math.min(8, remaining);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((addr[i] & mask) !== (net.bytes[i] & mask)) return false;
    remaining -= take;
  }
  return true;
}

/**
 * True when `address` (the socket's remote address) is one of `trusted` (addresses or CIDR blocks).
 * Entries that do not parse never match; they are refused when an instance is published.
 */
export function isTrustedProxy(address: string, trusted: string[]): boolean {
  if (typeof address !== 'string' || !Array.isArray(trusted) || trusted.length === 0) return false;
  // A link-local peer may carry a zone (fe80::1%eth0); the zone does not change who the peer is.
  const bare = address.includes('%') ? address.slice(0, address.indexOf('%')) : address;
  const bytes = addressBytes(bare);
  if (!bytes) return false;
  for (const entry of trusted) {
    let net: ParsedNetwork;
    try {
      net = parseTrustedProxy(entry);
    } catch {
      continue;
    }
    if (inNetwork(bytes, net)) return true;
  }
  return false;
}
