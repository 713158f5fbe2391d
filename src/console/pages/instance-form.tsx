/**
 * Create or edit an instance: one form, a section per part of the configuration. Sections appear when a
 * transform needs them (a SAML2 output needs the SAML2 section, an OPENIDCONNECT input needs trusted issuers…).
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { setFlash, takeFlash } from '../lib/flash';
import {
  ClientFieldError,
  emptyForm,
  formFromInstance,
  rowId,
  sectionsShown,
  toInstanceInput,
  transformRow,
  trustRow,
  type FormState,
  type MapRow,
  type TransformRow,
  type TrustRow,
} from '../lib/instance-model';
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

const INPUTS: TokenType[] = ['USERNAME', 'OPENIDCONNECT', 'X509', 'SESSION', 'CUSTOM'];
const OUTPUTS: TokenType[] = ['OPENIDCONNECT', 'SAML2', 'CUSTOM'];
const XMLDSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';
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
    const d = await api<Catalog>(
      `query InstanceForm($name: String!, $editing: Boolean!) {
        keys { ${KEY_FIELDS} }
        samlPlugins { name statement builtIn description }
        customTokenTypes { tokenType hasValidator hasProvider }
        instance(name: $name) @include(if: $editing) { ${INSTANCE_FIELDS} }
      }`,
      { name: name ?? '', editing },
    );
    return d;
  }, [name]);
  const [form, setForm] = useState<FormState | null>(editing ? null : emptyForm(fromMetadata ? 'SAML2' : 'OPENIDCONNECT'));
  const [errors, setErrors] = useState<FormErrorState>(NO_ERRORS);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(() => takeFlash());
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, errors);

  useEffect(() => {
    if (editing && catalog.data?.instance && !form) setForm(formFromInstance(catalog.data.instance));
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
        const fresh = await api<{ instance: StsInstance | null }>(`query Instance($name: String!) { instance(name: $name) { ${INSTANCE_FIELDS} } }`, { name });
        if (fresh.instance) setForm(formFromInstance(fresh.instance));
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
            {shown.x509Trust && <a href="#sec-x509">X.509</a>}
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
          </Section>

          <Section title="Transforms" field="input.transforms" id="sec-transforms" intro="Which tokens the instance accepts, and what it issues for each.">
            {f.transforms.map((t, i) => {
              const base = `input.transforms[${i}]`;
              return (
                <Section key={t.row} sub title={`Transform ${i + 1}`} field={base}>
                  <div className="row-grid">
                    <SelectField label="Input token" field={`${base}.input`} value={t.input} onChange={(v) => setTransform(t.row, { input: v as TokenType })} options={INPUTS.map((v) => ({ value: v, label: v }))} />
                    <SelectField label="Output token" field={`${base}.output`} value={t.output} onChange={(v) => setTransform(t.row, { output: v as TokenType })} options={OUTPUTS.map((v) => ({ value: v, label: v }))} />
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
                <TextArea label="SP encryption certificate (PEM)" field="input.saml2.spEncryptionCertificate" value={f.saml2.spEncryptionCertificate} onChange={(v) => saml({ spEncryptionCertificate: v })} rows={5} hint="An RSA certificate; required when anything is encrypted. Key transport is RSA-OAEP." placeholder="-----BEGIN CERTIFICATE-----" />
              </fieldset>
              <MapEditor
                field="input.saml2.attributeMap"
                label="Attributes"
                keyLabel="SAML attribute"
                valueLabel="From user attribute"
                rows={f.saml2.attributeMap}
                onChange={(rows) => saml({ attributeMap: rows })}
                hint="Each SAML attribute and the user attribute it carries."
              />
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
                valueLabel="From user attribute"
                rows={f.oidc.claimMap}
                onChange={(rows) => oidc({ claimMap: rows })}
                hint="Extra claims and the user attribute each carries; registered claims (iss, sub, aud, exp…) are set by Tessera."
              />
            </Section>
          )}

          {shown.oidcTrust && (
            <Section title="Trusted OIDC issuers" field="input.oidcTrust" id="sec-trust" intro="ID tokens accepted as input: from these issuers only, checked with their keys.">
              {f.oidcTrust.map((t, i) => {
                const base = `input.oidcTrust[${i}]`;
                return (
                  <Section key={t.row} sub title={`Issuer ${i + 1}`} field={base}>
                    <TextField label="Issuer (iss)" field={`${base}.issuer`} value={t.issuer} onChange={(v) => setTrust(t.row, { issuer: v })} required />
                    <TextField label="Accepted audiences" field={`${base}.audience`} value={t.audience} onChange={(v) => setTrust(t.row, { audience: v })} required hint="Comma-separated aud values." />
                    <TextField label="Authorized parties" field={`${base}.authorizedParties`} value={t.authorizedParties} onChange={(v) => setTrust(t.row, { authorizedParties: v })} hint="Optional; when set, azp must be one of them." />
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

