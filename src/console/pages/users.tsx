import { useRef, useState, type FormEvent } from 'react';
import { rowId } from '../lib/instance-model';
import { useApi, useSession } from '../lib/session';
import type { User } from '../lib/types';
import { Badge, Button, Checkbox, ConfirmDialog, DataTable, ErrorAlert, FieldErrorsProvider, FormAlert, formErrorsFrom, type FormErrorState, Loading, NO_ERRORS, Notice, Section, splitList, TextArea, TextField, useFocusFirstError, useLoad } from '../ui/components';

interface AttrRow {
  row: number;
  name: string;
  values: string;
}

function Attributes({ attributes }: { attributes: Record<string, string | string[]> }) {
  const entries = Object.entries(attributes);
  if (entries.length === 0) return <span className="muted">none</span>;
  return (
    <dl className="kv">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{Array.isArray(v) ? v.join(', ') : v}</dd>
        </div>
      ))}
    </dl>
  );
}

function CreateUser({ onCreated }: { onCreated(username: string): void }) {
  const api = useApi();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [admin, setAdmin] = useState(false);
  const [roles, setRoles] = useState('');
  const [attrs, setAttrs] = useState<AttrRow[]>([]);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FormErrorState>(NO_ERRORS);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusFirstError(formRef, errors);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setErrors(NO_ERRORS);
    const allRoles = [...new Set([...(admin ? ['admin'] : []), ...splitList(roles)])];
    const attributes: Record<string, string | string[]> = {};
    for (const a of attrs) {
      const values = a.values.split('\n').map((v) => v.trim()).filter(Boolean);
      if (!a.name.trim() && values.length === 0) continue;
      // One value is a string, several a list: the shape user attributes have (API.md §3).
      attributes[a.name.trim()] = values.length === 1 ? values[0]! : values;
    }
    setBusy(true);
    try {
      await api(`mutation CreateUser($input: UserInput!) { createUser(input: $input) { id } }`, { input: { username: username.trim(), password, roles: allRoles, attributes } });
      onCreated(username.trim());
      setUsername('');
      setPassword('');
      setAdmin(false);
      setRoles('');
      setAttrs([]);
    } catch (err) {
      setErrors(formErrorsFrom(formRef.current, err, { CONFLICT: 'input.username' }));
    } finally {
      setBusy(false);
    }
  }

  return (
    <FieldErrorsProvider errors={errors.fields}>
      <form ref={formRef} className="card form" onSubmit={submit} noValidate aria-labelledby="create-user-title" aria-busy={busy}>
        <h2 id="create-user-title">Create a user</h2>
        <FormAlert errors={errors} />
        <div className="row-grid">
          <TextField label="Username" field="input.username" value={username} onChange={setUsername} required autoComplete="off" />
          <TextField label="Password" field="input.password" type="password" value={password} onChange={setPassword} required autoComplete="new-password" hint="At least 8 characters." />
        </div>
        <Checkbox label="Administrator (role admin: may use this console)" id="user-admin" checked={admin} onChange={setAdmin} />
        <TextField label="Other roles" field="input.roles" value={roles} onChange={setRoles} hint="Comma-separated, e.g. sts-caller; instances with caller roles check them." />
        <Section title="Attributes" field="input.attributes" intro="Attributes instances put into tokens (claims, SAML attributes). One value per line; several lines make a list.">
          {attrs.map((a, n) => (
            <div key={a.row} className="row-grid">
              <TextField label={`Attribute ${n + 1} name`} id={`attr-name-${a.row}`} value={a.name} onChange={(v) => setAttrs(attrs.map((x) => (x.row === a.row ? { ...x, name: v } : x)))} placeholder="mail" />
              <TextArea label={`Attribute ${n + 1} values`} id={`attr-values-${a.row}`} value={a.values} onChange={(v) => setAttrs(attrs.map((x) => (x.row === a.row ? { ...x, values: v } : x)))} rows={2} mono={false} />
              <Button className="btn btn-small btn-secondary row-remove" onClick={() => setAttrs(attrs.filter((x) => x.row !== a.row))} aria-label={`Remove attribute ${n + 1}`}>
                Remove
              </Button>
            </div>
          ))}
          <Button className="btn btn-small btn-secondary" onClick={() => setAttrs([...attrs, { row: rowId(), name: '', values: '' }])}>
            Add attribute
          </Button>
        </Section>
        <div className="actions">
          <Button type="submit" className="btn btn-primary" busy={busy} busyLabel="Creating…">
            Create user
          </Button>
        </div>
      </form>
    </FieldErrorsProvider>
  );
}

export function UsersPage() {
  const api = useApi();
  const { session } = useSession();
  const users = useLoad(() => api<{ users: User[] }>('query Users { users { id username roles attributes } }').then((d) => d.users), []);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Users</h1>
      </div>
      <p className="lead">Local users: they sign in here (role admin), and their username and password are a USERNAME input token.</p>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={users.error} title="The users could not be loaded." />
      {users.loading && !users.data && <Loading what="users" />}
      {users.data && (
        <DataTable caption="Users" columns={['Username', 'Roles', 'Attributes']} actions busy={users.loading}>
          {users.data.map((u) => (
            <tr key={u.id}>
              <th scope="row" data-label="Username">
                {u.username}
                {u.username === session?.username && <span className="muted small"> (you)</span>}
              </th>
              <td data-label="Roles">
                {u.roles.length === 0 ? (
                  <span className="muted">none</span>
                ) : (
                  <ul className="chips">
                    {u.roles.map((r) => (
                      <li key={r}>
                        <Badge tone={r === 'admin' ? 'warn' : 'info'}>{r}</Badge>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td data-label="Attributes">
                <Attributes attributes={u.attributes} />
              </td>
              <td className="row-actions">
                {u.username !== session?.username && (
                  <Button className="btn btn-small btn-danger" onClick={() => setDeleting(u)} aria-label={`Delete ${u.username}`}>
                    Delete
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <CreateUser
        onCreated={(name) => {
          setNotice(`User ${name} was created.`);
          users.reload();
        }}
      />
      <ConfirmDialog
        open={!!deleting}
        title={deleting ? `Delete user ${deleting.username}?` : 'Delete user'}
        confirmLabel="Delete user"
        busyLabel="Deleting…"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const username = deleting!.username;
          await api('mutation DeleteUser($username: String!) { deleteUser(username: $username) }', { username });
          setNotice(`User ${username} was deleted; their sessions have ended.`);
          users.reload();
        }}
      >
        <p>The user can no longer sign in or present a password, and every session of theirs ends now.</p>
      </ConfirmDialog>
    </>
  );
}
