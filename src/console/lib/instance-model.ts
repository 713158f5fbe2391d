/**
 * The instance form's state and its two translations: from the server's StsInstance, and to an InstanceInput.
 * List and map values are edited as rows and text; the InstanceInput keeps the form's row order, so the server's
 * `input.transforms[2].output` names the third row on screen.
 */
import { splitList } from '../ui/components';
import { PLUGIN_KINDS, type PluginKind, type StsInstance, type TokenType } from './types';

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

export type KeySource = 'jwksUri' | 'jwks' | 'clientSecret';

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
}

export interface FormState {
  name: string;
  persistIssuedTokens: boolean;
  callerRoles: string;
  /** PingAM realm, kept as loaded (the form has no field for it; set it through the publish service or GraphQL). */
  realm: string;
  transforms: TransformRow[];
  saml2: {
    issuer: string;
    spEntityId: string;
    spAcsUrl: string;
    nameIdFormat: string;
    attributeMap: MapRow[];
    lifetimeSeconds: string;
    signAssertion: boolean;
    signatureAlgorithm: string;
    signingKeyId: string;
    encryptAssertion: boolean;
    encryptNameId: boolean;
    encryptAttributes: boolean;
    dataEncryptionAlgorithm: string;
    spEncryptionCertificate: string;
    plugins: Record<PluginKind, string>;
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
  /** Sections present when the form was loaded: kept on save even if no transform needs them any more. */
  loaded: { saml2: boolean; oidc: boolean; oidcTrust: boolean; x509Trust: boolean };
}

const emptyPlugins = (): Record<PluginKind, string> => Object.fromEntries(PLUGIN_KINDS.map((k) => [k, ''])) as Record<PluginKind, string>;

export function transformRow(input: TokenType = 'USERNAME', output: TokenType = 'OPENIDCONNECT'): TransformRow {
  return { row: rowId(), input, output, invalidateInterimSession: false, customInput: '', customOutput: '' };
}

export function trustRow(): TrustRow {
  return { row: rowId(), issuer: '', audience: '', authorizedParties: '', keySource: 'jwksUri', jwksUri: '', jwks: '', clientSecret: '', hasClientSecret: false };
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
      plugins: emptyPlugins(),
    },
    oidc: { issuer: '', audience: '', authorizedParty: '', signatureAlgorithm: '', signingKeyId: '', clientSecret: '', hasClientSecret: false, claimMap: [], lifetimeSeconds: '' },
    oidcTrust: [],
    x509Trust: { caCertificates: '', offloadHeader: '', trustedProxies: '' },
    loaded: { saml2: false, oidc: false, oidcTrust: false, x509Trust: false },
  };
}

const mapRows = (m: Record<string, string> | null | undefined): MapRow[] => Object.entries(m ?? {}).map(([key, value]) => ({ row: rowId(), key, value }));

export function formFromInstance(i: StsInstance): FormState {
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
      attributeMap: mapRows(s.attributeMap),
      lifetimeSeconds: String(s.lifetimeSeconds),
      signAssertion: s.signAssertion,
      signatureAlgorithm: s.signatureAlgorithm,
      signingKeyId: s.signingKeyId ?? '',
      encryptAssertion: s.encryptAssertion,
      encryptNameId: s.encryptNameId,
      encryptAttributes: s.encryptAttributes,
      dataEncryptionAlgorithm: s.dataEncryptionAlgorithm,
      spEncryptionCertificate: s.spEncryptionCertificate ?? '',
      plugins: Object.fromEntries(PLUGIN_KINDS.map((k) => [k, s.plugins?.[k] ?? ''])) as Record<PluginKind, string>,
    };
  }
  if (i.oidc) {
    const o = i.oidc;
    f.oidc = {
      issuer: o.issuer,
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
  }));
  if (i.x509Trust) {
    f.x509Trust = {
      caCertificates: i.x509Trust.caCertificates.join('\n'),
      offloadHeader: i.x509Trust.offloadHeader ?? '',
      trustedProxies: (i.x509Trust.trustedProxies ?? []).join(', '),
    };
  }
  f.loaded = { saml2: !!i.saml2, oidc: !!i.oidc, oidcTrust: !!i.oidcTrust?.length, x509Trust: !!i.x509Trust };
  return f;
}

/** Which sections the form shows: those a transform needs, and those the instance already had. */
export function sectionsShown(f: FormState): { saml2: boolean; oidc: boolean; oidcTrust: boolean; x509Trust: boolean } {
  return {
    saml2: f.loaded.saml2 || f.transforms.some((t) => t.output === 'SAML2'),
    oidc: f.loaded.oidc || f.transforms.some((t) => t.output === 'OPENIDCONNECT'),
    oidcTrust: f.loaded.oidcTrust || f.transforms.some((t) => t.input === 'OPENIDCONNECT'),
    x509Trust: f.loaded.x509Trust || f.transforms.some((t) => t.input === 'X509'),
  };
}

const opt = (s: string): string | undefined => (s.trim() === '' ? undefined : s.trim());

/** An integer as a number; anything else as typed, so the server's type check names the field. */
function int(s: string): number | string | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  return /^-?\d+$/.test(t) ? Number(t) : t;
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
      attributeMap: map(s.attributeMap),
      lifetimeSeconds: int(s.lifetimeSeconds),
      signAssertion: s.signAssertion,
      signatureAlgorithm: opt(s.signatureAlgorithm),
      signingKeyId: s.signAssertion ? opt(s.signingKeyId) : undefined,
      encryptAssertion: s.encryptAssertion,
      encryptNameId: s.encryptNameId,
      encryptAttributes: s.encryptAttributes,
      dataEncryptionAlgorithm: opt(s.dataEncryptionAlgorithm),
      spEncryptionCertificate: opt(s.spEncryptionCertificate),
      plugins: Object.fromEntries(PLUGIN_KINDS.map((k) => [k, opt(s.plugins[k])])),
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
        authorizedParties: splitList(t.authorizedParties).length > 0 ? splitList(t.authorizedParties) : undefined,
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
  return input;
}
