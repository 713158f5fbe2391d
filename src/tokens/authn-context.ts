/**
 * SAML 2.0 authentication context classes (saml-authn-context-2.0 §3.4) that validators name in their
 * Authentication record. OIDC `acr` repeats them: OIDC Core §2 leaves the vocabulary to agreement between the
 * parties, these URIs are the most widely understood one, and the SAML output of the same subject names the
 * same class.
 */
export const AUTHN_CONTEXT_CLASS = {
  passwordProtectedTransport: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  x509: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
  previousSession: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PreviousSession',
  unspecified: 'urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified',
} as const;
