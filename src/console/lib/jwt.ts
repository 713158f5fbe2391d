/**
 * Reads a compact JWS for display only. Nothing here verifies a signature: the console shows what the token
 * says, and the server's validateToken says whether to believe it.
 */

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signatureBytes: number;
}

function base64UrlToText(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

function asObject(text: string): Record<string, unknown> {
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
  return v as Record<string, unknown>;
}

export function decodeJwtUnverified(token: string): DecodedJwt | null {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return null;
  try {
    const header = asObject(base64UrlToText(parts[0]!));
    const claims = asObject(base64UrlToText(parts[1]!));
    const signatureBytes = Math.floor((parts[2]!.length * 3) / 4);
    return { header, claims, signatureBytes };
  } catch {
    return null;
  }
}

/** RFC 7519 4.1 NumericDate claims, and OIDC Core's auth_time. */
export const TIME_CLAIMS = new Set(['exp', 'nbf', 'iat', 'auth_time']);

export const CLAIM_NAMES: Record<string, string> = {
  iss: 'Issuer',
  sub: 'Subject',
  aud: 'Audience',
  exp: 'Expires',
  nbf: 'Not before',
  iat: 'Issued at',
  jti: 'Token ID',
  nonce: 'Nonce',
  auth_time: 'Authenticated at',
  azp: 'Authorized party',
  acr: 'Authentication context',
  amr: 'Authentication methods',
  alg: 'Algorithm',
  kid: 'Key ID',
  typ: 'Type',
  // JWT access tokens (RFC 9068) and token exchange (RFC 8693 §4).
  client_id: 'Client',
  scope: 'Scopes',
  act: 'Actor (delegation)',
  may_act: 'May be acted for by',
};
