/** What the bench hands a peer process (through the file named by PEER_CONFIG): whom to trust, how to sign. */
import { readFileSync } from 'node:fs';

export interface PeerConfig {
  /** The ID token issuer the peers trust, its JWKS, and the audience its tokens carry. */
  trust: { issuer: string; audience: string; jwks: { keys: Array<Record<string, unknown>> } };
  /** The peer's own RSA-2048 signing key (PKCS#8 PEM) and, for the SAML IdP, its certificate (PEM). */
  signingKeyPem: string;
  signingCertPem?: string;
  /** The OAuth client the load generator authenticates as (client_secret_basic). */
  client?: { id: string; secret: string };
}

export function readPeerConfig(): PeerConfig {
  const file = process.env.PEER_CONFIG;
  if (!file) throw new Error('PEER_CONFIG must name the peer configuration file');
  return JSON.parse(readFileSync(file, 'utf8')) as PeerConfig;
}

export function listenAddress(): { port: number; host: string } {
  return { port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' };
}
