/**
 * OAuth clients of the RFC 8693 token endpoint: list, create, edit, delete, and rotate a secret. A secret is
 * shown once, right after it is made, and lives only in this page's state: leaving the page forgets it.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useApi } from '../lib/session';
import { CLIENT_FIELDS, type OAuthClient, type StsInstance } from '../lib/types';
import { Badge, Button, Checkbox, ConfirmDialog, CopyButton, DataTable, ErrorAlert, FieldErrorsProvider, FormAlert, formErrorsFrom, type FormErrorState, Loading, NO_ERRORS, Notice, Section, SelectField, splitList, TextArea, TextField, Time, useFocusFirstError, useLoad } from '../ui/components';

type ClientInstance = Pick<StsInstance, 'name' | 'tokenExchange'>;

const METHODS = [
  { value: 'client_secret_basic', label: 'client_secret_basic (HTTP Basic with a secret)' },
  { value: 'client_secret_post', label: 'client_secret_post (the secret in the form body)' },
  { value: 'private_key_jwt', label: 'private_key_jwt (a signed client assertion, RFC 7523)' },
];

const usesSecret = (method: string) => method !== 'private_key_jwt';

interface Secret {
  clientId: string;
  secret: string;
  why: 'created' | 'rotated';
}

/** The secret, once: with a copy button and the plain fact that it will not be shown again. */
function SecretPanel({ secret, onDone }: { secret: Secret; onDone(): void }) {
  const ref = useRef<HTMLHeadingElement>(null);
  // The panel takes the focus when it appears, so a screen reader reads the secret's warning first.
  useEffect(() => ref.current?.focus(), [secret]);
  return (
    <section className="card secret" aria-labelledby="secret-title">
      <h2 id="secret-title" ref={ref} tabIndex={-1}>
        {secret.why === 'created' ? `Client ${secret.clientId} was created` : `A new secret for ${secret.clientId}`}
      </h2>
      <p className="alert alert-warn" role="status">
        Copy the client secret now: <strong>you will not see it again.</strong> Tessera keeps only its hash; if it is lost, rotate the secret.
        {secret.why === 'rotated' && ' The old secret has stopped working.'}
      </p>
      <TextField id="client-secret" label="Client secret" value={secret.secret} onChange={() => undefined} readOnly />
      <div className="actions">
        <CopyButton text={secret.secret} label="Copy secret" />
        <Button className="btn btn-secondary" onClick={onDone}>
          I have copied it
        </Button>
      </div>
    </section>
  );
}

function ClientForm({ client, instances, onSaved, onCancel }: { client: OAuthClient | null; instances: ClientInstance[]; onSaved(c: OAuthClient, secret: string | null): void; onCancel(): void }) {
  const api = useApi();
  const editing = client !== null;
  const [clientId, setClientId] = useState(client?.clientId ?? '');
  const [method, setMethod] = useState(client?.authMethod ?? 'client_secret_basic');
  const [jwks, setJwks] = useState(client?.jwks ? JSON.stringify(client.jwks, null, 2) : '');
  const [chosen, setChosen] = useState<string[]>(client?.instances ?? []);
  const [scopes, setScopes] = useState((client?.scopes ?? []).join(' '));
  const [roles, setRoles] = useState((client?.roles ?? []).join(', '));
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrorState>(NO_ERRORS);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, errors);

  // Instances that are gone are still listed while the client names them, so saving does not drop them unseen.
  const names = Array.from(new Set([...instances.map((i) => i.name), ...chosen]));
  const offered = Array.from(new Set(instances.filter((i) => chosen.includes(i.name)).flatMap((i) => i.tokenExchange?.scopes ?? [])));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors(NO_ERRORS);
    // An empty list is refused where a list is optional: none is said by leaving it out.
    const list = (text: string) => (splitList(text).length > 0 ? splitList(text) : undefined);
    const input: Record<string, unknown> = { clientId: clientId.trim(), authMethod: method, instances: chosen, scopes: list(scopes), roles: list(roles) };
    if (method === 'private_key_jwt' && jwks.trim() !== '') {
      try {
        input.jwks = JSON.parse(jwks);
      } catch {
        setErrors({ fields: { 'input.jwks': 'Is not valid JSON: paste the client\'s JWK Set ({"keys": [...]}), public keys only.' }, general: 'Fix the field marked below.' });
        return;
      }
    }
    setBusy(true);
    try {
      if (editing) {
        const r = await api<{ updateOAuthClient: OAuthClient }>(`mutation UpdateClient($clientId: String!, $input: OAuthClientInput!) { updateOAuthClient(clientId: $clientId, input: $input) { ${CLIENT_FIELDS} } }`, { clientId: client.clientId, input });
        onSaved(r.updateOAuthClient, null);
      } else {
        const r = await api<{ createOAuthClient: { client: OAuthClient; clientSecret: string | null } }>(
          `mutation CreateClient($input: OAuthClientInput!) { createOAuthClient(input: $input) { client { ${CLIENT_FIELDS} } clientSecret } }`,
          { input },
        );
        onSaved(r.createOAuthClient.client, r.createOAuthClient.clientSecret);
      }
    } catch (err) {
      setErrors(formErrorsFrom(formRef.current, err, { CONFLICT: 'input.clientId' }));
    } finally {
      setBusy(false);
    }
  }

  const title = editing ? `Edit client ${client.clientId}` : 'New client';
  return (
    <FieldErrorsProvider errors={errors.fields}>
      <form ref={formRef} className="card form" onSubmit={submit} noValidate aria-labelledby="client-form-title" aria-busy={busy}>
        <h2 id="client-form-title" tabIndex={-1}>
          {title}
        </h2>
        <FormAlert errors={errors} />
        <TextField
          label="Client ID"
          field="input.clientId"
          value={clientId}
          onChange={setClientId}
          readOnly={editing}
          required
          autoFocus={!editing}
          hint={editing ? 'The client_id cannot change.' : 'The client_id: letters, digits and . _ ~ @ : + - (up to 128).'}
        />
        <SelectField label="Authentication method" field="input.authMethod" value={method} onChange={setMethod} options={METHODS} />
        {editing && usesSecret(client.authMethod) && !usesSecret(method) && <p className="hint">Switching to private_key_jwt drops the client's secret.</p>}
        {editing && !usesSecret(client.authMethod) && usesSecret(method) && <p className="hint">Tessera makes a secret for a client that switches to a secret method: rotate it afterwards to see it.</p>}
        {method === 'private_key_jwt' && (
          <TextArea
            label="Client JWK Set (JSON)"
            field="input.jwks"
            value={jwks}
            onChange={setJwks}
            rows={8}
            required
            placeholder='{"keys": [{"kty": "EC", "crv": "P-256", "x": "…", "y": "…", "kid": "…"}]}'
            hint="The public keys that verify the client's assertions: RSA of 2048 bits or more, P-256 or Ed25519. Never a private key."
          />
        )}
        <Section title="Instances" field="input.instances" intro="The instances whose token endpoint this client may use.">
          {names.length === 0 && <p className="muted">There is no instance yet.</p>}
          <div className="check-grid">
            {names.map((n) => (
              <Checkbox key={n} label={n} id={`client-instance-${n}`} checked={chosen.includes(n)} onChange={(on) => setChosen(on ? [...chosen, n] : chosen.filter((x) => x !== n))} />
            ))}
          </div>
        </Section>
        <TextField
          label="Scopes"
          field="input.scopes"
          value={scopes}
          onChange={setScopes}
          hint={offered.length > 0 ? `Separated by spaces or commas. The chosen instances issue: ${offered.join(' ')}.` : 'Separated by spaces or commas; each must be one the instance issues too.'}
        />
        <TextField label="Roles" field="input.roles" value={roles} onChange={setRoles} hint="Comma-separated; they stand for a session's roles where an instance sets caller roles." />
        <div className="actions">
          <Button type="submit" className="btn btn-primary" busy={busy} busyLabel={editing ? 'Saving…' : 'Creating…'}>
            {editing ? 'Save client' : 'Create client'}
          </Button>
          <Button className="btn btn-secondary" onClick={onCancel}>
            Cancel
          </Button>
        </div>
      </form>
    </FieldErrorsProvider>
  );
}

export function ClientsPage() {
  const api = useApi();
  const data = useLoad(
    () =>
      api<{ oauthClients: OAuthClient[]; instances: ClientInstance[] }>(`query Clients { oauthClients { ${CLIENT_FIELDS} } instances { name tokenExchange { scopes } } }`),
    [],
  );
  const [editing, setEditing] = useState<OAuthClient | 'new' | null>(null);
  const [deleting, setDeleting] = useState<OAuthClient | null>(null);
  const [rotating, setRotating] = useState<OAuthClient | null>(null);
  const [secret, setSecret] = useState<Secret | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const clients = data.data?.oauthClients ?? [];
  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>OAuth clients</h1>
        <div className="page-actions">
          <Button
            className="btn btn-primary"
            onClick={() => {
              setEditing('new');
              setSecret(null);
              setNotice(null);
            }}
          >
            New client
          </Button>
        </div>
      </div>
      <p className="lead">Confidential clients of the token exchange endpoint (RFC 8693): how each authenticates, and which instances, scopes and roles it has.</p>
      {notice && <Notice>{notice}</Notice>}
      {secret && <SecretPanel secret={secret} onDone={() => setSecret(null)} />}
      {editing && (
        <ClientForm
          key={editing === 'new' ? 'new' : editing.clientId}
          client={editing === 'new' ? null : editing}
          instances={data.data?.instances ?? []}
          onCancel={() => setEditing(null)}
          onSaved={(c, s) => {
            setEditing(null);
            if (s) setSecret({ clientId: c.clientId, secret: s, why: 'created' });
            setNotice(editing === 'new' ? (s ? null : `Client ${c.clientId} was created.`) : `Client ${c.clientId} was saved.`);
            data.reload();
          }}
        />
      )}
      <ErrorAlert error={data.error} title="The clients could not be loaded." />
      {data.loading && !data.data && <Loading what="clients" />}
      {data.data && clients.length === 0 && <p className="empty">No client is registered yet.</p>}
      {clients.length > 0 && (
        <DataTable caption="OAuth clients" columns={['Client ID', 'Authentication', 'Instances', 'Scopes', 'Roles', 'Updated']} actions busy={data.loading}>
          {clients.map((c) => (
            <tr key={c.clientId}>
              <th scope="row" data-label="Client ID">
                <code>{c.clientId}</code>
              </th>
              <td data-label="Authentication">
                {c.authMethod}
                <div className="muted small">{c.authMethod === 'private_key_jwt' ? `${(c.jwks as { keys?: unknown[] } | null)?.keys?.length ?? 0} public key(s)` : c.hasSecret ? 'secret set' : 'no secret'}</div>
              </td>
              <td data-label="Instances">{c.instances.join(', ')}</td>
              <td data-label="Scopes">{c.scopes.length > 0 ? c.scopes.join(' ') : <span className="muted">none</span>}</td>
              <td data-label="Roles">
                {c.roles.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="chips">
                    {c.roles.map((r) => (
                      <li key={r}>
                        <Badge tone="info">{r}</Badge>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td data-label="Updated">
                <Time value={c.updatedAt} />
              </td>
              <td className="row-actions">
                <Button
                  className="btn btn-small btn-secondary"
                  onClick={() => {
                    setEditing(c);
                    setSecret(null);
                    setNotice(null);
                  }}
                  aria-label={`Edit ${c.clientId}`}
                >
                  Edit
                </Button>
                {usesSecret(c.authMethod) && (
                  <Button className="btn btn-small btn-secondary" onClick={() => setRotating(c)} aria-label={`Rotate the secret of ${c.clientId}`}>
                    Rotate secret
                  </Button>
                )}
                <Button className="btn btn-small btn-danger" onClick={() => setDeleting(c)} aria-label={`Delete ${c.clientId}`}>
                  Delete
                </Button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <ConfirmDialog
        open={!!rotating}
        title={rotating ? `Rotate the secret of ${rotating.clientId}?` : 'Rotate secret'}
        confirmLabel="Rotate secret"
        busyLabel="Rotating…"
        onClose={() => setRotating(null)}
        onConfirm={async () => {
          const id = rotating!.clientId;
          const r = await api<{ rotateOAuthClientSecret: { client: OAuthClient; clientSecret: string | null } }>(
            `mutation RotateSecret($clientId: String!) { rotateOAuthClientSecret(clientId: $clientId) { client { clientId } clientSecret } }`,
            { clientId: id },
          );
          setNotice(null);
          setEditing(null);
          if (r.rotateOAuthClientSecret.clientSecret) setSecret({ clientId: id, secret: r.rotateOAuthClientSecret.clientSecret, why: 'rotated' });
          data.reload();
        }}
      >
        <p>The current secret stops working at once: the client fails until it is given the new one.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={!!deleting}
        title={deleting ? `Delete client ${deleting.clientId}?` : 'Delete client'}
        confirmLabel="Delete client"
        busyLabel="Deleting…"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const id = deleting!.clientId;
          await api('mutation DeleteClient($clientId: String!) { deleteOAuthClient(clientId: $clientId) }', { clientId: id });
          setNotice(`Client ${id} was deleted; its credentials no longer work.`);
          if (secret?.clientId === id) setSecret(null);
          if (editing !== null && editing !== 'new' && editing.clientId === id) setEditing(null);
          data.reload();
        }}
      >
        <p>Its credentials stop working at once. Tokens it already obtained stay valid until they expire.</p>
      </ConfirmDialog>
    </>
  );
}
