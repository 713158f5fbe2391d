/**
 * The SAML2 kind's configuration section `saml2` (API.md §3): what the provider issues and how. Parsed with the
 * provider's own tables and functions — the signature algorithms of sign.ts, the encryption algorithms and
 * `encryptionSettings` of encrypt.ts, the statement plugin registry, the key store's `signingKey` — so a
 * configuration that publishes is one the provider can use.
 */
import {
  absent,
  certificate,
  fail,
  get,
  httpUrl,
  keyPath,
  lifetime,
  object,
  onlyKeys,
  optionalBoolean,
  optionalString,
  quote,
  requiredString,
  stringMap,
} from '../../engine/config-toolkit.js';
import { BadUserInputError, TesseraError } from '../../engine/errors.js';
import type { ConfigSection, GqlObject } from '../../engine/kind.js';
import type { InstanceConfig, KeyProvider } from '../../engine/types.js';
import { SAML_STATEMENT_KINDS } from '../../plugins/types.js';
import { NAMEID_UNSPECIFIED } from './builtin-statements.js';
import {
  DATA_ENCRYPTION_ALGORITHMS,
  DEFAULT_DATA_ENCRYPTION_ALGORITHM,
  DEFAULT_KEY_TRANSPORT_ALGORITHM,
  EncryptionConfigError,
  encryptionSettings,
  KEY_TRANSPORT_ALGORITHMS,
} from './encrypt.js';
import { readPartnerMetadata } from './partner-metadata.js';
import { DEFAULT_SIGNATURE_ALGORITHM, SIGNATURE_ALGORITHMS, signatureAlgorithm } from './sign.js';
import { isAbsoluteUri } from './xml.js';

export interface Saml2PluginSelection {
  conditions?: string;
  subject?: string;
  authenticationStatements?: string;
  attributeStatements?: string;
  authorizationDecisionStatements?: string;
}

/** One attributeMap entry in its long form: the user attribute, and how the SAML Attribute is named. */
export interface AttributeMapping {
  /** The user attribute (or verified claim) whose values the SAML attribute carries. */
  attribute: string;
  /** SAML core 2.7.3.1 NameFormat URI, e.g. urn:oasis:names:tc:SAML:2.0:attrname-format:uri. */
  nameFormat?: string;
  friendlyName?: string;
}

/** The samlp:Response envelope around issued assertions (API.md §8). */
export interface Saml2Envelope {
  enabled: boolean;
  signResponse: boolean;
}

/** The IdP metadata document (SAML metadata 2.3.1–2.3.2). */
export interface Saml2MetadataSettings {
  sign: boolean;
  validitySeconds: number;
  cacheDurationSeconds: number;
}

export interface Saml2Config {
  issuer: string;
  spEntityId: string;
  spAcsUrl?: string;
  nameIdFormat: string;
  attributeMap: Record<string, string | AttributeMapping>;
  lifetimeSeconds: number;
  signAssertion: boolean;
  signatureAlgorithm: string; // XML-DSig URI
  signingKeyId?: string;
  encryptAssertion: boolean;
  encryptNameId: boolean;
  encryptAttributes: boolean;
  dataEncryptionAlgorithm: string; // xmlenc URI
  keyTransportAlgorithm: string; // xmlenc URI
  spEncryptionCertificate?: string; // PEM
  plugins: Saml2PluginSelection;
  /** Absent in configurations stored before it existed: off. */
  envelope?: Saml2Envelope;
  /** Absent in configurations stored before it existed: DEFAULT_METADATA. */
  metadata?: Saml2MetadataSettings;
  /**
   * HOLDER_OF_KEY: when set, the confirmation certificate must be one of these PEM certificates or be issued by
   * one of them (x509/certificate.ts checkHolderOfKeyTrust); unset, any acceptable certificate will do.
   */
  holderOfKeyTrust?: string[];
}

export const DEFAULT_METADATA: Readonly<Saml2MetadataSettings> = Object.freeze({ sign: false, validitySeconds: 7 * 86400, cacheDurationSeconds: 3600 });

export const saml2Of = (c: InstanceConfig): Saml2Config | undefined => c.saml2 as Saml2Config | undefined;

/** What the section needs to know of the statement plugins: the kind a plugin name provides. */
export interface StatementPluginLookup {
  statementOf(name: string): string | undefined;
}

function parsePlugins(v: unknown, plugins: StatementPluginLookup): Saml2PluginSelection {
  const field = 'input.saml2.plugins';
  if (absent(v)) return {};
  const p = object(v, field);
  onlyKeys(p, SAML_STATEMENT_KINDS, field);
  const out: Saml2PluginSelection = {};
  for (const kind of SAML_STATEMENT_KINDS) {
    const name = optionalString(p, kind, `${field}.${kind}`, { max: 256 });
    if (name === undefined) continue;
    const statement = plugins.statementOf(name);
    if (statement === undefined) fail(`${field}.${kind}`, `no SAML plugin named ${quote(name)} is loaded.`);
    if (statement !== kind) fail(`${field}.${kind}`, `plugin ${quote(name)} provides ${statement}, not ${kind}.`);
    out[kind] = name;
  }
  return out;
}

/**
 * `spMetadataXml`: the SP's EntityDescriptor fills spEntityId, spAcsUrl (its HTTP-POST assertion consumer
 * service, else its first) and spEncryptionCertificate. A field given as well must say the same, so a stale
 * value cannot silently win over the metadata or the other way round. The XML itself is not stored.
 */
function fillFromSpMetadata(s: Record<string, unknown>, field: string): void {
  const xml = get(s, 'spMetadataXml');
  delete s.spMetadataXml;
  if (absent(xml)) return;
  const f = `${field}.spMetadataXml`;
  const md = readPartnerMetadata(xml, f);
  if (md.role !== 'sp') fail(f, 'describes an identity provider; an SP EntityDescriptor (SPSSODescriptor) is expected here.');
  const acs = md.assertionConsumerServices.find((e) => e.binding === 'HTTP-POST') ?? md.assertionConsumerServices[0];
  const found: Record<string, string | undefined> = { spEntityId: md.entityId, spAcsUrl: acs?.location, spEncryptionCertificate: md.encryptionCertificates[0] };
  for (const [key, value] of Object.entries(found)) {
    if (value === undefined) continue;
    const given = get(s, key);
    if (absent(given)) s[key] = value;
    else if (key === 'spEncryptionCertificate' ? !samePem(given, value) : given !== value) {
      fail(`${field}.${key}`, `differs from the SP metadata's ${key === 'spEntityId' ? 'entityID' : key === 'spAcsUrl' ? 'AssertionConsumerService' : 'encryption certificate'} (${quote(value)}); give one or make them agree.`);
    }
  }
}

function samePem(a: unknown, b: string): boolean {
  const der = (p: string) => p.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');
  return typeof a === 'string' && der(a) === der(b);
}

/**
 * attributeMap: `{ "<SAML attribute name>": "<user attribute>" }`, or per attribute the long form
 * `{ "attribute": "<user attribute>", "nameFormat": "<URI>", "friendlyName": "..." }` (SAML core 2.7.3.1).
 * PingAM's `"<NameFormat URI>|<name>"` keys keep working.
 */
function parseAttributeMap(v: unknown, field: string): Record<string, string | AttributeMapping> {
  if (absent(v)) return {};
  // The short form's rules are stringMap's (sizes, empty keys, entry names); long-form entries are checked here.
  const o = object(v, field);
  const short = stringMap(Object.fromEntries(Object.entries(o).map(([k, x]) => [k, typeof x === 'string' ? x : 'long form'])), field);
  const out: Array<[string, string | AttributeMapping]> = [];
  for (const [name, value] of Object.entries(o)) {
    if (typeof value === 'string') {
      out.push([name, short[name]!]);
      continue;
    }
    const f = `${field}.${keyPath(name)}`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(f, 'must be a user attribute name, or { "attribute": …, "nameFormat"?: …, "friendlyName"?: … }.');
    const m = value as Record<string, unknown>;
    onlyKeys(m, ['attribute', 'nameFormat', 'friendlyName'], f);
    const mapping: AttributeMapping = { attribute: requiredString(m, 'attribute', `${f}.attribute`, { max: 256 }) };
    const nameFormat = optionalString(m, 'nameFormat', `${f}.nameFormat`, { max: 1024 });
    if (nameFormat !== undefined) {
      if (!isAbsoluteUri(nameFormat)) fail(`${f}.nameFormat`, 'must be an absolute URI (SAML core 2.7.3.1), e.g. urn:oasis:names:tc:SAML:2.0:attrname-format:uri.');
      mapping.nameFormat = nameFormat;
    }
    const friendlyName = optionalString(m, 'friendlyName', `${f}.friendlyName`, { max: 256 });
    if (friendlyName !== undefined) mapping.friendlyName = friendlyName;
    out.push([name, mapping]);
  }
  // fromEntries: a "__proto__" key stays data.
  return Object.fromEntries(out);
}

function parseEnvelope(v: unknown, field: string): Saml2Envelope {
  if (absent(v)) return { enabled: false, signResponse: false };
  const o = object(v, field);
  onlyKeys(o, ['enabled', 'signResponse'], field);
  return { enabled: optionalBoolean(o, 'enabled', `${field}.enabled`, false), signResponse: optionalBoolean(o, 'signResponse', `${field}.signResponse`, false) };
}

function wholeSeconds(o: Record<string, unknown>, key: string, field: string, def: number, min: number, max: number): number {
  const v = get(o, key);
  if (absent(v)) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(field, `must be a whole number of seconds from ${min} to ${max}.`);
  return v as number;
}

function parseMetadata(v: unknown, field: string): Saml2MetadataSettings {
  if (absent(v)) return { ...DEFAULT_METADATA };
  const o = object(v, field);
  onlyKeys(o, ['sign', 'validitySeconds', 'cacheDurationSeconds'], field);
  return {
    sign: optionalBoolean(o, 'sign', `${field}.sign`, DEFAULT_METADATA.sign),
    validitySeconds: wholeSeconds(o, 'validitySeconds', `${field}.validitySeconds`, DEFAULT_METADATA.validitySeconds, 60, 365 * 86400),
    cacheDurationSeconds: wholeSeconds(o, 'cacheDurationSeconds', `${field}.cacheDurationSeconds`, DEFAULT_METADATA.cacheDurationSeconds, 0, 30 * 86400),
  };
}

function parseSaml2(v: unknown, plugins: StatementPluginLookup): Saml2Config {
  const field = 'input.saml2';
  // A copy: filling in from metadata must not change the caller's object.
  const s = { ...object(v, field) };
  onlyKeys(
    s,
    [
      'issuer', 'spEntityId', 'spAcsUrl', 'nameIdFormat', 'attributeMap', 'lifetimeSeconds', 'signAssertion',
      'signatureAlgorithm', 'signingKeyId', 'encryptAssertion', 'encryptNameId', 'encryptAttributes',
      'dataEncryptionAlgorithm', 'keyTransportAlgorithm', 'spEncryptionCertificate', 'plugins', 'spMetadataXml',
      'envelope', 'metadata', 'holderOfKeyTrust',
    ],
    field,
  );
  fillFromSpMetadata(s, field);
  const issuer = requiredString(s, 'issuer', `${field}.issuer`);
  const spEntityId = requiredString(s, 'spEntityId', `${field}.spEntityId`);
  const spAcsUrl = optionalString(s, 'spAcsUrl', `${field}.spAcsUrl`);
  if (spAcsUrl !== undefined) httpUrl(spAcsUrl, `${field}.spAcsUrl`);
  const nameIdFormat = optionalString(s, 'nameIdFormat', `${field}.nameIdFormat`) ?? NAMEID_UNSPECIFIED;

  const signatureUri = optionalString(s, 'signatureAlgorithm', `${field}.signatureAlgorithm`) ?? DEFAULT_SIGNATURE_ALGORITHM;
  if (signatureAlgorithm(signatureUri) === undefined) {
    // SHA-1 signatures are forgeable by chosen-prefix collision (SHAttered, 2017); refuse them by name.
    if (/sha-?1(?![0-9])/i.test(signatureUri)) {
      fail(`${field}.signatureAlgorithm`, 'SHA-1 signature algorithms are refused as insecure; use rsa-sha256, rsa-sha512 or ecdsa-sha256.');
    }
    fail(`${field}.signatureAlgorithm`, `unsupported algorithm; one of ${Object.keys(SIGNATURE_ALGORITHMS).join(', ')}.`);
  }
  const signingKeyId = optionalString(s, 'signingKeyId', `${field}.signingKeyId`, { max: 256 });

  const encryptAssertion = optionalBoolean(s, 'encryptAssertion', `${field}.encryptAssertion`, false);
  const encryptNameId = optionalBoolean(s, 'encryptNameId', `${field}.encryptNameId`, false);
  const encryptAttributes = optionalBoolean(s, 'encryptAttributes', `${field}.encryptAttributes`, false);
  // SAML core 6: an EncryptedAssertion already hides its NameID and attributes; encrypting them inside it too
  // is what AM refuses as well (SAML2Config).
  if (encryptAssertion && (encryptNameId || encryptAttributes)) {
    fail(`${field}.encryptAssertion`, 'excludes encryptNameId and encryptAttributes: the whole assertion is already encrypted.');
  }
  const dataEncryptionAlgorithm = optionalString(s, 'dataEncryptionAlgorithm', `${field}.dataEncryptionAlgorithm`) ?? DEFAULT_DATA_ENCRYPTION_ALGORITHM;
  if (!Object.prototype.hasOwnProperty.call(DATA_ENCRYPTION_ALGORITHMS, dataEncryptionAlgorithm)) {
    fail(`${field}.dataEncryptionAlgorithm`, `unsupported algorithm; one of ${Object.keys(DATA_ENCRYPTION_ALGORITHMS).join(', ')}.`);
  }
  const keyTransportAlgorithm = optionalString(s, 'keyTransportAlgorithm', `${field}.keyTransportAlgorithm`) ?? DEFAULT_KEY_TRANSPORT_ALGORITHM;
  if (!KEY_TRANSPORT_ALGORITHMS.includes(keyTransportAlgorithm)) {
    // RSA PKCS#1 v1.5 key transport is open to Bleichenbacher-style padding oracles (XML Encryption 1.1 5.5.1).
    fail(`${field}.keyTransportAlgorithm`, `unsupported algorithm; only ${DEFAULT_KEY_TRANSPORT_ALGORITHM} (RSA-OAEP) is offered.`);
  }
  const certValue = get(s, 'spEncryptionCertificate');
  let spEncryptionCertificate: string | undefined;
  if (!absent(certValue)) {
    const certField = `${field}.spEncryptionCertificate`;
    spEncryptionCertificate = certificate(certValue, certField).pem;
    try {
      // The provider's own check of the key it will encrypt to (RSA, at least 2048 bits).
      encryptionSettings(spEncryptionCertificate, dataEncryptionAlgorithm, keyTransportAlgorithm);
    } catch (e) {
      if (e instanceof EncryptionConfigError) fail(certField, `${e.message.replace(/^spEncryptionCertificate (must hold an RSA key|key is)/, (_m, what: string) => (what === 'key is' ? 'holds a key' : 'must hold an RSA public key'))}: the key transport is RSA-OAEP, with an RSA key of at least 2048 bits.`);
      throw e;
    }
  }
  if ((encryptAssertion || encryptNameId || encryptAttributes) && spEncryptionCertificate === undefined) {
    fail(`${field}.spEncryptionCertificate`, 'is required when encryptAssertion, encryptNameId or encryptAttributes is true.');
  }

  const out: Saml2Config = {
    issuer,
    spEntityId,
    nameIdFormat,
    attributeMap: parseAttributeMap(get(s, 'attributeMap'), `${field}.attributeMap`),
    lifetimeSeconds: lifetime(s, 'lifetimeSeconds', `${field}.lifetimeSeconds`),
    signAssertion: optionalBoolean(s, 'signAssertion', `${field}.signAssertion`, true),
    signatureAlgorithm: signatureUri,
    encryptAssertion,
    encryptNameId,
    encryptAttributes,
    dataEncryptionAlgorithm,
    keyTransportAlgorithm,
    plugins: parsePlugins(get(s, 'plugins'), plugins),
    envelope: parseEnvelope(get(s, 'envelope'), `${field}.envelope`),
    metadata: parseMetadata(get(s, 'metadata'), `${field}.metadata`),
  };
  if (spAcsUrl !== undefined) out.spAcsUrl = spAcsUrl;
  if (signingKeyId !== undefined) out.signingKeyId = signingKeyId;
  const hokTrust = get(s, 'holderOfKeyTrust');
  if (!absent(hokTrust)) {
    const f = `${field}.holderOfKeyTrust`;
    if (!Array.isArray(hokTrust)) fail(f, 'must be a list of PEM certificates.');
    if (hokTrust.length > 32) fail(f, 'must hold at most 32 certificates.');
    // An empty list is no restriction, and is stored as none.
    if (hokTrust.length > 0) out.holderOfKeyTrust = hokTrust.map((c, i) => certificate(c, `${f}[${i}]`).pem);
  }
  if (spEncryptionCertificate !== undefined) out.spEncryptionCertificate = spEncryptionCertificate;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// GraphQL shapes (API.md §3)
// ---------------------------------------------------------------------------------------------------------------
const pluginFields = Object.fromEntries(
  SAML_STATEMENT_KINDS.map((k) => [k, { type: 'String' as const, description: `Name of the plugin that provides ${k} (built-in default when unset).` }]),
);
const PLUGINS_INPUT: GqlObject = { object: 'SamlPluginsInput', description: 'The SAML statement plugin chosen for each statement kind.', fields: pluginFields };
const PLUGINS_OUTPUT: GqlObject = { object: 'SamlPlugins', description: 'The SAML statement plugin chosen for each statement kind.', fields: pluginFields };

const SAML2_FIELDS = {
  issuer: { type: 'String', required: true, description: 'The <saml:Issuer> of issued assertions, and the entityID of the IdP metadata.' },
  spEntityId: { type: 'String', required: true, description: 'The relying party (SP) entity ID: the Audience.' },
  spAcsUrl: { type: 'String', description: 'The SP\'s assertion consumer service URL: Recipient on bearer confirmation (omitted when unset).' },
  nameIdFormat: { type: 'String', description: 'NameID Format; default urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified.' },
  attributeMap: {
    type: 'JSON',
    description:
      'SAML attributes from user attributes: { "<SAML attribute name>": "<user attribute>" }, or per attribute { "<SAML attribute name>": { "attribute": "<user attribute>", "nameFormat": "<NameFormat URI, e.g. urn:oasis:names:tc:SAML:2.0:attrname-format:uri>", "friendlyName": "<name>" } }. A key "<NameFormat URI>|<name>" (PingAM\'s form) also sets the NameFormat.',
  },
  lifetimeSeconds: { type: 'Int', description: 'NotOnOrAfter − issue instant, 1..86400 s. Default 600.' },
  signAssertion: { type: 'Boolean', description: 'Sign the assertion (enveloped XML-DSig, exclusive c14n). Default true.' },
  signatureAlgorithm: { type: 'String', description: `XML-DSig algorithm URI: ${Object.keys(SIGNATURE_ALGORITHMS).join(', ')}; SHA-1 is refused.` },
  signingKeyId: { type: 'String', description: 'A kid to sign with; default: the active key for the algorithm (created on demand).' },
  encryptAssertion: { type: 'Boolean', description: 'Wrap the signed assertion in an EncryptedAssertion (SAML core 6). Default false.' },
  encryptNameId: { type: 'Boolean', description: 'Encrypt the NameID into an EncryptedID, then sign. Default false.' },
  encryptAttributes: { type: 'Boolean', description: 'Encrypt each Attribute into an EncryptedAttribute, then sign. Default false.' },
  dataEncryptionAlgorithm: { type: 'String', description: `xmlenc block cipher URI: ${Object.keys(DATA_ENCRYPTION_ALGORITHMS).join(', ')}. Default aes256-gcm.` },
  keyTransportAlgorithm: { type: 'String', description: `xmlenc key transport URI: ${KEY_TRANSPORT_ALGORITHMS.join(', ')}.` },
  spEncryptionCertificate: { type: 'String', description: 'The SP\'s PEM encryption certificate (RSA, at least 2048 bits); required when an encrypt flag is set.' },
  holderOfKeyTrust: {
    type: { list: 'String' },
    description:
      'HOLDER_OF_KEY: PEM certificates (at most 32) that restrict the confirmation certificate to one of them or to one they issued. Unset or empty: any parsable certificate valid now with an acceptable key (RSA ≥ 2048, P-256/P-384, Ed25519).',
  },
} as const;

const envelopeFields = {
  enabled: { type: 'Boolean', description: 'Wrap every issued assertion in a samlp:Response (Destination = spAcsUrl, Issuer, Status Success), as SP libraries expect; TokenOutput.envelope overrides it per request. Default false.' },
  signResponse: { type: 'Boolean', description: 'Sign the samlp:Response too (enveloped XML-DSig after its Issuer, the assertion\'s key and algorithm), whenever a Response is issued. Default false.' },
} as const;
const ENVELOPE_INPUT: GqlObject = { object: 'Saml2EnvelopeInput', description: 'The samlp:Response envelope (SAML core 3.3.3) around issued assertions.', fields: envelopeFields };
const ENVELOPE_OUTPUT: GqlObject = {
  object: 'Saml2Envelope',
  description: 'The samlp:Response envelope (SAML core 3.3.3) around issued assertions.',
  fields: { enabled: { ...envelopeFields.enabled, required: true }, signResponse: { ...envelopeFields.signResponse, required: true } },
};
const metadataFields = {
  sign: { type: 'Boolean', description: 'Sign the IdP metadata document (enveloped XML-DSig, first child of the EntityDescriptor). Default false.' },
  validitySeconds: { type: 'Int', description: 'validUntil = the time of the request + this, 60..31536000 s. Default 604800 (7 days).' },
  cacheDurationSeconds: { type: 'Int', description: 'cacheDuration (how long an SP may cache the document), 0..2592000 s. Default 3600.' },
} as const;
const METADATA_INPUT: GqlObject = { object: 'Saml2MetadataInput', description: 'How the instance\'s IdP metadata (saml-metadata.xml) is published.', fields: metadataFields };
const METADATA_OUTPUT: GqlObject = {
  object: 'Saml2Metadata',
  description: 'How the instance\'s IdP metadata (saml-metadata.xml) is published.',
  fields: { sign: { ...metadataFields.sign, required: true }, validitySeconds: { ...metadataFields.validitySeconds, required: true }, cacheDurationSeconds: { ...metadataFields.cacheDurationSeconds, required: true } },
};

const SAML2_INPUT: GqlObject = {
  object: 'Saml2Input',
  description: 'What SAML2 output issues: a SAML 2.0 assertion for one service provider.',
  fields: {
    ...SAML2_FIELDS,
    spMetadataXml: {
      type: 'String',
      description:
        "The SP's metadata (an md:EntityDescriptor): fills spAcsUrl (its HTTP-POST ACS) and spEncryptionCertificate, and must name spEntityId as its entityID; fields given too must agree. Not stored. (In JSON input it may also supply spEntityId.)",
    },
    plugins: { type: PLUGINS_INPUT, description: 'Custom statement plugins by statement kind.' },
    envelope: { type: ENVELOPE_INPUT, description: 'The samlp:Response envelope; default off.' },
    metadata: { type: METADATA_INPUT, description: 'The IdP metadata document: signing, validUntil, cacheDuration.' },
  },
};

const SAML2_OUTPUT: GqlObject = {
  object: 'Saml2Config',
  description: 'The SAML 2.0 assertion settings of an instance.',
  fields: {
    ...SAML2_FIELDS,
    nameIdFormat: { ...SAML2_FIELDS.nameIdFormat, required: true },
    attributeMap: { ...SAML2_FIELDS.attributeMap, required: true },
    lifetimeSeconds: { ...SAML2_FIELDS.lifetimeSeconds, required: true },
    signAssertion: { ...SAML2_FIELDS.signAssertion, required: true },
    signatureAlgorithm: { ...SAML2_FIELDS.signatureAlgorithm, required: true },
    encryptAssertion: { ...SAML2_FIELDS.encryptAssertion, required: true },
    encryptNameId: { ...SAML2_FIELDS.encryptNameId, required: true },
    encryptAttributes: { ...SAML2_FIELDS.encryptAttributes, required: true },
    dataEncryptionAlgorithm: { ...SAML2_FIELDS.dataEncryptionAlgorithm, required: true },
    keyTransportAlgorithm: { ...SAML2_FIELDS.keyTransportAlgorithm, required: true },
    plugins: { type: PLUGINS_OUTPUT, required: true, description: 'Custom statement plugins by statement kind.' },
    envelope: { type: ENVELOPE_OUTPUT, description: 'The samlp:Response envelope (null: off, as published before it existed).' },
    metadata: { type: METADATA_OUTPUT, description: 'The IdP metadata document: signing, validUntil, cacheDuration (null: the defaults).' },
  },
};

export function saml2Section(deps: { keys: KeyProvider; plugins: StatementPluginLookup }): ConfigSection<Saml2Config> {
  return {
    key: 'saml2',
    parse: (raw) => parseSaml2(raw, deps.plugins),
    async check(value) {
      if (value.signingKeyId === undefined) return;
      const spec = signatureAlgorithm(value.signatureAlgorithm)!;
      try {
        // The provider's own call: a pinned key that would fail a translate fails the publish.
        await deps.keys.signingKey(spec.jwsAlgorithm, value.signingKeyId);
      } catch (e) {
        if (e instanceof TesseraError && e.code === 'BAD_USER_INPUT') {
          throw new BadUserInputError(
            `no usable ${spec.jwsAlgorithm} signing key with kid ${quote(value.signingKeyId)}: ${e.message.replace(/^signingKeyId: /, '')}`,
            'input.saml2.signingKeyId',
          );
        }
        throw e;
      }
    },
    graphql: { input: SAML2_INPUT, output: SAML2_OUTPUT, description: 'Required when a transform outputs SAML2.' },
  };
}
