/** A ready `curl` for an instance's PingAM REST door (API.md §4), with placeholders where secrets go. */
import type { StsInstance, Transform } from './types';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function inputState(t: Transform): Record<string, unknown> {
  switch (t.input) {
    case 'USERNAME':
      return { token_type: 'USERNAME', username: '<username>', password: '<password>' };
    case 'OPENIDCONNECT':
      return { token_type: 'OPENIDCONNECT', oidc_id_token: '<ID token>' };
    case 'X509':
      return { token_type: 'X509', x509_cert: '<PEM certificate>', proof: '<proof JWS signed by the certificate key>' };
    case 'SESSION':
      return { token_type: 'SESSION', session_id: '<Tessera session token>' };
    case 'ACCESS_TOKEN':
      return { token_type: 'ACCESS_TOKEN', access_token: '<JWT access token>' };
    case 'SAML2':
      return { token_type: 'SAML2', saml2_token: '<signed SAML assertion XML>' };
    default:
      return { token_type: t.customInput ?? 'CUSTOM' };
  }
}

function outputState(t: Transform): Record<string, unknown> {
  switch (t.output) {
    case 'SAML2':
      return { token_type: 'SAML2', subject_confirmation: 'BEARER' };
    case 'OPENIDCONNECT':
      return { token_type: 'OPENIDCONNECT', nonce: '<nonce>', allow_access: true };
    case 'ACCESS_TOKEN':
      return { token_type: 'ACCESS_TOKEN', scope: '<scope>' };
    default:
      return { token_type: t.customOutput ?? 'CUSTOM' };
  }
}

export function restCurl(instance: StsInstance, t: Transform): string {
  const body = JSON.stringify({ input_token_state: inputState(t), output_token_state: outputState(t) });
  const lines = [
    `curl -s -X POST ${shellQuote(`${instance.endpoints.rest}?_action=translate`)}`,
    `  -H 'content-type: application/json'`,
  ];
  // An instance with callerRoles serves only sessions holding one of them.
  if (instance.callerRoles?.length) lines.push(`  -H 'authorization: Bearer <session token of a user with role ${instance.callerRoles.join(' or ')}>'`);
  lines.push(`  -d ${shellQuote(body)}`);
  return lines.join(' \\\n');
}
