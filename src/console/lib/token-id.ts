/**
 * The ID a token carries (a JWT's jti, a SAML assertion's ID), read without verifying: only to catch a token
 * pasted against the wrong record before asking the server to cancel it.
 */
import { decodeJwtUnverified } from './jwt';

export function tokenIdUnverified(token: string): string | undefined {
  const t = token.trim();
  if (t.startsWith('<')) {
    // The root's ID attribute; no parsing needed for this, and nothing here decides anything on the server.
    const m = /^<(?:[\w-]+:)?(?:Assertion|Response)\b[^>]*?\sID="([^"]+)"/.exec(t);
    return m?.[1];
  }
  const jti = decodeJwtUnverified(t)?.claims.jti;
  return typeof jti === 'string' ? jti : undefined;
}
