/**
 * The Node.js peer a Tessera user would otherwise build on: node-oidc-provider 8.8 (its fastest release on
 * Node 20), in-memory (nothing durable), with
 *
 * - a custom RFC 8693 token-exchange grant (`registerGrantType`): the subject ID token is verified with jose
 *   against the trusted issuer's JWKS (issuer, audience, RS256 only), and an RS256 JWT is issued carrying its
 *   subject and claims, as Tessera's OIDC → OIDC translation does;
 * - its `client_credentials` grant issuing a JWT access token (resource indicators, `accessTokenFormat: 'jwt'`).
 *
 * Started by bench.ts as its own process (PORT, HOST, PEER_CONFIG); prints "serving on <url>" when ready.
 */
import { createServer } from 'node:http';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { createLocalJWKSet, importPKCS8, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import Provider, { errors } from 'oidc-provider';
import { listenAddress, readPeerConfig } from './peer-config.js';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const RESOURCE = 'https://api.bench.example';
const AUDIENCE_OUT = 'bench-rp';

const cfg = readPeerConfig();
const { port, host } = listenAddress();
const issuerUrl = `http://${host}:${port}`;

const keyObject = createPrivateKey(cfg.signingKeyPem);
const kid = 'peer-' + randomUUID().slice(0, 8);
const privateJwk = { ...keyObject.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
const signingKey = await importPKCS8(cfg.signingKeyPem, 'RS256');
const trusted = createLocalJWKSet(cfg.trust.jwks as Parameters<typeof createLocalJWKSet>[0]);

const provider = new Provider(issuerUrl, {
  clients: [
    {
      client_id: cfg.client!.id,
      client_secret: cfg.client!.secret,
      grant_types: ['client_credentials', TOKEN_EXCHANGE],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'api',
    },
  ],
  jwks: { keys: [privateJwk] },
  cookies: { keys: ['bench-peer-cookie-key-0123456789abcdef'] },
  scopes: ['openid', 'api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', audience: RESOURCE, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } }),
    },
  },
});

provider.registerGrantType(
  TOKEN_EXCHANGE,
  async (ctx, next) => {
    const { subject_token: subject, subject_token_type: subjectType } = ctx.oidc.params;
    if (!subject || subjectType !== ID_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ID_TOKEN_TYPE}`);
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(subject, trusted, { issuer: cfg.trust.issuer, audience: cfg.trust.audience, algorithms: ['RS256'] }));
    } catch {
      throw new errors.InvalidGrant('subject_token could not be verified');
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ email: claims.email, name: claims.name, groups: claims.groups, auth_time: claims.auth_time, nonce: 'bench-nonce' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(issuerUrl)
      .setSubject(String(claims.sub))
      .setAudience(AUDIENCE_OUT)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(signingKey);
    ctx.body = { access_token: token, issued_token_type: JWT_TYPE, token_type: 'N_A', expires_in: 300 };
    await next();
  },
  ['subject_token', 'subject_token_type', 'audience', 'resource', 'scope', 'requested_token_type', 'actor_token', 'actor_token_type'],
);

const server = createServer(provider.callback());
server.keepAliveTimeout = 5_000;
server.listen(port, host, () => process.stdout.write(`serving on ${issuerUrl}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
