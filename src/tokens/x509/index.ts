/** X509 input: the validator and the helpers the doors and the SAML provider need. */
export { createX509Validator, parseTrustAnchors } from './x509.validator.js';
export { certificateFingerprint, checkHolderOfKeyTrust, parseHolderOfKeyCertificate, splitCertificateText } from './certificate.js';
export { isTrustedProxy, parseOffloadHeader, parseTrustedProxy } from './offload.js';
export { MAX_PRESENTED_CERTIFICATES } from './chain.js';
export { PROOF_TYP } from './proof.js';
