/**
 * Fetching a trusted issuer's JWK Set (RFC 7517 §5) from its configured `jwks_uri`, defensively: the
 * document comes from another system, so the request has a deadline, follows no redirects and reads a bounded
 * number of bytes.
 */

export const JWKS_FETCH_TIMEOUT_MS = 5_000;
export const JWKS_MAX_BYTES = 256 * 1024;

/** Why a JWK Set could not be obtained; the message is safe to show to a client. */
export class JwksFetchError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause !== undefined ? { cause } : undefined);
    this.name = 'JwksFetchError';
  }
}

// RFC 7517 §8.5 registers application/jwk-set+json; plain application/json is what most issuers send.
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9.!#$&^_-]+\+)?json\s*(?:;.*)?$/i;

async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array> {
  const body = res.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      // Stop reading at once: a hostile or broken server must not make us buffer an unbounded body.
      await reader.cancel().catch(() => undefined);
      throw new JwksFetchError(`the JWK Set is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Fetches and parses a JWK Set; throws JwksFetchError for every failure. */
export async function fetchJwks(
  uri: string,
  opts: { fetch: typeof fetch; timeoutMs?: number; maxBytes?: number },
): Promise<Array<Record<string, unknown>>> {
  let url: URL;
  try {
    url = new URL(uri);
  } catch (e) {
    throw new JwksFetchError('the issuer jwksUri is not a URL', e);
  }
  // Only HTTP(S): fetch would also read data: and blob: URLs, which are no issuer's key document.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new JwksFetchError('the issuer jwksUri must be an http(s) URL');
  }
  const maxBytes = opts.maxBytes ?? JWKS_MAX_BYTES;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? JWKS_FETCH_TIMEOUT_MS);
  let res: Response;
  try {
    res = await opts.fetch(url, {
      method: 'GET',
      // A redirect could lead the key lookup anywhere (RFC 8725 §3.10); the configured URI is the only one trusted.
      redirect: 'manual',
      signal,
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
  } catch (e) {
    throw new JwksFetchError(
      signal.aborted ? 'the issuer JWK Set did not arrive in time' : 'the issuer JWK Set could not be fetched',
      e,
    );
  }
  try {
    if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) {
      throw new JwksFetchError('the issuer jwksUri answered with a redirect, which is not followed');
    }
    if (res.status !== 200) throw new JwksFetchError(`the issuer jwksUri answered HTTP ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    if (!JSON_MEDIA_TYPE.test(type)) throw new JwksFetchError('the issuer JWK Set is not JSON');
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      throw new JwksFetchError(`the JWK Set is larger than ${maxBytes} bytes`);
    }
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(res, maxBytes);
    } catch (e) {
      if (e instanceof JwksFetchError) throw e;
      throw new JwksFetchError(
        signal.aborted ? 'the issuer JWK Set did not arrive in time' : 'the issuer JWK Set could not be read',
        e,
      );
    }
    return parseJwks(bytes);
  } finally {
    // Release the connection when the body was not consumed (error paths above).
    if (res.body && !res.bodyUsed) await res.body.cancel().catch(() => undefined);
  }
}

/** Parses a JWK Set document (RFC 7517 §5): an object whose `keys` member is an array of objects. */
export function parseJwks(bytes: Uint8Array): Array<Record<string, unknown>> {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new JwksFetchError('the issuer JWK Set is not valid JSON', e);
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (doc === null || typeof doc !== 'object' || !Array.isArray(keys)) {
    throw new JwksFetchError('the issuer JWK Set has no "keys" array');
  }
  return keys.filter((k): k is Record<string, unknown> => k !== null && typeof k === 'object' && !Array.isArray(k));
}
