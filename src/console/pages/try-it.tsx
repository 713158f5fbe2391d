/**
 * Translate a token through an instance and look at the result: a JWT's header and claims decoded here, a SAML
 * assertion pretty-printed with the signature status the server reports; then validate or cancel it.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { rememberIssued } from '../lib/issued-memory';
import { CLAIM_NAMES, decodeJwtUnverified, TIME_CLAIMS } from '../lib/jwt';
import { useApi } from '../lib/session';
import { checkType, transformLabel, type StsInstance, type TokenValidation, type TranslatedToken } from '../lib/types';
import { parseXml, summarizeAssertion, XmlView } from '../lib/xml-view';
import {
  Badge,
  Button,
  Checkbox,
  ConfirmDialog,
  CopyButton,
  ErrorAlert,
  FieldErrorsProvider,
  FormAlert,
  formErrorsFrom,
  Loading,
  NO_ERRORS,
  Section,
  SelectField,
  splitList,
  TextArea,
  TextField,
  Time,
  useFocusFirstError,
  useLoad,
  type FormErrorState,
} from '../ui/components';

type TryInstance = Pick<StsInstance, 'name' | 'transforms' | 'persistIssuedTokens' | 'callerRoles'> & {
  tokenExchange: { scopes: string[] | null; delegation: { allowed: boolean } } | null;
  saml2: { envelope: { enabled: boolean } | null } | null;
  accessToken: { audience: string[] } | null;
};

/** The kinds an actor token may be (RFC 8693 §2.1 actor_token): the field each takes it in. */
const ACTOR_KINDS: Array<{ type: string; field: string; label: string }> = [
  { type: 'ACCESS_TOKEN', field: 'accessToken', label: 'Access token (JWT)' },
  { type: 'OPENIDCONNECT', field: 'idToken', label: 'ID token' },
  { type: 'SAML2', field: 'samlAssertion', label: 'SAML assertion (XML)' },
  { type: 'SESSION', field: 'sessionToken', label: 'Session token' },
];

interface Inputs {
  username: string;
  password: string;
  idToken: string;
  certificate: string;
  proof: string;
  sessionToken: string;
  customToken: string;
  accessToken: string;
  samlAssertion: string;
  subjectConfirmation: string;
  proofCertificate: string;
  nonce: string;
  audience: string;
  scope: string;
  envelope: '' | 'true' | 'false';
  inResponseTo: string;
  useActor: boolean;
  actorType: string;
  actorToken: string;
}

const EMPTY: Inputs = {
  username: '', password: '', idToken: '', certificate: '', proof: '', sessionToken: '', customToken: '', accessToken: '', samlAssertion: '',
  subjectConfirmation: 'BEARER', proofCertificate: '', nonce: '', audience: '', scope: '', envelope: '', inResponseTo: '',
  useActor: false, actorType: 'ACCESS_TOKEN', actorToken: '',
};

const REASONS: Record<string, string> = {
  EXPIRED: 'The token has expired.',
  CANCELLED: 'The token was cancelled.',
  BAD_SIGNATURE: "The signature does not verify with this instance's keys.",
  UNKNOWN: 'Tessera has no record of issuing this token on this instance.',
  MALFORMED: 'The token is not well formed.',
};

function claimValue(name: string, v: unknown) {
  if (TIME_CLAIMS.has(name) && typeof v === 'number') {
    return (
      <>
        <Time value={new Date(v * 1000).toISOString()} /> <span className="muted small">({v})</span>
      </>
    );
  }
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
  return <code>{JSON.stringify(v)}</code>;
}

function ClaimsTable({ caption, values }: { caption: string; values: Record<string, unknown> }) {
  return (
    <table className="table table-compact">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(values).map(([k, v]) => (
          <tr key={k}>
            <th scope="row" data-label="Name">
              <code>{k}</code>
              {CLAIM_NAMES[k] && <span className="muted small"> {CLAIM_NAMES[k]}</span>}
            </th>
            <td data-label="Value">{claimValue(k, v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ValidationView({ v, label }: { v: TokenValidation; label: string }) {
  return (
    <div className={`alert ${v.valid ? 'alert-ok' : 'alert-error'}`} role="status" aria-label={label}>
      <Badge tone={v.valid ? 'ok' : 'bad'}>{v.valid ? 'VALID' : (v.reason ?? 'INVALID')}</Badge>{' '}
      {v.valid ? 'Tessera verified the signature, the record and the expiry.' : (REASONS[v.reason ?? ''] ?? 'The token is not valid.')}
      {v.subject && (
        <>
          {' '}
          Subject: <strong>{v.subject}</strong>.
        </>
      )}
      {v.expiresAt && (
        <>
          {' '}
          Expires <Time value={v.expiresAt} />.
        </>
      )}
    </div>
  );
}

function Decoded({ result }: { result: TranslatedToken }) {
  if (result.type === 'OPENIDCONNECT' || result.type === 'ACCESS_TOKEN') {
    const jwt = decodeJwtUnverified(result.token);
    if (!jwt) return <p className="alert alert-error">The token is not a compact JWS.</p>;
    return (
      <div className="decoded">
        <p className="hint">Decoded here in the browser, without checking the signature: use Validate to have Tessera check it.</p>
        <ClaimsTable caption="JWT header" values={jwt.header} />
        <ClaimsTable caption="JWT claims" values={jwt.claims} />
      </div>
    );
  }
  if (result.type === 'SAML2') {
    const text = result.token.trim().startsWith('<') ? result.token : (() => { try { return atob(result.token); } catch { return result.token; } })();
    const doc = parseXml(text);
    if (!doc) return <p className="alert alert-error">The assertion is not well-formed XML.</p>;
    const s = summarizeAssertion(doc);
    return (
      <div className="decoded">
        {s.encrypted ? (
          <p className="hint">The assertion is encrypted for the SP: only its holder of the private key can read its content.</p>
        ) : (
          <table className="table table-compact">
            <caption>SAML assertion</caption>
            <tbody>
              {s.rows.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row" data-label="Field">{k}</th>
                  <td data-label="Value">{v}</td>
                </tr>
              ))}
              {s.attributes.map(([k, v]) => (
                <tr key={`attr-${k}`}>
                  <th scope="row" data-label="Attribute">Attribute {k}</th>
                  <td data-label="Value">{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3>XML</h3>
        <XmlView doc={doc} label="The assertion's XML" />
      </div>
    );
  }
  return (
    <div className="decoded">
      <p className="hint">A custom token: shown as the provider issued it.</p>
    </div>
  );
}

export function TryItPage({ initialInstance }: { initialInstance?: string }) {
  const api = useApi();
  const list = useLoad(
    () =>
      api<{ instances: TryInstance[] }>(
        `query TryInstances { instances { name persistIssuedTokens callerRoles transforms { input output invalidateInterimSession customInput customOutput }
          tokenExchange { scopes delegation { allowed } } saml2 { envelope { enabled } } accessToken { audience } } }`,
      ).then(
        (d) => d.instances,
      ),
    [],
  );
  const [instanceName, setInstanceName] = useState(initialInstance ?? '');
  const [transformIndex, setTransformIndex] = useState('0');
  const [v, setV] = useState<Inputs>(EMPTY);
  const [errors, setErrors] = useState<FormErrorState>(NO_ERRORS);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ instance: string; token: TranslatedToken } | null>(null);
  const [validation, setValidation] = useState<TokenValidation | null>(null);
  const [checking, setChecking] = useState(false);
  const [checkError, setCheckError] = useState<unknown>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [cancelled, setCancelled] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);
  useFocusFirstError(formRef, errors);

  const instances = list.data ?? [];
  const instance = instances.find((i) => i.name === instanceName) ?? instances[0];
  useEffect(() => {
    if (instance && instance.name !== instanceName) setInstanceName(instance.name);
  }, [instance, instanceName]);
  const transform = instance?.transforms[Number(transformIndex)] ?? instance?.transforms[0];
  const set = (patch: Partial<Inputs>) => setV({ ...v, ...patch });

  async function validate(token: TranslatedToken, name: string) {
    setChecking(true);
    setCheckError(null);
    try {
      const r = await api<{ validateToken: TokenValidation }>(
        'mutation Validate($instance: String!, $type: TokenType!, $token: String!) { validateToken(instance: $instance, type: $type, token: $token) { valid reason subject expiresAt } }',
        { instance: name, type: checkType(token.type), token: token.token },
      );
      setValidation(r.validateToken);
    } catch (e) {
      setCheckError(e);
    } finally {
      setChecking(false);
    }
  }

  async function translate(e: FormEvent) {
    e.preventDefault();
    if (!instance || !transform) return;
    setErrors(NO_ERRORS);
    setResult(null);
    setValidation(null);
    setCheckError(null);
    setCancelled(false);
    const input: Record<string, unknown> = { type: transform.input };
    switch (transform.input) {
      case 'USERNAME':
        Object.assign(input, { username: v.username, password: v.password });
        break;
      case 'OPENIDCONNECT':
        input.idToken = v.idToken.trim();
        break;
      case 'X509':
        Object.assign(input, { certificate: v.certificate.trim(), proof: v.proof.trim() || undefined });
        break;
      case 'SESSION':
        input.sessionToken = v.sessionToken.trim();
        break;
      case 'ACCESS_TOKEN':
        input.accessToken = v.accessToken.trim();
        break;
      case 'SAML2':
        input.samlAssertion = v.samlAssertion.trim();
        break;
      case 'CUSTOM':
        input.customType = transform.customInput;
        try {
          input.customToken = v.customToken.trim() ? JSON.parse(v.customToken) : undefined;
        } catch {
          setErrors({ fields: { 'input.customToken': 'Is not valid JSON.' }, general: 'Fix the field marked below.' });
          return;
        }
        break;
    }
    const output: Record<string, unknown> = { type: transform.output };
    const audience = splitList(v.audience);
    if (audience.length > 0 && ['SAML2', 'OPENIDCONNECT', 'ACCESS_TOKEN'].includes(transform.output)) output.audience = audience;
    if (transform.output === 'SAML2') {
      output.subjectConfirmation = v.subjectConfirmation;
      if (v.subjectConfirmation === 'HOLDER_OF_KEY' && v.proofCertificate.trim()) output.proofCertificate = v.proofCertificate.trim();
      if (v.envelope) output.envelope = v.envelope === 'true';
      if (v.inResponseTo.trim()) output.inResponseTo = v.inResponseTo.trim();
    } else if (transform.output === 'OPENIDCONNECT') {
      if (v.nonce.trim()) output.nonce = v.nonce.trim();
    } else if (transform.output === 'ACCESS_TOKEN') {
      if (v.scope.trim()) output.scope = splitList(v.scope).join(' ');
    } else {
      output.customType = transform.customOutput;
    }
    let actor: Record<string, unknown> | undefined;
    if (v.useActor) {
      const kind = ACTOR_KINDS.find((k) => k.type === v.actorType) ?? ACTOR_KINDS[0]!;
      actor = { type: kind.type, [kind.field]: v.actorToken.trim() };
    }
    setBusy(true);
    try {
      const r = await api<{ translateToken: TranslatedToken }>(
        'mutation Translate($instance: String!, $input: TokenInput!, $output: TokenOutput!, $actor: TokenInput) { translateToken(instance: $instance, input: $input, output: $output, actor: $actor) { token type tokenId subject issuedAt expiresAt } }',
        { instance: instance.name, input, output, actor: actor ?? null },
      );
      const token = r.translateToken;
      rememberIssued(token.tokenId, { token: token.token, instance: instance.name, type: token.type });
      setResult({ instance: instance.name, token });
      setTimeout(() => resultRef.current?.focus(), 0);
      // The signature status belongs with a SAML assertion from the start: XML signatures cannot be read by eye.
      if (token.type === 'SAML2' && instance.persistIssuedTokens) await validate(token, instance.name);
    } catch (err) {
      setErrors(formErrorsFrom(formRef.current, err));
    } finally {
      setBusy(false);
    }
  }

  if (list.loading && !list.data) return (<><h1 tabIndex={-1}>Try it</h1><Loading what="instances" /></>);
  if (list.error && !list.data) return (<><h1 tabIndex={-1}>Try it</h1><ErrorAlert error={list.error} /></>);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Try it</h1>
      </div>
      <p className="lead">Translate a token through an instance, as a client would, and look at what it issues.</p>
      {instances.length === 0 && <p className="empty">There is no instance to try yet.</p>}
      {instance && transform && (
        <FieldErrorsProvider errors={errors.fields}>
          <form ref={formRef} className="card form" onSubmit={translate} noValidate aria-busy={busy} aria-label="Translate a token">
            <FormAlert errors={errors} />
            <div className="row-grid">
              <SelectField
                id="try-instance"
                label="Instance"
                value={instance.name}
                onChange={(n) => {
                  setInstanceName(n);
                  setTransformIndex('0');
                  setResult(null);
                  setErrors(NO_ERRORS);
                }}
                options={instances.map((i) => ({ value: i.name, label: i.name }))}
              />
              <SelectField
                id="try-transform"
                label="Transform"
                value={String(instance.transforms.indexOf(transform))}
                onChange={(t) => {
                  setTransformIndex(t);
                  setErrors(NO_ERRORS);
                }}
                options={instance.transforms.map((t, n) => ({ value: String(n), label: transformLabel(t) }))}
              />
            </div>
            {instance.callerRoles && <p className="hint">This instance needs a caller with role {instance.callerRoles.join(' or ')}; the console calls it with your session.</p>}
            <fieldset className="subsection">
              <legend>Input: {transform.customInput ?? transform.input}</legend>
              {transform.input === 'USERNAME' && (
                <div className="row-grid">
                  <TextField label="Username" field="input.username" value={v.username} onChange={(x) => set({ username: x })} />
                  <TextField label="Password" field="input.password" type="password" value={v.password} onChange={(x) => set({ password: x })} autoComplete="off" />
                </div>
              )}
              {transform.input === 'OPENIDCONNECT' && <TextArea label="ID token" field="input.idToken" value={v.idToken} onChange={(x) => set({ idToken: x })} rows={5} placeholder="eyJ…" />}
              {transform.input === 'X509' && (
                <>
                  <TextArea label="Client certificate (PEM)" field="input.certificate" value={v.certificate} onChange={(x) => set({ certificate: x })} rows={5} hint="The leaf, optionally followed by up to 4 chain certificates." />
                  <TextArea label="Proof of possession (JWS)" field="input.proof" value={v.proof} onChange={(x) => set({ proof: x })} rows={3} hint={`A compact JWS by the certificate's key: header {"typ":"tessera-pop+jwt"}, payload {"aud":"${instance.name}","iat":…,"jti":"…"}.`} />
                </>
              )}
              {transform.input === 'SESSION' && (
                <TextField label="Session token" field="input.sessionToken" value={v.sessionToken} onChange={(x) => set({ sessionToken: x })} hint={transform.invalidateInterimSession ? 'This transform ends the session it is given.' : undefined} />
              )}
              {transform.input === 'ACCESS_TOKEN' && (
                <TextArea label="Access token" field="input.accessToken" value={v.accessToken} onChange={(x) => set({ accessToken: x })} rows={5} placeholder="eyJ…" hint="A JWT access token (typ at+jwt) from a trusted issuer that accepts access tokens." />
              )}
              {transform.input === 'SAML2' && (
                <TextArea
                  label="SAML assertion (XML)"
                  field="input.samlAssertion"
                  value={v.samlAssertion}
                  onChange={(x) => set({ samlAssertion: x })}
                  rows={8}
                  placeholder="<saml:Assertion …> or <samlp:Response …>"
                  hint="A signed assertion (or EncryptedAssertion, or a Response carrying one) from a trusted identity provider. Each assertion ID is accepted once."
                />
              )}
              {transform.input === 'CUSTOM' && (
                <TextArea label={`${transform.customInput} token (JSON)`} field="input.customToken" value={v.customToken} onChange={(x) => set({ customToken: x })} rows={5} hint="Passed to the custom validator as it is." />
              )}
            </fieldset>
            <fieldset className="subsection">
              <legend>Output: {transform.customOutput ?? transform.output}</legend>
              {transform.output === 'SAML2' && (
                <>
                  <SelectField
                    label="Subject confirmation"
                    field="output.subjectConfirmation"
                    value={v.subjectConfirmation}
                    onChange={(x) => set({ subjectConfirmation: x })}
                    options={[
                      { value: 'BEARER', label: 'Bearer' },
                      { value: 'HOLDER_OF_KEY', label: 'Holder of key' },
                      { value: 'SENDER_VOUCHES', label: 'Sender vouches (you are the sender)' },
                    ]}
                  />
                  {v.subjectConfirmation === 'HOLDER_OF_KEY' && (
                    <TextArea label="Proof certificate (PEM)" field="output.proofCertificate" value={v.proofCertificate} onChange={(x) => set({ proofCertificate: x })} rows={4} hint="The key the subject holds; for X509 input it defaults to the input certificate." />
                  )}
                </>
              )}
              {transform.output === 'SAML2' && (
                <div className="row-grid">
                  <SelectField
                    label="Response envelope"
                    field="output.envelope"
                    value={v.envelope}
                    onChange={(x) => set({ envelope: x as Inputs['envelope'] })}
                    options={[
                      { value: '', label: `The instance's setting (${instance.saml2?.envelope?.enabled ? 'wrap' : 'bare assertion'})` },
                      { value: 'true', label: 'Wrap in a samlp:Response' },
                      { value: 'false', label: 'The bare assertion' },
                    ]}
                  />
                  <TextField label="In response to" field="output.inResponseTo" value={v.inResponseTo} onChange={(x) => set({ inResponseTo: x })} hint="Optional: the SP's AuthnRequest ID." />
                </div>
              )}
              {transform.output === 'OPENIDCONNECT' && <TextField label="Nonce" field="output.nonce" value={v.nonce} onChange={(x) => set({ nonce: x })} hint="Optional." />}
              {transform.output === 'ACCESS_TOKEN' && (
                <TextField
                  label="Scope"
                  field="output.scope"
                  value={v.scope}
                  onChange={(x) => set({ scope: x })}
                  list="try-scopes"
                  hint={instance.tokenExchange?.scopes?.length ? `Optional; this instance issues ${instance.tokenExchange.scopes.join(' ')}.` : 'Optional, space-separated.'}
                />
              )}
              <datalist id="try-scopes">
                {(instance.tokenExchange?.scopes ?? []).map((x) => (
                  <option key={x} value={x} />
                ))}
              </datalist>
              {['SAML2', 'OPENIDCONNECT', 'ACCESS_TOKEN'].includes(transform.output) && (
                <TextField
                  label="Audience"
                  field="output.audience"
                  value={v.audience}
                  onChange={(x) => set({ audience: x })}
                  hint={transform.output === 'ACCESS_TOKEN' && instance.accessToken ? `Optional, comma-separated; default ${instance.accessToken.audience.join(', ')}.` : "Optional, comma-separated; default the output's configured audience."}
                />
              )}
              {transform.output === 'CUSTOM' && <p className="hint">Issued by the custom provider {transform.customOutput}.</p>}
            </fieldset>
            <Section sub title="Delegation (RFC 8693 actor)" field="actor">
              <Checkbox
                label="Add an actor token: someone acting for the subject"
                id="try-use-actor"
                checked={v.useActor}
                onChange={(x) => set({ useActor: x })}
                hint={instance.tokenExchange?.delegation.allowed ? 'This instance allows delegation: the issued JWT names the actor in act.' : 'This instance does not allow delegation; Tessera refuses an actor token.'}
              />
              {v.useActor && (
                <>
                  <SelectField label="Actor token kind" field="actor.type" value={v.actorType} onChange={(x) => set({ actorType: x })} options={ACTOR_KINDS.map((k) => ({ value: k.type, label: k.label }))} />
                  <TextArea
                    label="Actor token"
                    field={`actor.${(ACTOR_KINDS.find((k) => k.type === v.actorType) ?? ACTOR_KINDS[0]!).field}`}
                    value={v.actorToken}
                    onChange={(x) => set({ actorToken: x })}
                    rows={4}
                  />
                </>
              )}
            </Section>
            <div className="actions">
              <Button type="submit" className="btn btn-primary" busy={busy} busyLabel="Translating…">
                Translate
              </Button>
            </div>
          </form>
        </FieldErrorsProvider>
      )}

      {result && (
        <section className="card result" aria-labelledby="result-title">
          <h2 id="result-title" ref={resultRef} tabIndex={-1}>
            Issued {result.token.type} token
          </h2>
          <dl className="kv kv-wide">
            <div>
              <dt>Token ID</dt>
              <dd>
                <code>{result.token.tokenId}</code>
              </dd>
            </div>
            <div>
              <dt>Subject</dt>
              <dd>{result.token.subject}</dd>
            </div>
            <div>
              <dt>Issued</dt>
              <dd>
                <Time value={result.token.issuedAt} />
              </dd>
            </div>
            <div>
              <dt>Expires</dt>
              <dd>
                <Time value={result.token.expiresAt} />
              </dd>
            </div>
          </dl>
          {checking && !validation && <Loading what="the signature status" />}
          {validation && <ValidationView v={validation} label="Validation result" />}
          <ErrorAlert error={checkError} title="Tessera could not check the token." />
          {cancelled && (
            <p className="alert alert-info" role="status">
              The token is cancelled.
            </p>
          )}
          <div className="actions">
            <Button className="btn btn-secondary" onClick={() => void validate(result.token, result.instance)} busy={checking} busyLabel="Validating…">
              Validate
            </Button>
            <Button className="btn btn-danger" onClick={() => setConfirmCancel(true)} disabled={cancelled}>
              Cancel token
            </Button>
            <CopyButton text={result.token.token} label="Copy token" />
          </div>
          <Decoded result={result.token} />
          <TextArea id="issued-token" label="Issued token, as sent to the client" value={result.token.token} onChange={() => undefined} readOnly rows={4} />
        </section>
      )}
      <ConfirmDialog
        open={confirmCancel}
        title="Cancel this token?"
        confirmLabel="Cancel token"
        busyLabel="Cancelling…"
        onClose={() => setConfirmCancel(false)}
        onConfirm={async () => {
          const r = result!;
          await api('mutation Cancel($instance: String!, $type: TokenType!, $token: String!) { cancelToken(instance: $instance, type: $type, token: $token) }', {
            instance: r.instance,
            type: checkType(r.token.type),
            token: r.token.token,
          });
          setCancelled(true);
          await validate(r.token, r.instance);
        }}
      >
        <p>From now on the token fails validation. A relying party that does not ask Tessera may still accept it until it expires.</p>
      </ConfirmDialog>
    </>
  );
}
