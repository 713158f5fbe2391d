/**
 * The instance form's state and its two translations: from the server's StsInstance, and to an InstanceInput.
 * List and map values are edited as rows and text; the InstanceInput keeps the form's row order, so the server's
 * `input.transforms[2].output` names the third row on screen.
 */
import { splitList } from '../ui/components';
import { pruneToInput, type SchemaInfo } from './schema-info';
import { PLUGIN_KINDS, type AttributeMapping, type PluginKind, type StsInstance, type TokenType } from './types';

let nextRow = 1;
export const rowId = (): number => nextRow++;

export interface TransformRow {
  row: number;
  input: TokenType;
  output: TokenType;
  invalidateInterimSession: boolean;
  customInput: string;
  customOutput: string;
}

export interface MapRow {
  row: number;
  key: string;
  value: string;
}

/** A SAML attribute row: the short form (a user attribute) or, with `long`, the object form with NameFormat and FriendlyName. */
export interface AttrRow extends MapRow {
  long: boolean;
  nameFormat: string;
  friendlyName: string;
}

export type KeySource = 'jwksUri' | 'jwks' | 'clientSecret';

export interface Saml2TrustRow {
  row: number;
  issuer: string;
  audience: string;
  /** PEM certificates, one after the other. */
  certificates: string;
  /** The partner's metadata; its signing certificates are added on save (the XML itself is not stored). */
  metadataXml: string;
  recipients: string;
  signatureAlgorithms: string[];
}

export interface TrustRow {
  row: number;
  issuer: string;
  audience: string;
  authorizedParties: string;
  keySource: KeySource;
  jwksUri: string;
  jwks: string;
  clientSecret: string;
  hasClientSecret: boolean;
  acceptAccessTokens: boolean;
}

export interface FormState {
  name: string;
  persistIssuedTokens: boolean;
  callerRoles: string;
  /** PingAM realm ("/alpha"); empty for the root realm. */
  realm: string;
  transforms: TransformRow[];
  saml2: {
    issuer: string;
    spEntityId: string;
    spAcsUrl: string;
    nameIdFormat: string;
    attributeMap: AttrRow[];
    lifetimeSeconds: string;
    signAssertion: boolean;
    signatureAlgorithm: string;
    signingKeyId: string;
    encryptAssertion: boolean;
    encryptNameId: boolean;
    encryptAttributes: boolean;
    dataEncryptionAlgorithm: string;
    spEncryptionCertificate: string;
    /** PEM certificates, one after the other (HOLDER_OF_KEY trust list). */
    holderOfKeyTrust: string;
    keyTransportAlgorithm: string;
    plugins: Record<PluginKind, string>;
    envelopeEnabled: boolean;
    signResponse: boolean;
    signMetadata: boolean;
    metadataValiditySeconds: string;
    metadataCacheDurationSeconds: string;
  };
  oidc: {
    issuer: string;
    audience: string;
    authorizedParty: string;
    signatureAlgorithm: string;
    signingKeyId: string;
    clientSecret: string;
    hasClientSecret: boolean;
    claimMap: MapRow[];
    lifetimeSeconds: string;
  };
  oidcTrust: TrustRow[];
  x509Trust: { caCertificates: string; offloadHeader: string; trustedProxies: string };
  accessToken: {
    issuer: string;
    audience: string;
    lifetimeSeconds: string;
    signatureAlgorithm: string;
    signingKeyId: string;
    claimMap: MapRow[];
  };
  /** RFC 8693: sent only when `enabled` (an instance without it offers no token endpoint). */
  tokenExchange: {
    enabled: boolean;
    audiences: string;
    resources: string;
    scopes: string;
    delegationAllowed: boolean;
    requireMayAct: boolean;
    maxChainDepth: string;
  };
  saml2Trust: Saml2TrustRow[];
  /** Sections of token kinds the form has no editor for, as JSON text, by their InstanceInput name. */
  extra: Record<string, string>;
  /** Sections present when the form was loaded: kept on save even if no transform needs them any more. */
  loaded: { saml2: boolean; oidc: boolean; oidcTrust: boolean; x509Trust: boolean; accessToken: boolean; saml2Trust: boolean };
}

export type Sections = FormState['loaded'];

const emptyPlugins = (): Record<PluginKind, string> => Object.fromEntries(PLUGIN_KINDS.map((k) => [k, ''])) as Record<PluginKind, string>;

export function transformRow(input: TokenType = 'USERNAME', output: TokenType = 'OPENIDCONNECT'): TransformRow {
  return { row: rowId(), input, output, invalidateInterimSession: false, customInput: '', customOutput: '' };
}

export function trustRow(): TrustRow {
  return { row: rowId(), issuer: '', audience: '', authorizedParties: '', keySource: 'jwksUri', jwksUri: '', jwks: '', clientSecret: '', hasClientSecret: false, acceptAccessTokens: false };
}

export const XMLDSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';
/** The XML-DSig algorithms Tessera verifies from a partner IdP (its default: all of them). */
export const PARTNER_SIG_ALGS = [`${XMLDSIG_MORE}rsa-sha256`, `${XMLDSIG_MORE}rsa-sha512`, `${XMLDSIG_MORE}ecdsa-sha256`];

export function saml2TrustRow(): Saml2TrustRow {
  return { row: rowId(), issuer: '', audience: '', certificates: '', metadataXml: '', recipients: '', signatureAlgorithms: [...PARTNER_SIG_ALGS] };
}

export function attrRow(key = '', value = ''): AttrRow {
  return { row: rowId(), key, value, long: false, nameFormat: '', friendlyName: '' };
}

export function emptyForm(output: TokenType = 'OPENIDCONNECT'): FormState {
  return {
    name: '',
    persistIssuedTokens: true,
    callerRoles: '',
    realm: '',
    transforms: [transformRow('USERNAME', output)],
    saml2: {
      issuer: '',
      spEntityId: '',
      spAcsUrl: '',
      nameIdFormat: '',
      attributeMap: [],
      lifetimeSeconds: '',
      signAssertion: true,
      signatureAlgorithm: '',
      signingKeyId: '',
      encryptAssertion: false,
      encryptNameId: false,
      encryptAttributes: false,
      dataEncryptionAlgorithm: '',
      spEncryptionCertificate: '',
      holderOfKeyTrust: '',
      keyTransportAlgorithm: '',
      plugins: emptyPlugins(),
      envelopeEnabled: false,
      signResponse: false,
      signMetadata: false,
      metadataValiditySeconds: '',
      metadataCacheDurationSeconds: '',
    },
    oidc: { issuer: '', audience: '', authorizedParty: '', signatureAlgorithm: '', signingKeyId: '', clientSecret: '', hasClientSecret: false, claimMap: [], lifetimeSeconds: '' },
    oidcTrust: [],
    x509Trust: { caCertificates: '', offloadHeader: '', trustedProxies: '' },
    accessToken: { issuer: '', audience: '', lifetimeSeconds: '', signatureAlgorithm: '', signingKeyId: '', claimMap: [] },
    tokenExchange: { enabled: false, audiences: '', resources: '', scopes: '', delegationAllowed: false, requireMayAct: false, maxChainDepth: '' },
    saml2Trust: [],
    extra: {},
    loaded: { saml2: false, oidc: false, oidcTrust: false, x509Trust: false, accessToken: false, saml2Trust: false },
  };
}

const mapRows = (m: Record<string, string> | null | undefined): MapRow[] => Object.entries(m ?? {}).map(([key, value]) => ({ row: rowId(), key, value }));

const attrRows = (m: Record<string, AttributeMapping> | null | undefined): AttrRow[] =>
  Object.entries(m ?? {}).map(([key, v]) =>
    typeof v === 'string'
      ? attrRow(key, v)
      : { row: rowId(), key, value: v?.attribute ?? '', long: true, nameFormat: v?.nameFormat ?? '', friendlyName: v?.friendlyName ?? '' },
  );

const lines = (l: string[] | null | undefined): string => (l ?? []).join(', ');
const numberText = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));

/** The form for an instance; `schema` says which further sections the server has (token kinds from plugins). */
export function formFromInstance(i: StsInstance, schema?: SchemaInfo): FormState {
  const f = emptyForm();
  f.name = i.name;
  f.persistIssuedTokens = i.persistIssuedTokens;
  f.callerRoles = (i.callerRoles ?? []).join(', ');
  f.realm = i.realm ?? '';
  f.transforms = i.transforms.map((t) => ({
    row: rowId(),
    input: t.input,
    output: t.output,
    invalidateInterimSession: t.invalidateInterimSession,
    customInput: t.customInput ?? '',
    customOutput: t.customOutput ?? '',
  }));
  if (i.saml2) {
    const s = i.saml2;
    f.saml2 = {
      issuer: s.issuer,
      spEntityId: s.spEntityId,
      spAcsUrl: s.spAcsUrl ?? '',
      nameIdFormat: s.nameIdFormat,
      attributeMap: attrRows(s.attributeMap),
      lifetimeSeconds: String(s.lifetimeSeconds),
      signAssertion: s.signAssertion,
      signatureAlgorithm: s.signatureAlgorithm,
      signingKeyId: s.signingKeyId ?? '',
      encryptAssertion: s.encryptAssertion,
      encryptNameId: s.encryptNameId,
      encryptAttributes: s.encryptAttributes,
      dataEncryptionAlgorithm: s.dataEncryptionAlgorithm,
      spEncryptionCertificate: s.spEncryptionCertificate ?? '',
      holderOfKeyTrust: (s.holderOfKeyTrust ?? []).join('\n'),
      keyTransportAlgorithm: s.keyTransportAlgorithm ?? '',
      plugins: Object.fromEntries(PLUGIN_KINDS.map((k) => [k, s.plugins?.[k] ?? ''])) as Record<PluginKind, string>,
      envelopeEnabled: s.envelope?.enabled ?? false,
      signResponse: s.envelope?.signResponse ?? false,
      signMetadata: s.metadata?.sign ?? false,
      metadataValiditySeconds: numberText(s.metadata?.validitySeconds),
      metadataCacheDurationSeconds: numberText(s.metadata?.cacheDurationSeconds),
    };
  }
  if (i.oidc) {
    const o = i.oidc;
    // The server shows the effective issuer. When it is the default (TESSERA_PUBLIC_URL/sts/<name>, the base
    // of the instance's JWKS URL) the field stays empty, so saving keeps the default rather than pinning it.
    const defaultIssuer = i.endpoints?.jwks?.replace(/\/jwks\.json$/, '');
    f.oidc = {
      issuer: o.issuer === defaultIssuer ? '' : o.issuer,
      audience: o.audience.join(', '),
      authorizedParty: o.authorizedParty ?? '',
      signatureAlgorithm: o.signatureAlgorithm,
      signingKeyId: o.signingKeyId ?? '',
      clientSecret: '',
      hasClientSecret: o.hasClientSecret,
      claimMap: mapRows(o.claimMap),
      lifetimeSeconds: String(o.lifetimeSeconds),
    };
  }
  f.oidcTrust = (i.oidcTrust ?? []).map((t) => ({
    row: rowId(),
    issuer: t.issuer,
    audience: t.audience.join(', '),
    authorizedParties: (t.authorizedParties ?? []).join(', '),
    keySource: t.jwksUri ? 'jwksUri' : t.jwks ? 'jwks' : 'clientSecret',
    jwksUri: t.jwksUri ?? '',
    jwks: t.jwks ? JSON.stringify(t.jwks, null, 2) : '',
    clientSecret: '',
    hasClientSecret: t.hasClientSecret,
    acceptAccessTokens: t.acceptAccessTokens === true,
  }));
  if (i.x509Trust) {
    f.x509Trust = {
      caCertificates: i.x509Trust.caCertificates.join('\n'),
      offloadHeader: i.x509Trust.offloadHeader ?? '',
      trustedProxies: (i.x509Trust.trustedProxies ?? []).join(', '),
    };
  }
  if (i.accessToken) {
    const a = i.accessToken;
    f.accessToken = {
      issuer: a.issuer ?? '',
      audience: lines(a.audience),
      lifetimeSeconds: numberText(a.lifetimeSeconds),
      signatureAlgorithm: a.signatureAlgorithm,
      signingKeyId: a.signingKeyId ?? '',
      claimMap: mapRows(a.claimMap),
    };
  }
  if (i.tokenExchange) {
    const t = i.tokenExchange;
    f.tokenExchange = {
      enabled: true,
      audiences: lines(t.audiences),
      resources: lines(t.resources),
      scopes: lines(t.scopes),
      delegationAllowed: t.delegation.allowed,
      requireMayAct: t.delegation.requireMayAct,
      maxChainDepth: numberText(t.delegation.maxChainDepth),
    };
  }
  f.saml2Trust = (i.saml2Trust ?? []).map((t) => ({
    row: rowId(),
    issuer: t.issuer,
    audience: lines(t.audience),
    certificates: t.certificates.join('\n'),
    metadataXml: '',
    recipients: lines(t.recipients),
    signatureAlgorithms: [...t.signatureAlgorithms],
  }));
  for (const x of schema?.extraSections ?? []) {
    const v = x.outputType ? pruneToInput(i.extra?.[x.key], x.inputType, schema!.types) : undefined;
    f.extra[x.key] = v === undefined ? '' : JSON.stringify(v, null, 2);
  }
  f.loaded = {
    saml2: !!i.saml2,
    oidc: !!i.oidc,
    oidcTrust: !!i.oidcTrust?.length,
    x509Trust: !!i.x509Trust,
    accessToken: !!i.accessToken,
    saml2Trust: !!i.saml2Trust?.length,
  };
  return f;
}

/** Which sections the form shows: those a transform needs, and those the instance already had. */
export function sectionsShown(f: FormState): Sections {
  return {
    saml2: f.loaded.saml2 || f.transforms.some((t) => t.output === 'SAML2'),
    oidc: f.loaded.oidc || f.transforms.some((t) => t.output === 'OPENIDCONNECT'),
    oidcTrust: f.loaded.oidcTrust || f.transforms.some((t) => t.input === 'OPENIDCONNECT' || t.input === 'ACCESS_TOKEN'),
    x509Trust: f.loaded.x509Trust || f.transforms.some((t) => t.input === 'X509'),
    accessToken: f.loaded.accessToken || f.transforms.some((t) => t.output === 'ACCESS_TOKEN'),
    saml2Trust: f.loaded.saml2Trust || f.transforms.some((t) => t.input === 'SAML2'),
  };
}

const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** An integer as a number; anything else as typed, so the server's type check names the field. */
function int(s: string): number | string | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

function attributeMap(rows: AttrRow[]): Record<string, AttributeMapping> | undefined {
  const kept = rows.filter((r) => r.key.trim() !== '' || r.value.trim() !== '' || (r.long && (r.nameFormat.trim() !== '' || r.friendlyName.trim() !== '')));
  if (kept.length === 0) return undefined;
  return Object.fromEntries(
    kept.map((r) => {
      if (!r.long) return [r.key.trim(), r.value.trim()];
      const m: Record<string, string> = { attribute: r.value.trim() };
      if (opt(r.nameFormat)) m.nameFormat = r.nameFormat.trim();
      if (opt(r.friendlyName)) m.friendlyName = r.friendlyName.trim();
      return [r.key.trim(), m];
    }),
  );
}

/** A list, or nothing when empty (the server refuses empty lists where a list is optional). */
function list(text: string): string[] | undefined {
  const l = splitList(text);
  return l.length > 0 ? l : undefined;
}

function pems(text: string): string[] | undefined {
  const found = text.match(PEM);
  if (found) return found;
  return text.trim() ? [text.trim()] : undefined;
}

function map(rows: MapRow[]): Record<string, string> | undefined {
  const kept = rows.filter((r) => r.key.trim() !== '' || r.value.trim() !== '');
  if (kept.length === 0) return undefined;
  return Object.fromEntries(kept.map((r) => [r.key.trim(), r.value.trim()]));
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export class ClientFieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function toInstanceInput(f: FormState): Record<string, unknown> {
  const shown = sectionsShown(f);
  const roles = splitList(f.callerRoles);
  const input: Record<string, unknown> = {
    name: f.name.trim(),
    persistIssuedTokens: f.persistIssuedTokens,
    callerRoles: roles.length > 0 ? roles : undefined,
    realm: opt(f.realm),
    transforms: f.transforms.map((t) => ({
      input: t.input,
      output: t.output,
      invalidateInterimSession: t.invalidateInterimSession,
      customInput: t.input === 'CUSTOM' ? opt(t.customInput) : undefined,
      customOutput: t.output === 'CUSTOM' ? opt(t.customOutput) : undefined,
    })),
  };
  if (shown.saml2) {
    const s = f.saml2;
    input.saml2 = {
      issuer: s.issuer.trim(),
      spEntityId: s.spEntityId.trim(),
      spAcsUrl: opt(s.spAcsUrl),
      nameIdFormat: opt(s.nameIdFormat),
      attributeMap: attributeMap(s.attributeMap),
      lifetimeSeconds: int(s.lifetimeSeconds),
      signAssertion: s.signAssertion,
      signatureAlgorithm: opt(s.signatureAlgorithm),
      signingKeyId: s.signAssertion ? opt(s.signingKeyId) : undefined,
      encryptAssertion: s.encryptAssertion,
      encryptNameId: s.encryptNameId,
      encryptAttributes: s.encryptAttributes,
      dataEncryptionAlgorithm: opt(s.dataEncryptionAlgorithm),
      keyTransportAlgorithm: opt(s.keyTransportAlgorithm),
      spEncryptionCertificate: opt(s.spEncryptionCertificate),
      holderOfKeyTrust: s.holderOfKeyTrust.match(PEM) ?? (s.holderOfKeyTrust.trim() ? [s.holderOfKeyTrust.trim()] : []),
      plugins: Object.fromEntries(PLUGIN_KINDS.map((k) => [k, opt(s.plugins[k])])),
      envelope: { enabled: s.envelopeEnabled, signResponse: s.signResponse },
      metadata: { sign: s.signMetadata, validitySeconds: int(s.metadataValiditySeconds), cacheDurationSeconds: int(s.metadataCacheDurationSeconds) },
    };
  }
  if (shown.oidc) {
    const o = f.oidc;
    const hs = o.signatureAlgorithm === 'HS256';
    input.oidc = {
      issuer: opt(o.issuer),
      audience: splitList(o.audience),
      authorizedParty: opt(o.authorizedParty),
      signatureAlgorithm: opt(o.signatureAlgorithm),
      signingKeyId: hs ? undefined : opt(o.signingKeyId),
      // Write-only: left empty on an update, the server keeps the stored secret.
      clientSecret: hs ? (o.clientSecret === '' ? undefined : o.clientSecret) : undefined,
      claimMap: map(o.claimMap),
      lifetimeSeconds: int(o.lifetimeSeconds),
    };
  }
  if (shown.oidcTrust) {
    input.oidcTrust = f.oidcTrust.map((t, i) => {
      const entry: Record<string, unknown> = {
        issuer: t.issuer.trim(),
        audience: splitList(t.audience),
        authorizedParties: list(t.authorizedParties),
        acceptAccessTokens: t.acceptAccessTokens ? true : undefined,
      };
      if (t.keySource === 'jwksUri') entry.jwksUri = opt(t.jwksUri);
      else if (t.keySource === 'clientSecret') entry.clientSecret = t.clientSecret === '' ? undefined : t.clientSecret;
      else if (t.jwks.trim() !== '') {
        try {
          entry.jwks = JSON.parse(t.jwks);
        } catch {
          throw new ClientFieldError(`input.oidcTrust[${i}].jwks`, 'Is not valid JSON: paste the issuer\'s JWKS document ({"keys": [...]}).');
        }
      }
      return entry;
    });
  }
  if (shown.x509Trust) {
    const x = f.x509Trust;
    const cas = x.caCertificates.match(PEM) ?? (x.caCertificates.trim() ? [x.caCertificates.trim()] : []);
    const proxies = splitList(x.trustedProxies);
    input.x509Trust = {
      caCertificates: cas,
      offloadHeader: opt(x.offloadHeader),
      trustedProxies: proxies.length > 0 ? proxies : undefined,
    };
  }
  if (shown.accessToken) {
    const a = f.accessToken;
    input.accessToken = {
      issuer: opt(a.issuer),
      audience: splitList(a.audience),
      lifetimeSeconds: int(a.lifetimeSeconds),
      signatureAlgorithm: opt(a.signatureAlgorithm),
      signingKeyId: opt(a.signingKeyId),
      claimMap: map(a.claimMap),
    };
  }
  if (f.tokenExchange.enabled) {
    const t = f.tokenExchange;
    input.tokenExchange = {
      audiences: list(t.audiences),
      resources: list(t.resources),
      scopes: list(t.scopes),
      delegation: { allowed: t.delegationAllowed, requireMayAct: t.requireMayAct, maxChainDepth: int(t.maxChainDepth) },
    };
  }
  if (shown.saml2Trust) {
    input.saml2Trust = f.saml2Trust.map((t) => ({
      issuer: t.issuer.trim(),
      audience: splitList(t.audience),
      certificates: pems(t.certificates),
      metadataXml: opt(t.metadataXml),
      recipients: list(t.recipients),
      // Unticking them all is refused by the server at the field, rather than read as "the default".
      signatureAlgorithms: t.signatureAlgorithms,
    }));
  }
  for (const [key, text] of Object.entries(f.extra)) {
    if (text.trim() === '') continue;
    try {
      input[key] = JSON.parse(text);
    } catch (e) {
      throw new ClientFieldError(`input.${key}`, `Is not valid JSON (${e instanceof Error ? e.message : 'parse error'}).`);
    }
  }
  return input;
}
