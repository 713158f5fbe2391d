/**
 * Create or edit an instance: one form, a section per part of the configuration. Sections appear when a
 * transform needs them (a SAML2 output needs the SAML2 section, an OPENIDCONNECT input needs trusted issuers…).
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { setFlash, takeFlash } from '../lib/flash';
import {
  attrRow,
  ClientFieldError,
  emptyForm,
  formFromInstance,
  PARTNER_SIG_ALGS,
  rowId,
  saml2TrustRow,
  sectionsShown,
  toInstanceInput,
  transformRow,
  trustRow,
  XMLDSIG_MORE,
  type AttrRow,
  type FormState,
  type MapRow,
  type Saml2TrustRow,
  type TransformRow,
  type TrustRow,
} from '../lib/instance-model';
import { loadSchemaInfo, type SchemaInfo } from '../lib/schema-info';
import { SAML_TO_JWS } from '../lib/key-usage';
import { Link, navigate } from '../lib/router';
import { useApi } from '../lib/session';
import { MetadataError, parseSpMetadata } from '../lib/sp-metadata';
import { INSTANCE_FIELDS, KEY_FIELDS, PLUGIN_KINDS, type CustomTokenType, type Key, type PluginKind, type SamlPlugin, type StsInstance, type TokenType } from '../lib/types';
import {
  Button,
  Checkbox,
  ErrorAlert,
  FieldErrorsProvider,
  FormAlert,
  formErrorsFrom,
  Loading,
  NO_ERRORS,
  Notice,
  Section,
  SelectField,
  TextArea,
  TextField,
  useFocusFirstError,
  useLoad,
  type FormErrorState,
  type Option,
} from '../ui/components';

const INPUTS: TokenType[] = ['USERNAME', 'OPENIDCONNECT', 'ACCESS_TOKEN', 'SAML2', 'X509', 'SESSION', 'CUSTOM'];
const OUTPUTS: TokenType[] = ['OPENIDCONNECT', 'ACCESS_TOKEN', 'SAML2', 'CUSTOM'];
/** Built-in kinds that only ever appear on one side of a transform. */
const BUILT_IN: TokenType[] = ['USERNAME', 'OPENIDCONNECT', 'ACCESS_TOKEN', 'SAML2', 'X509', 'SESSION', 'CUSTOM'];
const SAML_SIG_LABELS: Record<string, string> = {
  [`${XMLDSIG_MORE}rsa-sha256`]: 'RSA-SHA256',
  [`${XMLDSIG_MORE}rsa-sha512`]: 'RSA-SHA512',
  [`${XMLDSIG_MORE}ecdsa-sha256`]: 'ECDSA-SHA256',
};
const KEY_TRANSPORT_ALGS: Option[] = [
  { value: '', label: 'RSA-OAEP (default)' },
  { value: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p', label: 'RSA-OAEP (MGF1, SHA-1 digest)' },
];
const ACCESS_TOKEN_ALGS: Option[] = [{ value: '', label: 'RS256 (default)' }, ...['RS256', 'RS512', 'PS256', 'ES256', 'EdDSA'].map((a) => ({ value: a, label: a }))];
const SAML_SIG_ALGS: Option[] = [
  { value: '', label: 'RSA-SHA256 (default)' },
  { value: `${XMLDSIG_MORE}rsa-sha512`, label: 'RSA-SHA512' },
  { value: `${XMLDSIG_MORE}ecdsa-sha256`, label: 'ECDSA-SHA256' },
  { value: `${XMLDSIG_MORE}rsa-sha256`, label: 'RSA-SHA256' },
];
const DATA_ENC_ALGS: Option[] = [
  { value: '', label: 'AES-256-GCM (default)' },
  { value: 'http://www.w3.org/2009/xmlenc11#aes256-gcm', label: 'AES-256-GCM' },
  { value: 'http://www.w3.org/2001/04/xmlenc#aes256-cbc', label: 'AES-256-CBC' },
  { value: 'http://www.w3.org/2001/04/xmlenc#aes128-cbc', label: 'AES-128-CBC' },
];
const OIDC_ALGS: Option[] = [
  { value: '', label: 'RS256 (default)' },
  ...['RS256', 'RS512', 'PS256', 'ES256', 'EdDSA'].map((a) => ({ value: a, label: a })),
  { value: 'HS256', label: 'HS256 (shared client secret)' },
];
const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
];
const PLUGIN_LABELS: Record<PluginKind, string> = {
  conditions: 'Conditions',
  subject: 'Subject',
  authenticationStatements: 'Authentication statements',
  attributeStatements: 'Attribute statements',
  authorizationDecisionStatements: 'Authorization decision statements',
};

interface Catalog {
  keys: Key[];
  samlPlugins: SamlPlugin[];
  customTokenTypes: CustomTokenType[];
  instance?: StsInstance | null;
  schema: SchemaInfo;
}

/** The instance query: the fields the console knows, and every section a plugin's token kind adds. */
function instanceSelection(schema: SchemaInfo): string {
  const extra = schema.extraSections.map((x) => x.selection).filter((x): x is string => !!x);
  return `${INSTANCE_FIELDS} ${extra.join(' ')}`;
}

/** The sections a plugin adds come back under their own names; the form reads them from `extra`. */
function withExtra(i: StsInstance | null | undefined, schema: SchemaInfo): StsInstance | null | undefined {
  if (!i) return i;
  const raw = i as unknown as Record<string, unknown>;
  return { ...i, extra: Object.fromEntries(schema.extraSections.map((x) => [x.key, raw[x.key]])) };
}

/** Why a JSON editor's text does not parse (null when it does, or is empty). */
function jsonProblem(text: string): string | null {
  if (text.trim() === '') return null;
  try {
    JSON.parse(text);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : 'it does not parse.';
  }
}

function selectOrKeep(options: Option[], value: string): Option[] {
  return value && !options.some((o) => o.value === value) ? [...options, { value, label: value }] : options;
}

function keyOptions(keys: Key[], algorithm: string | undefined, current: string): Option[] {
  const usable = keys.filter((k) => k.status !== 'RETIRED' && (!algorithm || k.algorithm === algorithm));
  const opts = [{ value: '', label: `The active ${algorithm ?? ''} key (default; follows rotation)` }, ...usable.map((k) => ({ value: k.kid, label: `${k.kid} (${k.status.toLowerCase()})` }))];
  return selectOrKeep(opts, current);
}

// ---------------------------------------------------------------------------------------------------------

function MapEditor({ field, label, keyLabel, valueLabel, rows, onChange, hint }: { field: string; label: string; keyLabel: string; valueLabel: string; rows: MapRow[]; onChange(rows: MapRow[]): void; hint: string }) {
  const set = (row: number, patch: Partial<MapRow>) => onChange(rows.map((r) => (r.row === row ? { ...r, ...patch } : r)));
  return (
    <Section title={label} field={field} intro={hint}>
      {rows.length === 0 && <p className="muted">None.</p>}
      {rows.map((r, n) => (
        <div key={r.row} className="row-grid">
          <TextField label={`${keyLabel} ${n + 1}`} field={r.key.trim() ? `${field}.${r.key.trim()}` : undefined} id={`${field}-k-${r.row}`} value={r.key} onChange={(v) => set(r.row, { key: v })} />
          <TextField label={`${valueLabel} ${n + 1}`} id={`${field}-v-${r.row}`} value={r.value} onChange={(v) => set(r.row, { value: v })} />
          <Button className="btn btn-small btn-secondary row-remove" onClick={() => onChange(rows.filter((x) => x.row !== r.row))} aria-label={`Remove ${keyLabel.toLowerCase()} ${n + 1}`}>
            Remove
          </Button>
        </div>
      ))}
      <Button className="btn btn-small btn-secondary" onClick={() => onChange([...rows, { row: rowId(), key: '', value: '' }])}>
        Add {keyLabel.toLowerCase()}
      </Button>
    </Section>
  );
}

function AttributeEditor({ field, rows, onChange }: { field: string; rows: AttrRow[]; onChange(rows: AttrRow[]): void }) {
  const set = (row: number, patch: Partial<AttrRow>) => onChange(rows.map((r) => (r.row === row ? { ...r, ...patch } : r)));
  return (
    <Section
      title="Attributes"
      field={field}
      intro="Each SAML attribute and the user attribute it carries; give a NameFormat or FriendlyName where the SP wants one."
    >
      {rows.length === 0 && <p className="muted">None.</p>}
      {rows.map((r, n) => {
        const base = r.key.trim() ? `${field}.${r.key.trim()}` : undefined;
        return (
          <div key={r.row} className="attr-row">
            <div className="row-grid">
              <TextField label={`SAML attribute ${n + 1}`} field={base} id={`${field}-k-${r.row}`} value={r.key} onChange={(v) => set(r.row, { key: v })} />
              <TextField label={`From user attribute ${n + 1}`} field={base && r.long ? `${base}.attribute` : undefined} id={`${field}-v-${r.row}`} value={r.value} onChange={(v) => set(r.row, { value: v })} />
              <Button className="btn btn-small btn-secondary row-remove" onClick={() => onChange(rows.filter((x) => x.row !== r.row))} aria-label={`Remove saml attribute ${n + 1}`}>
                Remove
              </Button>
            </div>
            <Checkbox label={`NameFormat and FriendlyName for attribute ${n + 1}`} id={`${field}-long-${r.row}`} checked={r.long} onChange={(v) => set(r.row, { long: v })} />
            {r.long && (
              <div className="row-grid">
                <TextField
                  label={`NameFormat ${n + 1}`}
                  field={base ? `${base}.nameFormat` : undefined}
                  id={`${field}-nf-${r.row}`}
                  value={r.nameFormat}
                  onChange={(v) => set(r.row, { nameFormat: v })}
                  list="attr-name-formats"
                  placeholder="urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
                />
                <TextField label={`FriendlyName ${n + 1}`} field={base ? `${base}.friendlyName` : undefined} id={`${field}-fn-${r.row}`} value={r.friendlyName} onChange={(v) => set(r.row, { friendlyName: v })} />
              </div>
            )}
          </div>
        );
      })}
      <datalist id="attr-name-formats">
        <option value="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" />
        <option value="urn:oasis:names:tc:SAML:2.0:attrname-format:basic" />
        <option value="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified" />
      </datalist>
      <Button className="btn btn-small btn-secondary" onClick={() => onChange([...rows, attrRow()])}>
        Add saml attribute
      </Button>
    </Section>
  );
}

function Saml2TrustEditor({ rows, onChange }: { rows: Saml2TrustRow[]; onChange(rows: Saml2TrustRow[]): void }) {
  const set = (row: number, patch: Partial<Saml2TrustRow>) => onChange(rows.map((r) => (r.row === row ? { ...r, ...patch } : r)));
  return (
    <Section
      title="Trusted SAML2 identity providers"
      field="input.saml2Trust"
      id="sec-saml2trust"
      intro="SAML 2.0 assertions accepted as input: issued by these partner IdPs, signed with their certificates, for one of the audiences."
    >
      {rows.map((t, i) => {
        const base = `input.saml2Trust[${i}]`;
        const algs = Array.from(new Set([...PARTNER_SIG_ALGS, ...t.signatureAlgorithms]));
        return (
          <Section key={t.row} sub title={`Identity provider ${i + 1}`} field={base}>
            <TextField label={`IdP ${i + 1} entity ID (Issuer)`} field={`${base}.issuer`} value={t.issuer} onChange={(v) => set(t.row, { issuer: v })} required hint="The assertion's <saml:Issuer>." />
            <TextField label={`IdP ${i + 1} accepted audiences`} field={`${base}.audience`} value={t.audience} onChange={(v) => set(t.row, { audience: v })} required hint="Audience values, comma-separated; the assertion must name one." />
            <TextArea
              label={`IdP ${i + 1} signing certificates (PEM)`}
              field={`${base}.certificates`}
              value={t.certificates}
              onChange={(v) => set(t.row, { certificates: v })}
              rows={5}
              placeholder="-----BEGIN CERTIFICATE-----"
              hint="One or more PEM certificates; or give the IdP's metadata below."
            />
            <TextArea
              label={`IdP ${i + 1} metadata XML`}
              field={`${base}.metadataXml`}
              value={t.metadataXml}
              onChange={(v) => set(t.row, { metadataXml: v })}
              rows={4}
              placeholder='<md:EntityDescriptor entityID="…"><md:IDPSSODescriptor …>'
              hint="Optional: its signing certificates are added to the list above when you save; the XML itself is not stored."
            />
            <TextField label={`IdP ${i + 1} accepted recipients`} field={`${base}.recipients`} value={t.recipients} onChange={(v) => set(t.row, { recipients: v })} hint="Optional, comma-separated: Recipient URLs a bearer confirmation may name besides Tessera's own." />
            <Section sub title={`Signature algorithms accepted from IdP ${i + 1}`} field={`${base}.signatureAlgorithms`}>
              {algs.map((a, j) => (
                <Checkbox
                  key={a}
                  label={`${SAML_SIG_LABELS[a] ?? a} from IdP ${i + 1}`}
                  id={`saml2trust-alg-${t.row}-${j}`}
                  checked={t.signatureAlgorithms.includes(a)}
                  onChange={(on) => set(t.row, { signatureAlgorithms: on ? [...t.signatureAlgorithms, a] : t.signatureAlgorithms.filter((x) => x !== a) })}
                />
              ))}
            </Section>
            <Button className="btn btn-small btn-secondary" onClick={() => onChange(rows.filter((x) => x.row !== t.row))} aria-label={`Remove identity provider ${i + 1}`}>
              Remove identity provider
            </Button>
          </Section>
        );
      })}
      <Button className="btn btn-small btn-secondary" onClick={() => onChange([...rows, saml2TrustRow()])}>
        Add identity provider
      </Button>
    </Section>
  );
}

function MetadataImport({ open, onParsed }: { open: boolean; onParsed(md: ReturnType<typeof parseSpMetadata>): string[] }) {
  const [xml, setXml] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [filled, setFilled] = useState<string[] | null>(null);
  const [reading, setReading] = useState(false);

  async function file(f: File | undefined) {
    if (!f) return;
    setReading(true);
    try {
      setXml(await f.text());
      setError(null);
    } catch {
      setError('The file could not be read.');
    } finally {
      setReading(false);
    }
  }

  function fill() {
    setFilled(null);
    try {
      const md = parseSpMetadata(xml);
      setError(null);
      setFilled(onParsed(md));
    } catch (e) {
      setError(e instanceof MetadataError ? e.message : 'The metadata could not be read.');
    }
  }

  return (
    <details className="card import" open={open}>
      <summary>Fill from a service provider's SAML metadata</summary>
      <p className="hint">
        Paste the SP's <code>EntityDescriptor</code> or upload its metadata file. The console reads it here in the browser and fills the
        entity ID, the assertion consumer service URL and the encryption certificate; nothing is sent until you save.
      </p>
      <div className="field">
        <label htmlFor="metadata-file">Metadata file</label>
        <input id="metadata-file" type="file" accept=".xml,application/xml,text/xml,application/samlmetadata+xml" onChange={(e) => void file(e.target.files?.[0])} />
      </div>
      <TextArea id="metadata-xml" label="Metadata XML" value={xml} onChange={setXml} rows={6} placeholder='<md:EntityDescriptor entityID="https://sp.example.com/saml" …>' />
      <Button className="btn btn-secondary" onClick={fill} busy={reading} busyLabel="Reading the file…">
        Fill the form from this metadata
      </Button>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {filled && (
        <div className="alert alert-ok" role="status">
          Filled from the metadata:
          <ul>
            {filled.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        </div>
      )}
    </details>
  );
}

// ---------------------------------------------------------------------------------------------------------

export function InstanceFormPage({ name, fromMetadata }: { name?: string; fromMetadata?: boolean }) {
  const api = useApi();
  const editing = name !== undefined;
  const catalog = useLoad<Catalog>(async () => {
    const schema = await loadSchemaInfo(api);
    const d = await api<Omit<Catalog, 'schema'>>(
      `query InstanceForm($name: String!, $editing: Boolean!) {
        keys { ${KEY_FIELDS} }
        samlPlugins { name statement builtIn description }
        customTokenTypes { tokenType hasValidator hasProvider }
        instance(name: $name) @include(if: $editing) { ${instanceSelection(schema)} }
      }`,
      { name: name ?? '', editing },
    );
    return { ...d, instance: withExtra(d.instance, schema), schema };
  }, [name]);
  const [form, setForm] = useState<FormState | null>(editing ? null : emptyForm(fromMetadata ? 'SAML2' : 'OPENIDCONNECT'));
  const [errors, setErrors] = useState<FormErrorState>(NO_ERRORS);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(() => takeFlash());
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, errors);

  useEffect(() => {
    if (editing && catalog.data?.instance && !form) setForm(formFromInstance(catalog.data.instance, catalog.data.schema));
    // A new instance starts with an empty editor for each section a plugin adds.
    if (!editing && catalog.data && form && catalog.data.schema.extraSections.some((x) => !(x.key in form.extra))) {
      setForm({ ...form, extra: Object.fromEntries(catalog.data.schema.extraSections.map((x) => [x.key, form.extra[x.key] ?? ''])) });
    }
  }, [editing, catalog.data, form]);

  if (catalog.loading && !catalog.data) return (<><h1 tabIndex={-1}>{editing ? `Instance ${name}` : 'New instance'}</h1><Loading what="the form" /></>);
  if (catalog.error && !catalog.data) return (<><h1 tabIndex={-1}>{editing ? `Instance ${name}` : 'New instance'}</h1><ErrorAlert error={catalog.error} /></>);
  if (editing && catalog.data && catalog.data.instance === null) {
    return (
      <>
        <h1 tabIndex={-1}>Instance {name}</h1>
        <p className="alert alert-error" role="alert">
          There is no instance named {name}. <Link to="/instances">Back to the instances</Link>.
        </p>
      </>
    );
  }
  if (!form || !catalog.data) return <Loading what="the instance" />;

  const f = form;
  const cat = catalog.data;
  const shown = sectionsShown(f);
  const instance = cat.instance ?? undefined;
  const update = (patch: Partial<FormState>) => setForm({ ...f, ...patch });
  const saml = (patch: Partial<FormState['saml2']>) => setForm({ ...f, saml2: { ...f.saml2, ...patch } });
  const oidc = (patch: Partial<FormState['oidc']>) => setForm({ ...f, oidc: { ...f.oidc, ...patch } });
  const x509 = (patch: Partial<FormState['x509Trust']>) => setForm({ ...f, x509Trust: { ...f.x509Trust, ...patch } });
  const at = (patch: Partial<FormState['accessToken']>) => setForm({ ...f, accessToken: { ...f.accessToken, ...patch } });
  const tx = (patch: Partial<FormState['tokenExchange']>) => setForm({ ...f, tokenExchange: { ...f.tokenExchange, ...patch } });
  const plugged = cat.schema.tokenTypes.filter((t) => !BUILT_IN.includes(t));
  const inputKinds = [...INPUTS, ...plugged];
  const outputKinds = [...OUTPUTS, ...plugged];
  const setTransform = (row: number, patch: Partial<TransformRow>) => update({ transforms: f.transforms.map((t) => (t.row === row ? { ...t, ...patch } : t)) });
  const setTrust = (row: number, patch: Partial<TrustRow>) => update({ oidcTrust: f.oidcTrust.map((t) => (t.row === row ? { ...t, ...patch } : t)) });

  const validators = cat.customTokenTypes.filter((c) => c.hasValidator).map((c) => ({ value: c.tokenType, label: c.tokenType }));
  const providers = cat.customTokenTypes.filter((c) => c.hasProvider).map((c) => ({ value: c.tokenType, label: c.tokenType }));
  const samlJws = SAML_TO_JWS[f.saml2.signatureAlgorithm || `${XMLDSIG_MORE}rsa-sha256`];

  function applyMetadata(md: ReturnType<typeof parseSpMetadata>): string[] {
    const filled = [`Entity ID (audience): ${md.entityId}`];
    const next: FormState = { ...f, saml2: { ...f.saml2, spEntityId: md.entityId } };
    if (md.acsUrl) {
      next.saml2.spAcsUrl = md.acsUrl;
      filled.push(`Assertion consumer service URL: ${md.acsUrl}`);
    }
    if (md.encryptionCertificate) {
      next.saml2.spEncryptionCertificate = md.encryptionCertificate;
      filled.push(md.certificateFromUnspecifiedUse ? 'Encryption certificate (from a key descriptor for any use)' : 'Encryption certificate');
    }
    if (!f.transforms.some((t) => t.output === 'SAML2')) {
      next.transforms = [...f.transforms, transformRow('USERNAME', 'SAML2')];
      filled.push('A USERNAME → SAML2 transform, since no transform issued SAML2');
    }
    setForm(next);
    return filled;
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors(NO_ERRORS);
    let input: Record<string, unknown>;
    try {
      input = toInstanceInput(f);
    } catch (err) {
      if (err instanceof ClientFieldError) setErrors({ fields: { [err.field]: err.message }, general: 'Fix the field marked below.' });
      return;
    }
    setSaving(true);
    try {
      if (editing) {
        await api(`mutation UpdateInstance($name: String!, $input: InstanceInput!) { updateInstance(name: $name, input: $input) { id } }`, { name, input });
        const fresh = await api<{ instance: StsInstance | null }>(`query Instance($name: String!) { instance(name: $name) { ${instanceSelection(cat.schema)} } }`, { name });
        const stored = withExtra(fresh.instance, cat.schema);
        if (stored) setForm(formFromInstance(stored, cat.schema));
        catalog.reload();
        setNotice(`Instance ${name} was saved; the change is live.`);
      } else {
        const r = await api<{ publishInstance: { name: string } }>(`mutation PublishInstance($input: InstanceInput!) { publishInstance(input: $input) { name } }`, { input });
        setFlash(`Instance ${r.publishInstance.name} was published.`);
        navigate(`/instances/${r.publishInstance.name}`);
      }
    } catch (err) {
      setNotice(null);
      setErrors(formErrorsFrom(formRef.current, err, { CONFLICT: 'input.name' }));
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>{editing ? `Instance ${name}` : 'New instance'}</h1>
        <div className="page-actions">
          <Link className="btn btn-secondary" to="/instances">
            Back to the instances
          </Link>
          {instance && (
            <Link className="btn btn-secondary" to={`/try?instance=${encodeURIComponent(instance.name)}`}>
              Try it
            </Link>
          )}
        </div>
      </div>
      {instance && (
        <p className="lead">
          REST door: <code>{instance.endpoints.rest}</code>
          {instance.saml2 && (
            <>
              {' '}
              · <a href={instance.endpoints.samlMetadata} target="_blank" rel="noreferrer noopener">SAML metadata</a>
            </>
          )}
          {instance.saml2Trust && instance.saml2Trust.length > 0 && (
            <>
              {' '}
              · <a href={instance.endpoints.samlSpMetadata} target="_blank" rel="noreferrer noopener">SAML SP metadata</a>
            </>
          )}
          {instance.oidc && (
            <>
              {' '}
              · <a href={instance.endpoints.openidConfiguration} target="_blank" rel="noreferrer noopener">OpenID configuration</a>
            </>
          )}
        </p>
      )}
      {notice && <Notice>{notice}</Notice>}
      <MetadataImport open={!!fromMetadata} onParsed={applyMetadata} />
      <FieldErrorsProvider errors={errors.fields}>
        <form ref={formRef} className="form" onSubmit={submit} noValidate aria-busy={saving} aria-label={editing ? `Edit instance ${name}` : 'New instance'}>
          <FormAlert errors={errors} />
          <nav className="section-nav" aria-label="Form sections">
            <a href="#sec-general">General</a>
            <a href="#sec-transforms">Transforms</a>
            {shown.saml2 && <a href="#sec-saml2">SAML2</a>}
            {shown.saml2 && <a href="#sec-plugins">Plugins</a>}
            {shown.oidc && <a href="#sec-oidc">OIDC</a>}
            {shown.oidcTrust && <a href="#sec-trust">Trusted issuers</a>}
            {shown.accessToken && <a href="#sec-access-token">Access token</a>}
            <a href="#sec-exchange">Token exchange</a>
            {shown.oidcTrust && <a href="#sec-trust">Trusted issuers</a>}
            {shown.saml2Trust && <a href="#sec-saml2trust">Trusted IdPs</a>}
            {shown.x509Trust && <a href="#sec-x509">X.509</a>}
            {cat.schema.extraSections.map((x) => (
              <a key={x.key} href={`#sec-extra-${x.key}`}>
                {x.key}
              </a>
            ))}
          </nav>

          <Section title="General" id="sec-general">
            <TextField
              label="Name"
              field="input.name"
              value={f.name}
              onChange={(v) => update({ name: v })}
              readOnly={editing}
              required
              hint={editing ? 'The name is part of every URL of the instance and cannot change.' : 'Lower-case letters, digits and hyphens; it becomes part of the URLs (/rest-sts/<name>).'}
            />
            <Checkbox label="Record issued tokens (needed to validate and cancel them)" field="input.persistIssuedTokens" checked={f.persistIssuedTokens} onChange={(v) => update({ persistIssuedTokens: v })} />
            <TextField
              label="Caller roles"
              field="input.callerRoles"
              value={f.callerRoles}
              onChange={(v) => update({ callerRoles: v })}
              hint="Optional, comma-separated. When set, translate, validate and cancel need a session of a user holding one of these roles."
            />
            <TextField
              label="Realm"
              field="input.realm"
              value={f.realm}
              onChange={(v) => update({ realm: v })}
              placeholder="/ (the root realm)"
              hint="PingAM realm: the instance answers at /rest-sts/<realm path>/<name> (e.g. /alpha). Empty, / or root: the root realm."
            />
          </Section>

          <Section title="Transforms" field="input.transforms" id="sec-transforms" intro="Which tokens the instance accepts, and what it issues for each.">
            {f.transforms.map((t, i) => {
              const base = `input.transforms[${i}]`;
              return (
                <Section key={t.row} sub title={`Transform ${i + 1}`} field={base}>
                  <div className="row-grid">
                    <SelectField label="Input token" field={`${base}.input`} value={t.input} onChange={(v) => setTransform(t.row, { input: v as TokenType })} options={selectOrKeep(inputKinds.map((v) => ({ value: v, label: v })), t.input)} />
                    <SelectField label="Output token" field={`${base}.output`} value={t.output} onChange={(v) => setTransform(t.row, { output: v as TokenType })} options={selectOrKeep(outputKinds.map((v) => ({ value: v, label: v })), t.output)} />
                  </div>
                  {t.input === 'CUSTOM' && (
                    <SelectField label="Custom input type" field={`${base}.customInput`} value={t.customInput} onChange={(v) => setTransform(t.row, { customInput: v })} options={selectOrKeep([{ value: '', label: validators.length ? 'Choose a loaded validator' : 'No custom validator is loaded' }, ...validators], t.customInput)} />
                  )}
                  {t.output === 'CUSTOM' && (
                    <SelectField label="Custom output type" field={`${base}.customOutput`} value={t.customOutput} onChange={(v) => setTransform(t.row, { customOutput: v })} options={selectOrKeep([{ value: '', label: providers.length ? 'Choose a loaded provider' : 'No custom provider is loaded' }, ...providers], t.customOutput)} />
                  )}
                  <Checkbox label="End the input session after translating (SESSION input)" field={`${base}.invalidateInterimSession`} checked={t.invalidateInterimSession} onChange={(v) => setTransform(t.row, { invalidateInterimSession: v })} />
                  <Button className="btn btn-small btn-secondary" onClick={() => update({ transforms: f.transforms.filter((x) => x.row !== t.row) })} aria-label={`Remove transform ${i + 1}`}>
                    Remove transform
                  </Button>
                </Section>
              );
            })}
            <Button className="btn btn-small btn-secondary" onClick={() => update({ transforms: [...f.transforms, transformRow()] })}>
              Add transform
            </Button>
          </Section>

          {shown.saml2 && (
            <Section title="SAML2 output" field="input.saml2" id="sec-saml2" intro="How the instance's SAML 2.0 assertions look and for whom they are.">
              <TextField label="Issuer" field="input.saml2.issuer" value={f.saml2.issuer} onChange={(v) => saml({ issuer: v })} required hint="The <saml:Issuer>, usually this STS's entity ID." placeholder={`${window.location.origin}/sts/${f.name || 'name'}`} />
              <TextField label="SP entity ID (audience)" field="input.saml2.spEntityId" value={f.saml2.spEntityId} onChange={(v) => saml({ spEntityId: v })} required />
              <TextField label="SP assertion consumer service URL" field="input.saml2.spAcsUrl" value={f.saml2.spAcsUrl} onChange={(v) => saml({ spAcsUrl: v })} hint="The Recipient of bearer confirmations; optional." inputMode="url" />
              <TextField label="Name ID format" field="input.saml2.nameIdFormat" value={f.saml2.nameIdFormat} onChange={(v) => saml({ nameIdFormat: v })} list="name-id-formats" placeholder={NAME_ID_FORMATS[0]} />
              <datalist id="name-id-formats">
                {NAME_ID_FORMATS.map((n) => (
                  <option key={n} value={n} />
                ))}
              </datalist>
              <TextField label="Lifetime (seconds)" field="input.saml2.lifetimeSeconds" value={f.saml2.lifetimeSeconds} onChange={(v) => saml({ lifetimeSeconds: v })} inputMode="numeric" placeholder="600" hint="1 to 86400; 600 when empty." />
              <Checkbox label="Sign assertions" field="input.saml2.signAssertion" checked={f.saml2.signAssertion} onChange={(v) => saml({ signAssertion: v })} />
              {f.saml2.signAssertion && (
                <div className="row-grid">
                  <SelectField label="Signature algorithm" field="input.saml2.signatureAlgorithm" value={f.saml2.signatureAlgorithm} onChange={(v) => saml({ signatureAlgorithm: v })} options={selectOrKeep(SAML_SIG_ALGS, f.saml2.signatureAlgorithm)} />
                  <SelectField label="SAML signing key" field="input.saml2.signingKeyId" value={f.saml2.signingKeyId} onChange={(v) => saml({ signingKeyId: v })} options={keyOptions(cat.keys, samlJws, f.saml2.signingKeyId)} />
                </div>
              )}
              <fieldset className="subsection">
                <legend>Encryption</legend>
                <Checkbox label="Encrypt the whole assertion" field="input.saml2.encryptAssertion" checked={f.saml2.encryptAssertion} onChange={(v) => saml({ encryptAssertion: v })} />
                <Checkbox label="Encrypt the name ID" field="input.saml2.encryptNameId" checked={f.saml2.encryptNameId} onChange={(v) => saml({ encryptNameId: v })} />
                <Checkbox label="Encrypt the attributes" field="input.saml2.encryptAttributes" checked={f.saml2.encryptAttributes} onChange={(v) => saml({ encryptAttributes: v })} />
                <SelectField label="Data encryption algorithm" field="input.saml2.dataEncryptionAlgorithm" value={f.saml2.dataEncryptionAlgorithm} onChange={(v) => saml({ dataEncryptionAlgorithm: v })} options={selectOrKeep(DATA_ENC_ALGS, f.saml2.dataEncryptionAlgorithm)} />
                <SelectField label="Key transport algorithm" field="input.saml2.keyTransportAlgorithm" value={f.saml2.keyTransportAlgorithm} onChange={(v) => saml({ keyTransportAlgorithm: v })} options={selectOrKeep(KEY_TRANSPORT_ALGS, f.saml2.keyTransportAlgorithm)} />
                <TextArea label="SP encryption certificate (PEM)" field="input.saml2.spEncryptionCertificate" value={f.saml2.spEncryptionCertificate} onChange={(v) => saml({ spEncryptionCertificate: v })} rows={5} hint="An RSA certificate; required when anything is encrypted. Key transport is RSA-OAEP." placeholder="-----BEGIN CERTIFICATE-----" />
                <TextArea label="Holder-of-key trust (PEM)" field="input.saml2.holderOfKeyTrust" value={f.saml2.holderOfKeyTrust} onChange={(v) => saml({ holderOfKeyTrust: v })} rows={4} hint="Optional. HOLDER_OF_KEY certificates must be one of these or issued by one; empty: any parsable certificate valid now with an acceptable key." placeholder="-----BEGIN CERTIFICATE-----" />
              </fieldset>
              <Section sub title="Response envelope" field="input.saml2.envelope" intro="A samlp:Response around each assertion (Destination = the ACS URL, Issuer, Status Success), as SP libraries expect.">
                <Checkbox label="Wrap assertions in a samlp:Response" field="input.saml2.envelope.enabled" checked={f.saml2.envelopeEnabled} onChange={(v) => saml({ envelopeEnabled: v })} hint="A request's own envelope option overrides this." />
                <Checkbox label="Sign the Response too" field="input.saml2.envelope.signResponse" checked={f.saml2.signResponse} onChange={(v) => saml({ signResponse: v })} hint="With the assertion's key and algorithm, whenever a Response is issued." />
              </Section>
              <Section sub title="IdP metadata document" field="input.saml2.metadata" intro={<>How <code>saml-metadata.xml</code> of this instance is published.</>}>
                <Checkbox label="Sign the metadata document" field="input.saml2.metadata.sign" checked={f.saml2.signMetadata} onChange={(v) => saml({ signMetadata: v })} />
                <div className="row-grid">
                  <TextField label="Metadata validity (seconds)" field="input.saml2.metadata.validitySeconds" value={f.saml2.metadataValiditySeconds} onChange={(v) => saml({ metadataValiditySeconds: v })} inputMode="numeric" placeholder="604800" hint="validUntil = now + this; 60 to 31536000 (7 days when empty)." />
                  <TextField label="Metadata cache duration (seconds)" field="input.saml2.metadata.cacheDurationSeconds" value={f.saml2.metadataCacheDurationSeconds} onChange={(v) => saml({ metadataCacheDurationSeconds: v })} inputMode="numeric" placeholder="3600" hint="0 to 2592000 (an hour when empty)." />
                </div>
              </Section>
              <AttributeEditor field="input.saml2.attributeMap" rows={f.saml2.attributeMap} onChange={(rows) => saml({ attributeMap: rows })} />
            </Section>
          )}

          {shown.saml2 && (
            <Section title="SAML statement plugins" field="input.saml2.plugins" id="sec-plugins" intro="A plugin replaces the built-in statement of its kind.">
              <div className="row-grid">
                {PLUGIN_KINDS.map((k) => (
                  <SelectField
                    key={k}
                    label={PLUGIN_LABELS[k]}
                    field={`input.saml2.plugins.${k}`}
                    value={f.saml2.plugins[k]}
                    onChange={(v) => saml({ plugins: { ...f.saml2.plugins, [k]: v } })}
                    options={selectOrKeep(
                      [{ value: '', label: 'Built-in' }, ...cat.samlPlugins.filter((p) => p.statement === k && !p.builtIn).map((p) => ({ value: p.name, label: p.description ? `${p.name} — ${p.description}` : p.name }))],
                      f.saml2.plugins[k],
                    )}
                  />
                ))}
              </div>
            </Section>
          )}

          {shown.oidc && (
            <Section title="OIDC output" field="input.oidc" id="sec-oidc" intro="The ID tokens the instance issues.">
              <TextField label="OIDC issuer" field="input.oidc.issuer" value={f.oidc.issuer} onChange={(v) => oidc({ issuer: v })} hint="Empty: this instance's URL, which discovery clients expect." placeholder={`${window.location.origin}/sts/${f.name || 'name'}`} />
              <TextField label="Audience" field="input.oidc.audience" value={f.oidc.audience} onChange={(v) => oidc({ audience: v })} required hint="The aud values, comma-separated; at least one." />
              <TextField label="Authorized party (azp)" field="input.oidc.authorizedParty" value={f.oidc.authorizedParty} onChange={(v) => oidc({ authorizedParty: v })} />
              <div className="row-grid">
                <SelectField label="OIDC signature algorithm" field="input.oidc.signatureAlgorithm" value={f.oidc.signatureAlgorithm} onChange={(v) => oidc({ signatureAlgorithm: v })} options={selectOrKeep(OIDC_ALGS, f.oidc.signatureAlgorithm)} />
                {f.oidc.signatureAlgorithm !== 'HS256' && (
                  <SelectField label="OIDC signing key" field="input.oidc.signingKeyId" value={f.oidc.signingKeyId} onChange={(v) => oidc({ signingKeyId: v })} options={keyOptions(cat.keys, f.oidc.signatureAlgorithm || 'RS256', f.oidc.signingKeyId)} />
                )}
              </div>
              {f.oidc.signatureAlgorithm === 'HS256' && (
                <TextField
                  label="Client secret"
                  type="password"
                  autoComplete="new-password"
                  field="input.oidc.clientSecret"
                  value={f.oidc.clientSecret}
                  onChange={(v) => oidc({ clientSecret: v })}
                  hint={f.oidc.hasClientSecret ? 'A secret is stored and never shown; leave this empty to keep it.' : 'At least 32 bytes, shared with the relying party.'}
                />
              )}
              <TextField label="OIDC lifetime (seconds)" field="input.oidc.lifetimeSeconds" value={f.oidc.lifetimeSeconds} onChange={(v) => oidc({ lifetimeSeconds: v })} inputMode="numeric" placeholder="600" hint="1 to 86400; 600 when empty." />
              <MapEditor
                field="input.oidc.claimMap"
                label="Claims"
                keyLabel="Claim"
                valueLabel="Claim from user attribute"
                rows={f.oidc.claimMap}
                onChange={(rows) => oidc({ claimMap: rows })}
                hint="Extra claims and the user attribute each carries; registered claims (iss, sub, aud, exp…) are set by Tessera."
              />
            </Section>
          )}

          {shown.oidcTrust && (
            <Section title="Trusted OIDC issuers" field="input.oidcTrust" id="sec-trust" intro="ID tokens (and, where allowed, JWT access tokens) accepted as input: from these issuers only, checked with their keys.">
              {f.oidcTrust.map((t, i) => {
                const base = `input.oidcTrust[${i}]`;
                return (
                  <Section key={t.row} sub title={`Issuer ${i + 1}`} field={base}>
                    <TextField label="Issuer (iss)" field={`${base}.issuer`} value={t.issuer} onChange={(v) => setTrust(t.row, { issuer: v })} required />
                    <TextField label="Accepted audiences" field={`${base}.audience`} value={t.audience} onChange={(v) => setTrust(t.row, { audience: v })} required hint="Comma-separated aud values." />
                    <TextField label="Authorized parties" field={`${base}.authorizedParties`} value={t.authorizedParties} onChange={(v) => setTrust(t.row, { authorizedParties: v })} hint="Optional; when set, azp must be one of them." />
                    <Checkbox
                      label={`Accept access tokens from issuer ${i + 1}`}
                      field={`${base}.acceptAccessTokens`}
                      checked={t.acceptAccessTokens}
                      onChange={(v) => setTrust(t.row, { acceptAccessTokens: v })}
                      hint="Its JWT access tokens (RFC 9068, typ at+jwt) are taken as ACCESS_TOKEN input, besides its ID tokens."
                    />
                    <SelectField
                      label="Key source"
                      id={`trust-source-${t.row}`}
                      value={t.keySource}
                      onChange={(v) => setTrust(t.row, { keySource: v as TrustRow['keySource'] })}
                      options={[
                        { value: 'jwksUri', label: 'JWKS URL' },
                        { value: 'jwks', label: 'JWKS document' },
                        { value: 'clientSecret', label: 'Shared secret (HS256)' },
                      ]}
                    />
                    {t.keySource === 'jwksUri' && <TextField label="JWKS URL" field={`${base}.jwksUri`} value={t.jwksUri} onChange={(v) => setTrust(t.row, { jwksUri: v })} inputMode="url" />}
                    {t.keySource === 'jwks' && <TextArea label="JWKS document (JSON)" field={`${base}.jwks`} value={t.jwks} onChange={(v) => setTrust(t.row, { jwks: v })} rows={6} placeholder='{"keys": [...]}' />}
                    {t.keySource === 'clientSecret' && (
                      <TextField
                        label="Shared secret"
                        type="password"
                        autoComplete="new-password"
                        field={`${base}.clientSecret`}
                        value={t.clientSecret}
                        onChange={(v) => setTrust(t.row, { clientSecret: v })}
                        hint={t.hasClientSecret ? 'A secret is stored and never shown; leave this empty to keep it.' : 'At least 32 bytes.'}
                      />
                    )}
                    <Button className="btn btn-small btn-secondary" onClick={() => update({ oidcTrust: f.oidcTrust.filter((x) => x.row !== t.row) })} aria-label={`Remove issuer ${i + 1}`}>
                      Remove issuer
                    </Button>
                  </Section>
                );
              })}
              <Button className="btn btn-small btn-secondary" onClick={() => update({ oidcTrust: [...f.oidcTrust, trustRow()] })}>
                Add trusted issuer
              </Button>
            </Section>
          )}

          {shown.saml2Trust && <Saml2TrustEditor rows={f.saml2Trust} onChange={(rows) => update({ saml2Trust: rows })} />}

          {shown.accessToken && (
            <Section title="Access token output" field="input.accessToken" id="sec-access-token" intro="The JWT access tokens (RFC 9068, typ at+jwt) the instance issues.">
              <TextField label="Access token issuer" field="input.accessToken.issuer" value={f.accessToken.issuer} onChange={(v) => at({ issuer: v })} hint="Empty: this instance's URL." placeholder={`${window.location.origin}/sts/${f.name || 'name'}`} />
              <TextField label="Access token audience" field="input.accessToken.audience" value={f.accessToken.audience} onChange={(v) => at({ audience: v })} required hint="The aud when a request names none, comma-separated; at least one." />
              <div className="row-grid">
                <SelectField label="Access token signature algorithm" field="input.accessToken.signatureAlgorithm" value={f.accessToken.signatureAlgorithm} onChange={(v) => at({ signatureAlgorithm: v })} options={selectOrKeep(ACCESS_TOKEN_ALGS, f.accessToken.signatureAlgorithm)} />
                <SelectField label="Access token signing key" field="input.accessToken.signingKeyId" value={f.accessToken.signingKeyId} onChange={(v) => at({ signingKeyId: v })} options={keyOptions(cat.keys, f.accessToken.signatureAlgorithm || 'RS256', f.accessToken.signingKeyId)} />
              </div>
              <TextField label="Access token lifetime (seconds)" field="input.accessToken.lifetimeSeconds" value={f.accessToken.lifetimeSeconds} onChange={(v) => at({ lifetimeSeconds: v })} inputMode="numeric" placeholder="600" hint="1 to 86400, whatever the subject token's; 600 when empty." />
              <MapEditor
                field="input.accessToken.claimMap"
                label="Access token claims"
                keyLabel="Access token claim"
                valueLabel="Its user attribute"
                rows={f.accessToken.claimMap}
                onChange={(rows) => at({ claimMap: rows })}
                hint="Extra claims and the user attribute each carries; registered claims are set by Tessera."
              />
            </Section>
          )}

          <Section title="Token exchange (RFC 8693)" field="input.tokenExchange" id="sec-exchange" intro="What the instance's token endpoint (POST /sts/<name>/token and POST /token) issues tokens for, and whether one party may act for another.">
            <Checkbox label="Offer token exchange" id="tx-enabled" checked={f.tokenExchange.enabled} onChange={(v) => tx({ enabled: v })} hint="Off: the instance has no token endpoint configuration." />
            {f.tokenExchange.enabled && (
              <>
                <TextField label="Exchange audiences" field="input.tokenExchange.audiences" value={f.tokenExchange.audiences} onChange={(v) => tx({ audiences: v })} hint="Logical audience names a client may request, comma-separated; POST /token picks the instance by them." />
                <TextField label="Exchange resources" field="input.tokenExchange.resources" value={f.tokenExchange.resources} onChange={(v) => tx({ resources: v })} hint="Resource indicators (RFC 8707): absolute URIs without a fragment, comma-separated." inputMode="url" />
                <TextField label="Exchange scopes" field="input.tokenExchange.scopes" value={f.tokenExchange.scopes} onChange={(v) => tx({ scopes: v })} hint="Scopes an access token may carry, separated by spaces or commas; a request for others is invalid_scope." />
                <Section sub title="Delegation" field="input.tokenExchange.delegation">
                  <Checkbox label="Allow delegation (actor tokens)" field="input.tokenExchange.delegation.allowed" checked={f.tokenExchange.delegationAllowed} onChange={(v) => tx({ delegationAllowed: v })} hint="The issued JWT names the actor in act; off: an actor token is invalid_request." />
                  <Checkbox label="Require may_act" field="input.tokenExchange.delegation.requireMayAct" checked={f.tokenExchange.requireMayAct} onChange={(v) => tx({ requireMayAct: v })} hint="The subject token must name the actor in its may_act claim (RFC 8693 §4.4)." />
                  <TextField label="Maximum delegation chain depth" field="input.tokenExchange.delegation.maxChainDepth" value={f.tokenExchange.maxChainDepth} onChange={(v) => tx({ maxChainDepth: v })} inputMode="numeric" placeholder="3" hint="The most act levels an issued token may carry, 1 to 10; 3 when empty." />
                </Section>
              </>
            )}
          </Section>

          {cat.schema.extraSections.map((x) => (
            <Section key={x.key} title={`${x.key} (JSON)`} id={`sec-extra-${x.key}`} intro={x.description ?? undefined}>
              <TextArea
                label={`${x.key} settings (JSON)`}
                field={`input.${x.key}`}
                value={f.extra[x.key] ?? ''}
                onChange={(v) => update({ extra: { ...f.extra, [x.key]: v } })}
                rows={6}
                placeholder="{ }"
                hint={
                  <>
                    A section a token kind plugin adds: edited as JSON and sent as written (empty: none). Write-only values such as secrets are never shown; give them again if the section requires them.
                    {jsonProblem(f.extra[x.key] ?? '') && <strong className="json-state"> Not valid JSON yet: {jsonProblem(f.extra[x.key] ?? '')}</strong>}
                  </>
                }
              />
            </Section>
          ))}

          {shown.x509Trust && (
            <Section title="X.509 trust" field="input.x509Trust" id="sec-x509" intro="Client certificates accepted as input: they must chain to one of these CAs and prove possession of their key.">
              <TextArea label="CA certificates (PEM)" field="input.x509Trust.caCertificates" value={f.x509Trust.caCertificates} onChange={(v) => x509({ caCertificates: v })} rows={6} required hint="One or more PEM certificates, one after the other." placeholder="-----BEGIN CERTIFICATE-----" />
              <TextField label="Offload header" field="input.x509Trust.offloadHeader" value={f.x509Trust.offloadHeader} onChange={(v) => x509({ offloadHeader: v })} hint="REST only: the header in which a TLS proxy passes the client certificate." />
              <TextField label="Trusted proxies" field="input.x509Trust.trustedProxies" value={f.x509Trust.trustedProxies} onChange={(v) => x509({ trustedProxies: v })} hint="Addresses or CIDR blocks allowed to set that header, comma-separated; give both or neither." />
            </Section>
          )}

          <div className="actions">
            <Button type="submit" className="btn btn-primary" busy={saving} busyLabel={editing ? 'Saving…' : 'Publishing…'}>
              {editing ? 'Save changes' : 'Publish instance'}
            </Button>
            <Link className="btn btn-secondary" to="/instances">
              Cancel
            </Link>
          </div>
        </form>
      </FieldErrorsProvider>
    </>
  );
}

