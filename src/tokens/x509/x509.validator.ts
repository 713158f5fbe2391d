/**
 * X509 input (API.md §3 "X.509 proof of possession"): a client certificate, its chain to one of the
 * instance's trust anchors, and proof that the presenter holds the certificate's private key, either a
 * signed proof JWS or TLS client authentication done by a trusted offloading proxy. The offload decision is
 * made here, from the request's socket address and headers, not by the door.
 *
 * Error codes:
 * - BAD_USER_INPUT: the request is malformed: no certificate, more than 5, a non-string entry, a
 *   certificate or proof text over 64 KiB.
 * - INVALID_TOKEN: everything about the presented material itself: a text that does not parse as a
 *   certificate, a broken or untrusted chain, dates, constraints, a missing/bad/replayed proof, no CN.
 */
import { BadUserInputError, InvalidTokenError } from '../../engine/errors.js';
import type { KindValidator } from '../../engine/kind.js';
import type { Attributes, Obj, ReplayStore, TokenEnvelope, ValidatorContext, VerifiedSubject } from '../../engine/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';
import {
  basicConstraints,
  CertificateFormatError,
  MAX_CERTIFICATE_TEXT,
  OID,
  parseCertificate,
  sanEmails,
  spkiSha256,
  splitCertificateText,
  type ParsedCertificate,
} from './certificate.js';
import { MAX_PRESENTED_CERTIFICATES, validateCertificatePath } from './chain.js';
import type { X509TrustConfig } from './x509.config.js';
import { x509TrustOf } from './x509.config.js';
import { isTrustedProxy, parseOffloadHeader } from './offload.js';
import { PROOF_REPLAY_TTL_SECONDS, verifyPossessionProof } from './proof.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const MAX_NAME_LENGTH = 256;

/** Trust anchors are parsed once per PEM text; the instance cache keeps the same strings alive. */
const anchorCache = new Map<string, ParsedCertificate | null>();
const ANCHOR_CACHE_LIMIT = 512;

function parseAnchors(pems: readonly string[]): ParsedCertificate[] {
  const out: ParsedCertificate[] = [];
  for (const pem of pems) {
    if (typeof pem !== 'string') continue;
    let parsed = anchorCache.get(pem);
    if (parsed === undefined) {
      parsed = null;
      try {
        parsed = parseCertificate(pem);
      } catch {
        // Refused when the instance is published (parseTrustAnchors); a stored anchor that no longer reads trusts nothing.
      }
      if (anchorCache.size >= ANCHOR_CACHE_LIMIT) anchorCache.clear();
      anchorCache.set(pem, parsed);
    }
    if (parsed) out.push(parsed);
  }
  return out;
}

/**
 * Checks `x509Trust.caCertificates` at publish time: each entry one or more PEM CA certificates.
 * Returns them one per entry; throws BadUserInputError naming the entry otherwise.
 */
export function parseTrustAnchors(pems: unknown, field = 'x509Trust.caCertificates'): string[] {
  if (!Array.isArray(pems) || pems.length === 0) throw new BadUserInputError('at least one PEM CA certificate is required', field);
  const out: string[] = [];
  pems.forEach((entry, i) => {
    if (typeof entry !== 'string') throw new BadUserInputError('must be a PEM certificate', `${field}[${i}]`);
    for (const text of splitCertificateText(entry)) {
      let parsed: ParsedCertificate;
      try {
        parsed = parseCertificate(text);
      } catch (e) {
        throw new BadUserInputError(e instanceof CertificateFormatError ? e.message : 'not a certificate', `${field}[${i}]`);
      }
      let bc: ReturnType<typeof basicConstraints>;
      try {
        bc = basicConstraints(parsed);
      } catch {
        throw new BadUserInputError('has a malformed basicConstraints extension', `${field}[${i}]`);
      }
      if (bc && !bc.ca) throw new BadUserInputError('is not a CA certificate (basicConstraints cA is false)', `${field}[${i}]`);
      out.push(parsed.node.toString());
    }
  });
  return out;
}

function presentedCertificates(list: string[], certificateField: string): ParsedCertificate[] {
  const texts: string[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string') throw new BadUserInputError('each certificate must be a PEM or base64 DER string', certificateField);
    if (entry.length > MAX_CERTIFICATE_TEXT * MAX_PRESENTED_CERTIFICATES) throw new BadUserInputError('the certificates are larger than allowed', certificateField);
    // A PEM bundle in one entry counts as its certificates.
    texts.push(...splitCertificateText(entry));
    if (texts.length > MAX_PRESENTED_CERTIFICATES) break;
  }
  if (texts.length > MAX_PRESENTED_CERTIFICATES) {
    throw new BadUserInputError(
      `at most ${MAX_PRESENTED_CERTIFICATES} certificates are accepted (the leaf and up to ${MAX_PRESENTED_CERTIFICATES - 1} chain certificates)`,
      certificateField,
    );
  }
  return texts.map((text, i) => {
    if (text.length > MAX_CERTIFICATE_TEXT) throw new BadUserInputError('a certificate is larger than 64 KiB', certificateField);
    try {
      return parseCertificate(text);
    } catch (e) {
      const reason = e instanceof CertificateFormatError ? e.message : 'it cannot be parsed';
      const which = i === 0 ? 'The client certificate' : `Chain certificate ${i}`;
      throw new InvalidTokenError(`${which} is not a valid X.509 certificate: ${reason}.`);
    }
  });
}

/** The subject's name: its CN, the last one in DER order (the most specific RDN) when several. */
function subjectName(leaf: ParsedCertificate): string {
  let cns: string[];
  try {
    cns = leaf.cert.subjectName.getField(OID.commonName);
  } catch {
    cns = [];
  }
  const cn = cns.length > 0 ? cns[cns.length - 1].trim() : '';
  if (!cn) throw new InvalidTokenError('The certificate subject has no common name (CN) to use as the subject name.');
  if (CONTROL_CHARACTERS.test(cn)) throw new InvalidTokenError('The certificate subject CN contains control characters.');
  if (cn.length > MAX_NAME_LENGTH) throw new InvalidTokenError(`The certificate subject CN is longer than ${MAX_NAME_LENGTH} characters.`);
  return cn;
}

/** mail from subjectAltName rfc822Name (RFC 5280 §4.2.1.6), else the legacy emailAddress RDN (§4.1.2.6). */
function subjectAttributes(leaf: ParsedCertificate): Attributes {
  const usable = (v: string): boolean => v.length > 0 && v.length <= MAX_NAME_LENGTH && !CONTROL_CHARACTERS.test(v);
  const attributes: Attributes = {};
  let dn = '';
  try {
    dn = leaf.cert.subject;
  } catch {
    dn = '';
  }
  // The DN is informational; strip control characters rather than refuse the certificate over it.
  if (dn) attributes.dn = dn.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), ' ').slice(0, 4 * MAX_NAME_LENGTH);

  let mails: string[] = [];
  try {
    mails = sanEmails(leaf).filter(usable);
  } catch {
    mails = []; // a SAN with name forms we do not read: fall back to the subject's emailAddress
  }
  if (mails.length === 0) {
    try {
      mails = leaf.cert.subjectName.getField(OID.emailAddress).filter(usable);
    } catch {
      mails = [];
    }
  }
  if (mails.length === 1) attributes.mail = mails[0];
  else if (mails.length > 1) attributes.mail = [...new Set(mails)];
  return attributes;
}

/**
 * The certificates a trusted TLS offloader forwarded (PingAM's client certificate header), or null. The header is
 * believed only over REST and only when the TCP peer — the socket address, never X-Forwarded-For — is one of
 * `x509Trust.trustedProxies`.
 */
function offloadedCertificates(trust: X509TrustConfig, ctx: ValidatorContext): string[] | null {
  if (ctx.request.door !== 'rest' || !trust.offloadHeader || !trust.trustedProxies) return null;
  const value = ctx.request.headers?.[trust.offloadHeader];
  if (value === undefined || !isTrustedProxy(ctx.request.clientAddress, trust.trustedProxies)) return null;
  const certificates = parseOffloadHeader(value);
  return certificates.length > 0 ? certificates : null;
}

/** REST `x509_cert`: one certificate (PEM or base64 DER) or a list, leaf first. */
function x509FromRest(state: Obj): Obj {
  const cert = Object.prototype.hasOwnProperty.call(state, 'x509_cert') ? state.x509_cert : undefined;
  const proof = Object.prototype.hasOwnProperty.call(state, 'proof') ? state.proof : undefined;
  const out: Obj = {};
  if (cert !== undefined && cert !== null) out.certificates = Array.isArray(cert) ? cert : [cert];
  if (proof !== undefined) out.proof = proof;
  return out;
}

export function createX509Validator(deps: { replay: ReplayStore }): KindValidator {
  return {
    fields: [
      {
        key: 'certificates',
        rule: 'tokenList',
        max: MAX_PRESENTED_CERTIFICATES,
        rest: 'x509_cert',
        oauth: 'subject_token',
        graphql: { name: 'certificate', type: 'String', description: 'X509: the PEM leaf, optionally followed by up to 4 chain certificates.' },
      },
      {
        key: 'proof',
        rule: 'token',
        allowEmpty: true,
        rest: 'proof',
        graphql: { name: 'proof', type: 'String', description: 'X509: a compact JWS by the certificate key, typ tessera-pop+jwt, payload {aud, iat, jti}.' },
      },
    ],
    needs: ['x509Trust'],
    fromRest: x509FromRest,
    // GraphQL's `certificate` is one PEM text, optionally a bundle (leaf first), which validate splits.
    fromGraphql: (i) => {
      const out: Obj = {};
      if (i.certificate !== undefined && i.certificate !== null) out.certificates = [i.certificate];
      if (i.proof !== undefined && i.proof !== null) out.proof = i.proof;
      return out;
    },
    async validate(input: TokenEnvelope, ctx: ValidatorContext): Promise<VerifiedSubject> {
      const rest = ctx.request.door === 'rest';
      const certificateField = rest ? 'input_token_state.x509_cert' : 'input.certificate';
      const trust = x509TrustOf(ctx.instance.config);
      if (!trust || !Array.isArray(trust.caCertificates) || trust.caCertificates.length === 0) {
        throw new InvalidTokenError('This instance trusts no certificate authority.');
      }
      // A certificate in the request wins; otherwise a trusted offloader's (TLS proved possession there).
      let presented = input.certificates as string[] | undefined;
      let fromTrustedOffloader = false;
      if (presented === undefined) {
        const offloaded = offloadedCertificates(trust, ctx);
        if (offloaded) {
          presented = offloaded;
          fromTrustedOffloader = true;
        }
      }
      if (presented === undefined) {
        throw new BadUserInputError(
          rest
            ? 'No X509 certificate was presented: send x509_cert (PEM or base64 DER, leaf first) with a proof, or present the certificate via two-way TLS through a trusted TLS offload proxy.'
            : 'a client certificate (PEM or base64 DER) is required',
          certificateField,
        );
      }

      const [leaf, ...chain] = presentedCertificates(presented, certificateField);
      const anchors = parseAnchors(trust.caCertificates.flatMap((pem) => (typeof pem === 'string' ? splitCertificateText(pem) : [])));
      validateCertificatePath(leaf, chain, anchors, ctx.now);

      let authnInstant: Date;
      let replayJti: { jti: string; iat: number } | null = null;
      if (fromTrustedOffloader) {
        // The proxy's TLS handshake proved possession (the door sets this flag only for trustedProxies).
        authnInstant = ctx.now;
      } else {
        const proof = await verifyPossessionProof(input.proof, leaf.node.publicKey, { audience: ctx.instance.config.name, now: ctx.now });
        authnInstant = new Date(proof.iat * 1000);
        replayJti = proof;
      }

      const name = subjectName(leaf);
      const attributes = subjectAttributes(leaf);

      if (replayJti) {
        // Last, so a request refused for another reason does not use up the jti.
        const expiresAt = new Date((replayJti.iat + PROOF_REPLAY_TTL_SECONDS) * 1000);
        // API.md §3: each (public key, jti) once, whichever certificate carries the key.
        const fresh = await deps.replay.useOnce(`x509-pop-key:${spkiSha256(leaf)}`, replayJti.jti, expiresAt);
        if (!fresh) throw new InvalidTokenError('The proof of possession was already used (proof already used).');
      }

      return {
        name,
        attributes,
        inputType: 'X509',
        // RFC 8176 `pop`: possession of a key, without saying whether hardware or software protects it, which is
        // all that was checked; `hwk` or `swk` would claim more.
        authn: { instant: authnInstant, methods: ['pop'], contextClass: AUTHN_CONTEXT_CLASS.x509 },
        certificateDer: leaf.derB64,
      };
    },
  };
}
