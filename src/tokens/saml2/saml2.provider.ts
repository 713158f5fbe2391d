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
import { AUDIENCE_FIELD, audienceFromRest, requestedAudiences } from '../../engine/exchange.js';
import type { FieldSpec, GqlEnum, KindProvider } from '../../engine/kind.js';
import type {
  IssuedToken,
  KeyProvider,
  Obj,
  ProviderContext,
  PublishedInstance,
  SubjectConfirmationMethod,
  TokenEnvelope,
  VerifiedSubject,
  VerifyIssuedResult,
} from '../../engine/types.js';
import type { Saml2StatementPlugin } from '../../plugins/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';
import { saml2Of, type Saml2Config } from './saml2.config.js';
import { buildAssertion } from './assertion-builder.js';
import { EncryptionConfigError, encryptAssertion, encryptAttribute, encryptionSettings, encryptNameId, type EncryptionSettings } from './encrypt.js';
import { signCanonical, signatureAlgorithm } from './sign.js';
import { resolveStatements } from './statements.js';
import { verifyIssuedAssertion } from './verify.js';
import { buildResponse, IN_RESPONSE_TO_PATTERN, isResponse, signRoot, verifyIssuedResponse } from './response.js';
import { floorToSecond, newAssertionId, XmlCharError } from './xml.js';
import { parseHolderOfKeyCertificate } from '../x509/certificate.js';

export interface Saml2ProviderDeps {
  keys: KeyProvider;
  resolvePlugin(name: string): Saml2StatementPlugin | undefined;
  pluginTimeoutMs: number;
}

const METHODS: readonly SubjectConfirmationMethod[] = ['BEARER', 'HOLDER_OF_KEY', 'SENDER_VOUCHES'];

const SUBJECT_CONFIRMATION_ENUM: GqlEnum = {
  enum: 'SubjectConfirmation',
  description: 'SAML 2.0 subject confirmation method (SAML profiles §3).',
  values: {
    BEARER: 'Whoever presents the assertion is the subject (bearer, SAML profiles §3.3).',
    HOLDER_OF_KEY: 'The presenter must prove the key of the named certificate (holder-of-key, §3.1).',
    SENDER_VOUCHES: 'The authenticated caller vouches for the subject and is recorded as the sender (§3.2).',
  },
};

const FIELDS: readonly FieldSpec[] = [
  AUDIENCE_FIELD,
  {
    key: 'subjectConfirmation',
    rule: { oneOf: METHODS },
    default: 'BEARER',
    rest: 'subject_confirmation',
    graphql: { name: 'subjectConfirmation', type: SUBJECT_CONFIRMATION_ENUM, description: 'SAML2: the subject confirmation method; default BEARER.' },
  },
  {
    key: 'envelope',
    rule: 'boolean',
    rest: 'envelope',
    graphql: {
      name: 'envelope',
      type: 'Boolean',
      description:
        'SAML2: wrap the assertion in a samlp:Response (Destination = spAcsUrl, Issuer, Status Success), signed when the instance sets saml2.envelope.signResponse; default: the instance\'s saml2.envelope.enabled.',
    },
  },
  {
    key: 'inResponseTo',
    rule: 'text',
    rest: 'in_response_to',
    graphql: {
      name: 'inResponseTo',
      type: 'String',
      description: "SAML2: the SP's AuthnRequest ID, set as the Response's InResponseTo and the bearer SubjectConfirmationData's (an xs:NCName).",
    },
  },
  {
    key: 'proofCertificate',
    rule: 'token',
    graphql: {
      name: 'proofCertificate',
      type: 'String',
      description: 'SAML2 HOLDER_OF_KEY: the confirmation certificate, PEM or base64 DER; for X509 input it defaults to the proven input certificate.',
    },
  },
];

const HOK_PROOF_MESSAGE = 'If HOLDER_OF_KEY is specified, proofTokenState must also be set.';

/**
 * PingAM's SAML2TokenCreationState: `subject_confirmation` (BEARER when absent, as over GraphQL) and, for
 * HOLDER_OF_KEY, `proof_token_state: {"base64EncodedCertificate": …}` — which X509 input may leave out (the
 * certificate whose key the caller just proved is the natural confirmation key). `proof_token_state` is ignored
 * for other confirmations.
 */
function saml2FromRest(state: Obj, ctx: { inputType: string }): Obj {
  const own = (o: Obj, k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
  const sc = own(state, 'subject_confirmation');
  const out: Obj = { ...audienceFromRest(state), ...(sc === undefined ? {} : { subjectConfirmation: sc }) };
  // API.md §8: `envelope` true/false (PingAM clients often send booleans as strings), `in_response_to`.
  const envelope = own(state, 'envelope');
  if (envelope !== undefined) out.envelope = envelope === 'true' ? true : envelope === 'false' ? false : envelope;
  const inResponseTo = own(state, 'in_response_to');
  if (inResponseTo !== undefined) out.inResponseTo = inResponseTo;
  if (sc !== 'HOLDER_OF_KEY') return out;
  const field = 'output_token_state.proof_token_state';
  const proof = own(state, 'proof_token_state');
  if (proof === undefined || proof === null) {
    if (ctx.inputType === 'X509') return out;
    throw new BadUserInputError(HOK_PROOF_MESSAGE, field);
  }
  if (typeof proof !== 'object' || Array.isArray(proof)) {
    // The common mistake (AM-STS-NOTES §10.1): the certificate sent as a bare string.
    throw new BadUserInputError('proof_token_state must be an object {"base64EncodedCertificate": "<base64 DER X.509 certificate>"}, not a bare value.', field);
  }
  const cert = own(proof as Obj, 'base64EncodedCertificate');
  if (cert === undefined || cert === null) {
    throw new BadUserInputError('proof_token_state must contain base64EncodedCertificate (the base64 DER X.509 certificate of the key holder).', `${field}.base64EncodedCertificate`);
  }
  if (typeof cert !== 'string') throw new BadUserInputError('must be a string.', `${field}.base64EncodedCertificate`);
  return { ...out, proofCertificate: cert };
}

export function createSaml2Provider(deps: Saml2ProviderDeps): KindProvider {
  return {
    fields: FIELDS,
    needs: ['saml2'],
    issuerOf: (instance) => saml2Of(instance.config)?.issuer,
    restTokenField: 'saml2_token',
    oauthTokenType: 'N_A',
    fromRest: saml2FromRest,
    issue: (subject, output, ctx) => issue(deps, subject, output, ctx),
    verifyIssued: (token, ctx) => verifyIssued(deps, token, ctx),
  };
}

function samlConfig(instance: PublishedInstance): Saml2Config {
  const c = saml2Of(instance.config);
  if (!c) throw new InternalError(`instance ${instance.config.name} outputs SAML2 without a saml2 configuration`);
  return c;
}

async function issue(deps: Saml2ProviderDeps, subject: VerifiedSubject, output: TokenEnvelope, ctx: ProviderContext): Promise<IssuedToken> {
  const config = samlConfig(ctx.instance);
  // RFC 8693 delegation: the actor is the sender who vouches for the subject (SAML profiles 3.2).
  const method = ctx.actor ? 'SENDER_VOUCHES' : ((output.subjectConfirmation as SubjectConfirmationMethod | undefined) ?? 'BEARER');
  if (!METHODS.includes(method)) throw new BadUserInputError('must be BEARER, HOLDER_OF_KEY or SENDER_VOUCHES', 'output.subjectConfirmation');

  let proofCertificateDer: string | undefined;
  if (method === 'HOLDER_OF_KEY') {
    // SAML profiles 3.1: holder-of-key names the key the presenter must prove; for X509 input the proven
    // input certificate is the natural default (API.md TokenOutput.proofCertificate).
    const given = (output.proofCertificate as string | undefined) ?? subject.certificateDer;
    if (given === undefined || given === null || given === '') {
      throw new BadUserInputError('HOLDER_OF_KEY needs a proof certificate', 'output.proofCertificate');
    }
    proofCertificateDer = parseHolderOfKeyCertificate(given, ctx.now, { trustAnchors: config.holderOfKeyTrust });
  } else if (method === 'SENDER_VOUCHES' && !ctx.request.caller && !ctx.actor) {
    // API.md §2: the sender who vouches must be authenticated, and is recorded as the sender.
    throw new UnauthenticatedError(
      'SENDER_VOUCHES needs an authenticated caller, who is recorded as the sender: send a session from login or /json/authenticate as "Authorization: Bearer <session>" or in the PingAM session header or cookie (iPlanetDirectoryPro unless TESSERA_AM_COOKIE_NAME renames it), or, at the token endpoint, authenticate as an OAuth client.',
    );
  }

  const inResponseTo = output.inResponseTo as string | undefined;
  if (inResponseTo !== undefined && !IN_RESPONSE_TO_PATTERN.test(inResponseTo)) {
    throw new BadUserInputError("must be the SP's request ID, an xs:NCName (letters, digits, '_', '-', '.'; not starting with a digit)", ctx.request.door === 'rest' ? 'output_token_state.in_response_to' : 'output.inResponseTo');
  }
  const envelope = (output.envelope as boolean | undefined) ?? config.envelope?.enabled ?? false;

  const issueInstant = floorToSecond(ctx.now);
  const statements = await resolveStatements(deps, {
    instanceName: ctx.instance.config.name,
    saml2: config,
    subject: {
      name: subject.name,
      attributes: subject.attributes,
      inputType: subject.inputType,
      authnInstant: subject.authn.instant,
      authnContextClass: subject.authn.contextClass ?? subject.authn.assumedContextClass ?? AUTHN_CONTEXT_CLASS.unspecified,
    },
    issueInstant,
    subjectConfirmation: method,
    ...(proofCertificateDer !== undefined ? { proofCertificate: proofCertificateDer } : {}),
  });
  const notOnOrAfter = floorToSecond(statements.conditions.notOnOrAfter!);
  // Requested audiences (GraphQL, REST, the token endpoint's audience/resource) join the AudienceRestriction,
  // each one the instance allows; the SP's own entity ID is always allowed.
  const requested = output.audience as string[] | undefined;
  if (requested && requested.length > 0) {
    const asked = requestedAudiences(ctx.instance.config, requested, [config.spEntityId, ...(statements.conditions.audiences ?? [])], []);
    statements.conditions.audiences = [...new Set([...(statements.conditions.audiences ?? []), ...asked])];
  }

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
      ...(inResponseTo !== undefined ? { inResponseTo } : {}),
      ...(proofCertificateDer ? { proofCertificateDer } : {}),
      ...(ctx.actor ? { confirmer: { name: ctx.actor.name, ...(ctx.actor.issuer ? { issuer: ctx.actor.issuer } : {}) } } : {}),
      ...(encryptParts && config.encryptNameId ? { wrapNameId: (x: string) => encryptNameId(x, enc!) } : {}),
      ...(encryptParts && config.encryptAttributes ? { wrapAttribute: (x: string) => encryptAttribute(x, enc!) } : {}),
    });
  } catch (e) {
    if (e instanceof XmlCharError) throw new BadUserInputError(`the subject's ${e.what} holds characters XML cannot carry`);
    throw e;
  }

  const spec = signatureAlgorithm(config.signatureAlgorithm);
  if (!spec) throw new InternalError(`saml2.signatureAlgorithm ${config.signatureAlgorithm} is not supported`);
  const signResponse = envelope && config.envelope?.signResponse === true;
  const key = config.signAssertion || signResponse ? await deps.keys.signingKey(spec.jwsAlgorithm, config.signingKeyId) : undefined;
  let xml = config.signAssertion ? await signCanonical(assertion, key!, spec.uri) : assertion.head + assertion.tail;
  if (enc && config.encryptAssertion) xml = encryptAssertion(xml, enc);
  if (envelope) {
    // SAML core 3.3.3 / bindings 3.5.5.2: the Response SPs consume; tokenId stays the assertion's ID.
    xml = buildResponse({
      id: newAssertionId(),
      issueInstant,
      issuer: config.issuer,
      ...(config.spAcsUrl ? { destination: config.spAcsUrl } : {}),
      ...(inResponseTo !== undefined ? { inResponseTo } : {}),
      assertionXml: xml,
    });
    if (signResponse) xml = signRoot(xml, key!, spec.uri, 'after-issuer');
  }

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
    const config = saml2Of(ctx.instance.config);
    if (!config) return { ok: false, reason: 'BAD_SIGNATURE' };
    const spec = signatureAlgorithm(config.signatureAlgorithm);
    const keys = spec ? (await deps.keys.verificationKeys()).filter((k) => k.algorithm === spec.jwsAlgorithm) : [];
    // A Response is checked as a whole (its own signature too), then the assertion inside it.
    const r = isResponse(token) ? verifyIssuedResponse(token, config.signatureAlgorithm, keys) : verifyIssuedAssertion(token, config.signatureAlgorithm, keys);
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
