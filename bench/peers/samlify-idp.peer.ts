/**
 * The SAML peer: a samlify 2.13 IdP (the library a Node.js user would reach for) that, for each POSTed ID
 * token, verifies it with jose against the trusted issuer's JWKS and answers with a samlp:Response whose
 * bearer assertion is signed (RSA-SHA256; the SP metadata asks for signed assertions), built by
 * `createLoginResponse` for the HTTP-POST binding. Nothing is stored.
 *
 * Started by bench.ts as its own process (PORT, HOST, PEER_CONFIG); prints "serving on <url>" when ready.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { createLocalJWKSet, jwtVerify } from 'jose';
import samlify from 'samlify';
import { listenAddress, readPeerConfig } from './peer-config.js';

const { IdentityProvider, ServiceProvider, setSchemaValidator } = samlify;
// createLoginResponse never validates; the flow APIs that do are not used here.
setSchemaValidator({ validate: async () => 'not validated' });

const cfg = readPeerConfig();
const { port, host } = listenAddress();
const trusted = createLocalJWKSet(cfg.trust.jwks as Parameters<typeof createLocalJWKSet>[0]);
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

const idp = IdentityProvider({
  entityID: 'https://idp.bench.example/saml',
  privateKey: cfg.signingKeyPem,
  signingCert: cfg.signingCertPem!,
  nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'],
  singleSignOnService: [{ Binding: POST, Location: 'https://idp.bench.example/sso' }],
  isAssertionEncrypted: false,
});
const sp = ServiceProvider({
  entityID: 'https://sp.bench.example',
  wantAssertionsSigned: true,
  assertionConsumerService: [{ Binding: POST, Location: 'https://sp.bench.example/acs' }],
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const server = createServer((req, res) => {
  const send = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };
  if (req.method !== 'POST' || req.url !== '/saml/issue') return send(404, { error: 'not_found' });
  readBody(req)
    .then(async (raw) => {
      const { id_token: idToken } = JSON.parse(raw) as { id_token?: string };
      if (typeof idToken !== 'string') return send(400, { error: 'invalid_request' });
      let sub: string;
      try {
        const { payload } = await jwtVerify(idToken, trusted, { issuer: cfg.trust.issuer, audience: cfg.trust.audience, algorithms: ['RS256'] });
        sub = String(payload.sub);
      } catch {
        return send(400, { error: 'invalid_grant' });
      }
      const { context } = await idp.createLoginResponse(sp, { extract: {} } as Parameters<typeof idp.createLoginResponse>[1], 'post', { email: sub });
      send(200, { saml_response: context });
    })
    .catch(() => send(500, { error: 'server_error' }));
});
server.keepAliveTimeout = 5_000;
server.listen(port, host, () => process.stdout.write(`serving on http://${host}:${port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
