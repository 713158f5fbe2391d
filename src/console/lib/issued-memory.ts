/**
 * Tokens issued from this tab's try-it page, by token ID, kept in memory only. Tessera stores a hash of each
 * token, not the token, so cancelling from the issued-tokens list needs the token itself: this lets the list
 * offer it for tokens the admin just made, and asks for it otherwise.
 */
const tokens = new Map<string, { token: string; instance: string; type: string }>();

export function rememberIssued(tokenId: string, v: { token: string; instance: string; type: string }): void {
  tokens.set(tokenId, v);
}

export function issuedToken(tokenId: string): { token: string; instance: string; type: string } | undefined {
  return tokens.get(tokenId);
}
