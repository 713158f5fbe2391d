/**
 * An instance with every section of InstanceInput filled in, with realistic values (the demo-exchange seed, the
 * token-exchange and SAML2-input suites), for the console's round-trip and editor tests and the screenshots.
 */
import type { TestServer } from '../support/server.js';
import { makeSelfSigned } from '../support/pki.js';

/** Every field StsInstance offers (what the round trip compares). */
export const FULL_INSTANCE_QUERY = `query($n: String!) { instance(name: $n) {
  id name persistIssuedTokens callerRoles realm hasClientSecret createdAt
  transforms { input output invalidateInterimSession customInput customOutput }
  saml2 { issuer spEntityId spAcsUrl nameIdFormat attributeMap lifetimeSeconds signAssertion signatureAlgorithm signingKeyId
          encryptAssertion encryptNameId encryptAttributes dataEncryptionAlgorithm keyTransportAlgorithm spEncryptionCertificate holderOfKeyTrust
          plugins { conditions subject authenticationStatements attributeStatements authorizationDecisionStatements }
          envelope { enabled signResponse } metadata { sign validitySeconds cacheDurationSeconds } }
  oidc { issuer audience authorizedParty signatureAlgorithm signingKeyId hasClientSecret claimMap lifetimeSeconds }
  oidcTrust { issuer audience authorizedParties jwks jwksUri hasClientSecret acceptAccessTokens }
  x509Trust { caCertificates offloadHeader trustedProxies }
  accessToken { issuer audience lifetimeSeconds signatureAlgorithm signingKeyId claimMap }
  tokenExchange { audiences resources scopes delegation { allowed requireMayAct maxChainDepth } }
  saml2Trust { issuer certificates audience recipients signatureAlgorithms }
  endpoints { rest jwks openidConfiguration samlMetadata samlSpMetadata }
} }`;

export async function fullInstanceInput(s: TestServer, name: string): Promise<Record<string, unknown>> {
  const sp = await makeSelfSigned({ cn: 'sp.orders.example' });
  const ca = await makeSelfSigned({ cn: 'clients-ca.example' });
  const idp = await makeSelfSigned({ cn: 'idp.partner.example' });
  const ec = await makeSelfSigned({ keyAlg: 'EC', cn: 'idp2.partner.example' });
  const key = await s.gql('mutation { generateKey(algorithm: "ES256") { kid } }', {}, s.adminToken);
  const kid = key.data.generateKey.kid as string;
  return {
    name,
    realm: '/alpha',
    persistIssuedTokens: true,
    callerRoles: ['sts-caller'],
    transforms: [
      { input: 'USERNAME', output: 'OPENIDCONNECT' },
      { input: 'USERNAME', output: 'SAML2' },
      { input: 'OPENIDCONNECT', output: 'ACCESS_TOKEN' },
      { input: 'ACCESS_TOKEN', output: 'ACCESS_TOKEN' },
      { input: 'SAML2', output: 'OPENIDCONNECT' },
      { input: 'X509', output: 'SAML2' },
      { input: 'SESSION', output: 'ACCESS_TOKEN', invalidateInterimSession: true },
    ],
    saml2: {
      issuer: `${s.url}/sts/${name}`,
      spEntityId: 'https://sp.example.com/saml',
      spAcsUrl: 'https://sp.example.com/saml/acs',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      attributeMap: {
        mail: 'mail',
        'urn:oid:2.5.4.42': { attribute: 'givenName', nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri', friendlyName: 'givenName' },
        groups: { attribute: 'memberOf' },
      },
      lifetimeSeconds: 900,
      signAssertion: true,
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
      encryptNameId: true,
      encryptAttributes: true,
      dataEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
      keyTransportAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      spEncryptionCertificate: sp.certPem,
      holderOfKeyTrust: [ca.certPem, idp.certPem],
      envelope: { enabled: true, signResponse: true },
      metadata: { sign: true, validitySeconds: 86400, cacheDurationSeconds: 600 },
    },
    oidc: {
      issuer: `${s.url}/sts/${name}`,
      audience: ['orders-web', 'orders-api'],
      authorizedParty: 'orders-web',
      signatureAlgorithm: 'PS256',
      claimMap: { email: 'mail', groups: 'memberOf' },
      lifetimeSeconds: 600,
    },
    oidcTrust: [
      { issuer: `${s.url}/sts/demo-oidc`, audience: ['demo-client'], jwksUri: `${s.url}/sts/demo-oidc/jwks.json` },
      { issuer: `${s.url}/sts/${name}`, audience: ['https://api.example.com/orders'], authorizedParties: ['orders-web'], jwksUri: `${s.url}/sts/${name}/jwks.json`, acceptAccessTokens: true },
      { issuer: 'https://partner.example.com', audience: ['tessera'], clientSecret: 'a-shared-secret-of-at-least-32-bytes!!' },
    ],
    x509Trust: { caCertificates: [ca.certPem], offloadHeader: 'X-Client-Cert', trustedProxies: ['10.0.0.0/8'] },
    accessToken: {
      issuer: 'https://issuer.example.com/orders',
      audience: ['https://api.example.com/orders'],
      lifetimeSeconds: 300,
      signatureAlgorithm: 'ES256',
      signingKeyId: kid,
      claimMap: { email: 'mail', groups: 'memberOf' },
    },
    tokenExchange: {
      audiences: ['https://api.example.com/orders', 'orders'],
      resources: ['https://api.example.com/orders/v2'],
      scopes: ['orders.read', 'orders.write'],
      delegation: { allowed: true, requireMayAct: true, maxChainDepth: 2 },
    },
    saml2Trust: [
      {
        issuer: 'https://idp.partner.example/saml',
        certificates: [idp.certPem],
        audience: [`${s.url}/sts/${name}`, 'urn:tessera:orders'],
        recipients: ['https://sp.example.com/saml/acs'],
        signatureAlgorithms: ['http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'],
      },
      { issuer: 'https://idp2.partner.example/saml', certificates: [ec.certPem], audience: ['urn:tessera:orders'] },
    ],
  };
}

export async function publishFull(s: TestServer, name: string): Promise<void> {
  const input = await fullInstanceInput(s, name);
  const r = await s.gql('mutation($i: InstanceInput!) { publishInstance(input: $i) { name } }', { i: input }, s.adminToken);
  if (r.errors) throw new Error(`publishInstance ${name}: ${JSON.stringify(r.errors)}`);
}
