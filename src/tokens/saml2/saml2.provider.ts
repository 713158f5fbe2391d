/**
 * The SAML2 token provider shared by the USERNAME, OPENIDCONNECT, X509 and SESSION → SAML2 transforms.
 * Order of operations follows SAML core 6 and PingAM's SAML2TokenGenerationImpl: statements → (EncryptedID,
 * EncryptedAttribute) → signature → (EncryptedAssertion).
 */
import {
  BadUserInputError,
  InternalError,
  TesseraError,
  UnauthenticatedError,
} from '../../engine/errors.js';
import type {
  IssuedToken,
  KeyProvider,
  ProviderContext,
  PublishedInstance,
  Saml2Config,
  SubjectConfirmationMethod,
  TokenOutputRequest,
  TokenProvider,
  VerifiedSubject,
  VerifyIssuedResult,
} from '../../engine/types.js';
import type { Saml2StatementPlugin } from '../../plugins/types.js';
import { buildAssertion } from './assertion-builder.js';
import { EncryptionConfigError, encryptAssertion, encryptAttribute, encryptionSettings, encryptNameId, type EncryptionSettings } from './encrypt.js';
import { signCanonical, signatureAlgorithm } from './sign.js';
import { resolveStatements } from './statements.js';
import { verifyIssuedAssertion } from './verify.js';
import { floorToSecond, newAssertionId, XmlCharError } from './xml.js';
import { parseHolderOfKeyCertificate } from '../x509/index.js';

export interface Saml2ProviderDeps {
  keys: KeyProvider;
  resolvePlugin(name: string): Saml2StatementPlugin | undefined;
  pluginTimeoutMs: number;
}

const METHODS: readonly SubjectConfirmationMethod[] = ['BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'];

export function createSaml2Provider(deps: Saml2ProviderDeps): TokenProvider {
  return {
    tokenType: 'SAML2',
    builtIn: true,
    issue: (subject, output, ctx) => issue(deps, subject, output, ctx),
    verifyIssued: (token, ctx) => verifyIssued(deps, token, ctx),
  };
}

function samlConfig(instance: PublishedInstance): Saml2Config {
  const c = instance.config.saml2;
  if (!c) throw new InternalError(`instance ${instance.config.name} outputs SAML2 without a saml2 configuration`);
  return c;
}

async function issue(deps: Saml2ProviderDeps, subject: VerifiedSubject, output: TokenOutputRequest, ctx: ProviderContext): Promise<IssuedToken> {
  if (output.type !== 'SAML2') throw new BadUserInputError('the SAML2 provider only issues SAML2 tokens', 'output.type');
  const config = samlConfig(ctx.instance);
  const method = output.subjectConfirmation ?? 'BEARER';
  if (!METHODS.includes(method)) throw new BadUserInputError('must be BEARER, HOLDER_OF_KEY or SENDER_VOUCHES', 'output.subjectConfirmation');

  let proofCertificateDer: string | undefined;
  if (method === 'HOLDER_OF_KEY') {
    // SAML profiles 3.1: holder-of-key names the key the presenter must prove; for X509 input the proven
    // input certificate is the natural default (API.md TokenOutput.proofCertificate).
    const given = output.proofCertificate ?? subject.certificateDer;
    if (given === undefined || given === null || given === '') {
      throw new BadUserInputError('HOLDER_OF_KEY needs a proof certificate', 'output.proofCertificate');
    }
    proofCertificateDer = parseHolderOfKeyCertificate(given, ctx.now);
  } else if (method === 'SENDER_VOUCHES' && !ctx.request.caller) {
    // API.md §2: the sender who vouches must be authenticated, and is recorded as the sender.
    throw new UnauthenticatedError('SENDER_VOUCHES needs an authenticated caller.');
  }

  const issueInstant = floorToSecond(ctx.now);
  const statements = await resolveStatements(deps, {
    instanceName: ctx.instance.config.name,
    saml2: config,
    subject: { name: subject.name, attributes: subject.attributes, inputType: subject.inputType, authnInstant: subject.authnInstant },
    issueInstant,
    subjectConfirmation: method,
    ...(proofCertificateDer !== undefined ? { proofCertificate: proofCertificateDer } : {}),
  });
  const notOnOrAfter = floorToSecond(statements.conditions.notOnOrAfter!);

  let enc: EncryptionSettings | undefined;
  if (config.encryptAssertion || config.encryptNameId || config.encryptAttributes) {
    if (!config.spEncryptionCertificate) throw new InternalError('saml2.spEncryptionCertificate is required when an encrypt flag is set');
    try {
      enc = encryptionSettings(config.spEncryptionCertificate, config.dataEncryptionAlgorithm, config.keyTransportAlgorithm);
    } catch (e) {
      if (e instanceof EncryptionConfigError) throw new InternalError(`saml2 encryption: ${e.message}`, e);
      throw e;
    }
  }
  // SAML core 6.2 / API.md §3: EncryptedAssertion wraps the signed assertion, so the inner parts stay plain;
  // otherwise EncryptedID and EncryptedAttribute are made first and the assertion holding them is signed.
  const encryptParts = enc && !config.encryptAssertion;

  const id = newAssertionId();
  let assertion;
  try {
    assertion = buildAssertion({
      id,
      issueInstant,
      issuer: config.issuer,
      statements,
      subjectConfirmation: method,
      confirmationNotOnOrAfter: notOnOrAfter,
      ...(config.spAcsUrl ? { recipient: config.spAcsUrl } : {}),
      ...(proofCertificateDer ? { proofCertificateDer } : {}),
      ...(encryptParts && config.encryptNameId ? { wrapNameId: (x: string) => encryptNameId(x, enc!) } : {}),
      ...(encryptParts && config.encryptAttributes ? { wrapAttribute: (x: string) => encryptAttribute(x, enc!) } : {}),
    });
  } catch (e) {
    if (e instanceof XmlCharError) throw new BadUserInputError(`the subject's ${e.what} holds characters XML cannot carry`);
    throw e;
  }

  let xml: string;
  if (config.signAssertion) {
    const spec = signatureAlgorithm(config.signatureAlgorithm);
    if (!spec) throw new InternalError(`saml2.signatureAlgorithm ${config.signatureAlgorithm} is not supported`);
    const key = await deps.keys.signingKey(spec.jwsAlgorithm, config.signingKeyId);
    xml = await signCanonical(assertion, key, spec.uri);
  } else {
    xml = assertion.head + assertion.tail;
  }
  if (enc && config.encryptAssertion) xml = encryptAssertion(xml, enc);

  return {
    token: xml,
    type: 'SAML2',
    tokenId: id,
    subject: subject.name,
    issuedAt: issueInstant,
    expiresAt: notOnOrAfter,
  };
}

async function verifyIssued(
  deps: Saml2ProviderDeps,
  token: string,
  ctx: { instance: PublishedInstance; now: Date; checkExpiry: boolean },
): Promise<VerifyIssuedResult> {
  try {
    const config = ctx.instance.config.saml2;
    if (!config) return { ok: false, reason: 'BAD_SIGNATURE' };
    const spec = signatureAlgorithm(config.signatureAlgorithm);
    const keys = spec ? (await deps.keys.verificationKeys()).filter((k) => k.algorithm === spec.jwsAlgorithm) : [];
    const r = verifyIssuedAssertion(token, config.signatureAlgorithm, keys);
    switch (r.kind) {
      case 'encrypted':
        return { ok: true, recordOnly: true };
      case 'unsigned':
        // Without a signature only the issued-token record can vouch for it, and only when this instance
        // issues unsigned assertions; otherwise an unsigned copy of a real assertion would pass by its ID.
        return config.signAssertion ? { ok: false, reason: 'BAD_SIGNATURE' } : { ok: true, recordOnly: true };
      case 'malformed':
        return { ok: false, reason: 'MALFORMED' };
      case 'bad-signature':
        return { ok: false, reason: 'BAD_SIGNATURE' };
      case 'verified': {
        if (!r.notOnOrAfter) return { ok: false, reason: 'MALFORMED' };
        if (ctx.checkExpiry && ctx.now.getTime() >= r.notOnOrAfter.getTime()) return { ok: false, reason: 'EXPIRED' };
        // An EncryptedID cannot be read here; the engine has the subject in the issued-token record.
        return { ok: true, tokenId: r.id, subject: r.nameId ?? '', expiresAt: r.notOnOrAfter };
      }
    }
  } catch (e) {
    // Key store failures are ours, not the token's: let the engine report INTERNAL.
    if (e instanceof TesseraError) throw e;
    throw new InternalError('SAML2 verification failed', e);
  }
}
