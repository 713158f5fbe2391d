/**
 * The peers measured in the same run as Tessera, each alone on the machine (Tessera stopped), driven by the
 * same load generator and concurrencies: node-oidc-provider's custom token-exchange grant and its
 * client_credentials JWT path, and a samlify IdP issuing signed bearer assertions. They get the same ID tokens
 * as Tessera's OIDC rows, signed by the same external issuer.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { certificateToPem, generateCertificateKeyPair, issueCertificate } from '../../src/keys/key-material.js';
import type { PeerConfig } from './peer-config.js';

export interface PeerRowSpec {
  id: string;
  title: string;
  /** What the table calls the door: the peer's endpoint. */
  door: string;
  script: string;
  /** The peer's configuration file (PEER_CONFIG of its process). */
  configFile: string;
  path: string;
  headers: Record<string, string>;
  bodies: string[];
  check(body: string): boolean;
  /** The Tessera rows (scenario id) this peer is compared with. */
  versus: string[];
}

export interface PeerSet {
  peers: PeerRowSpec[];
}

const script = (name: string) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function accessTokenOf(body: string): string | undefined {
  try {
    const t = JSON.parse(body)?.access_token;
    return typeof t === 'string' ? t : undefined;
  } catch {
    return undefined;
  }
}

export async function preparePeers(dir: string, trust: PeerConfig['trust'], idTokens: string[]): Promise<PeerSet> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keys = await generateCertificateKeyPair('RSA');
  const now = Date.now();
  const cert = await issueCertificate({ subject: [{ CN: ['idp.bench.example'] }], keys, notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000), keyUsage: 1 });
  const samlKeyPem = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const client = { id: 'bench-peer-client', secret: randomBytes(24).toString('base64url') };
  const oidcCfg: PeerConfig = { trust, signingKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), client };
  const samlCfg: PeerConfig = {
    trust,
    signingKeyPem: `-----BEGIN PRIVATE KEY-----\n${samlKeyPem.replace(/.{64}/g, '$&\n').trim()}\n-----END PRIVATE KEY-----\n`,
    signingCertPem: certificateToPem(Buffer.from(cert.rawData)),
  };
  const oidcFile = join(dir, 'peer-oidc.json');
  const samlFile = join(dir, 'peer-saml.json');
  writeFileSync(oidcFile, JSON.stringify(oidcCfg));
  writeFileSync(samlFile, JSON.stringify(samlCfg));
  const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64');
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };
  return {
    peers: [
      {
        id: 'peer-oidc-provider-exchange',
        title: 'node-oidc-provider 8.8: token exchange (ID token in, RS256 JWT out), in memory',
        door: 'oidc-provider /token',
        script: script('oidc-provider.peer'),
        path: '/token',
        configFile: oidcFile,
        headers: form,
        bodies: idTokens.map((t) =>
          new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: t, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }).toString(),
        ),
        check: (b) => JWT_SHAPE.test(accessTokenOf(b) ?? ''),
        versus: ['oidc-oidc'],
      },
      {
        id: 'peer-oidc-provider-cc',
        title: 'node-oidc-provider 8.8: client_credentials → RS256 JWT access token, in memory',
        door: 'oidc-provider /token',
        script: script('oidc-provider.peer'),
        path: '/token',
        configFile: oidcFile,
        headers: form,
        bodies: ['grant_type=client_credentials&scope=api'],
        check: (b) => JWT_SHAPE.test(accessTokenOf(b) ?? ''),
        versus: [],
      },
      {
        id: 'peer-samlify',
        title: 'samlify 2.13 IdP: ID token in, signed bearer assertion out',
        door: 'samlify /saml/issue',
        script: script('samlify-idp.peer'),
        path: '/saml/issue',
        configFile: samlFile,
        headers: { 'content-type': 'application/json' },
        bodies: idTokens.map((t) => JSON.stringify({ id_token: t })),
        check: (b) => {
          try {
            const xml = Buffer.from(JSON.parse(b).saml_response as string, 'base64').toString('utf8');
            return xml.includes('Assertion') && xml.includes('SignatureValue>');
          } catch {
            return false;
          }
        },
        versus: ['oidc-saml'],
      },
    ],
  };
}

