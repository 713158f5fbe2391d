// @ts-check
/**
 * LEGACY_TICKET: a custom token type for an older in-house system that signs its own tickets.
 *
 *   ticket = base64url(JSON {sub, attrs, exp}) + "." + base64url(HMAC-SHA256(secret, <first part>))
 *
 * `exp` is in seconds since the epoch. Tickets this module issues also carry a random `jti`: Tessera records each
 * issued token by a hash of its exact string, so two tickets for the same subject in the same second must differ.
 * The shared secret comes from LEGACY_TICKET_SECRET (at least 32 bytes). It is read on each call, not at load: a
 * missing secret then fails only the requests that need it, and the rest of Tessera keeps serving.
 *
 * The module exports a validator (LEGACY_TICKET → anything) and a provider (anything → LEGACY_TICKET); Tessera
 * treats the two as a pair. It imports nothing but node: builtins, as a plugin module should.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_TYPE = 'LEGACY_TICKET';
const MIN_SECRET_BYTES = 32;
const LIFETIME_SECONDS = 600;
// Big enough for a subject and a few dozen attributes; anything larger is refused before any crypto.
const MAX_TICKET_CHARS = 16 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** @returns {Buffer} */
function secret() {
  const value = process.env.LEGACY_TICKET_SECRET ?? '';
  // The message reaches clients (sanitized), so it names the problem without naming the variable or its value.
  if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) throw new Error('legacy ticket signing is not configured');
  return Buffer.from(value, 'utf8');
}

/** @param {Buffer} key @param {string} payloadPart */
function mac(key, payloadPart) {
  return createHmac('sha256', key).update(payloadPart, 'ascii').digest();
}

/**
 * GraphQL sends customToken `{"ticket": "..."}` or a bare string; REST sends input_token_state without
 * token_type, i.e. `{"ticket": "..."}`.
 * @param {unknown} customToken
 * @returns {string}
 */
function ticketOf(customToken) {
  if (typeof customToken === 'string') return customToken;
  if (typeof customToken === 'object' && customToken !== null && 'ticket' in customToken) {
    const t = /** @type {{ ticket: unknown }} */ (customToken).ticket;
    if (typeof t === 'string') return t;
  }
  throw new Error('expected {"ticket": "<legacy ticket>"} or a ticket string');
}

/**
 * Keeps only string and string-array values: the ticket is signed, but an older issuer may have put other
 * JSON in it, and Tessera accepts only these shapes.
 * @param {unknown} attrs
 * @returns {Record<string, string | string[]>}
 */
function attributesOf(attrs) {
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) return {};
  return Object.fromEntries(
    Object.entries(attrs).filter(
      ([, v]) => typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string')),
    ),
  );
}

/** @type {import('tessera').TokenValidatorPlugin} */
export const validator = {
  kind: 'token-validator',
  tokenType: TOKEN_TYPE,
  description: 'HMAC-SHA256 signed legacy tickets (LEGACY_TICKET_SECRET)',
  validate(customToken, ctx) {
    const key = secret();
    const ticket = ticketOf(customToken);
    if (ticket.length > MAX_TICKET_CHARS) throw new Error('ticket is too large');
    const parts = ticket.split('.');
    if (parts.length !== 2 || !BASE64URL.test(parts[0]) || !BASE64URL.test(parts[1])) {
      throw new Error('ticket is malformed');
    }
    const [payloadPart, sigPart] = parts;
    const given = Buffer.from(sigPart, 'base64url');
    const expected = mac(key, payloadPart);
    // timingSafeEqual needs equal lengths; the length of an HMAC-SHA256 tag is public, so checking it first leaks nothing.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new Error('ticket signature is invalid');
    }
    /** @type {unknown} */
    let payload;
    try {
      payload = JSON.parse(Buffer.from(payloadPart, 'base64url').toString('utf8'));
    } catch {
      throw new Error('ticket payload is malformed');
    }
    if (typeof payload !== 'object' || payload === null) throw new Error('ticket payload is malformed');
    const { sub, attrs, exp } = /** @type {{ sub?: unknown, attrs?: unknown, exp?: unknown }} */ (payload);
    if (typeof sub !== 'string' || sub === '') throw new Error('ticket has no subject');
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new Error('ticket has no expiry');
    if (exp * 1000 <= ctx.now.getTime()) throw new Error('ticket has expired');
    return { subject: sub, attributes: attributesOf(attrs) };
  },
};

/** @type {import('tessera').TokenProviderPlugin} */
export const provider = {
  kind: 'token-provider',
  tokenType: TOKEN_TYPE,
  description: 'Issues HMAC-SHA256 signed legacy tickets valid for 10 minutes',
  issue(subject, ctx) {
    const key = secret();
    const exp = Math.floor(ctx.now.getTime() / 1000) + LIFETIME_SECONDS;
    // jti makes every ticket unique (the legacy format ignores fields it does not know).
    const jti = randomBytes(16).toString('base64url');
    const payloadPart = Buffer.from(JSON.stringify({ sub: subject.name, attrs: subject.attributes, exp, jti }), 'utf8').toString('base64url');
    const token = `${payloadPart}.${mac(key, payloadPart).toString('base64url')}`;
    // Tessera records this expiry, so validateToken and the ticket itself agree on when it ends.
    return { token, expiresAt: new Date(exp * 1000) };
  },
};

export default [validator, provider];
