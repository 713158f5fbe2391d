import { useState, type FormEvent } from 'react';
import { byInstance, keyUsage, type KeyUse } from '../lib/key-usage';
import { Link } from '../lib/router';
import { useApi } from '../lib/session';
import { INSTANCE_FIELDS, KEY_FIELDS, type Key, type StsInstance } from '../lib/types';
import { Badge, Button, ConfirmDialog, DataTable, ErrorAlert, Loading, Notice, SelectField, Time, useLoad } from '../ui/components';

const ALGORITHMS = [
  { value: 'RS256', label: 'RS256 (RSA-2048)' },
  { value: 'RS256-3072', label: 'RS256 (RSA-3072)' },
  { value: 'RS512', label: 'RS512 (RSA-2048)' },
  { value: 'RS512-3072', label: 'RS512 (RSA-3072)' },
  { value: 'PS256', label: 'PS256 (RSA-2048)' },
  { value: 'PS256-3072', label: 'PS256 (RSA-3072)' },
  { value: 'ES256', label: 'ES256 (P-256)' },
  { value: 'EdDSA', label: 'EdDSA (Ed25519)' },
];

const STATUS_TONE = { ACTIVE: 'ok', PUBLISHED: 'info', RETIRED: 'muted' } as const;
const STATUS_TEXT = {
  ACTIVE: 'Signs new tokens of its algorithm',
  PUBLISHED: 'Rotated out; still verifies tokens it signed',
  RETIRED: 'Neither signs nor verifies',
};
const ORDER = { ACTIVE: 0, PUBLISHED: 1, RETIRED: 2 };

function Uses({ uses }: { uses: KeyUse[] | undefined }) {
  if (!uses?.length) return <span className="muted">none</span>;
  return (
    <ul className="links">
      {byInstance(uses).map((u) => (
        <li key={u.instance}>
          <Link to={`/instances/${u.instance}`}>{u.instance}</Link> <span className="muted small">({u.labels.join('; ')})</span>
        </li>
      ))}
    </ul>
  );
}

export function KeysPage() {
  const api = useApi();
  const data = useLoad(() => api<{ keys: Key[]; instances: StsInstance[] }>(`query Keys { keys { ${KEY_FIELDS} } instances { ${INSTANCE_FIELDS} } }`), []);
  const [algorithm, setAlgorithm] = useState('RS256');
  const [generating, setGenerating] = useState(false);
  const [generateError, setGenerateError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<{ kind: 'rotate' | 'retire'; key: Key } | null>(null);

  const uses = data.data ? keyUsage(data.data.keys, data.data.instances) : new Map<string, KeyUse[]>();
  const keys = data.data ? [...data.data.keys].sort((a, b) => ORDER[a.status] - ORDER[b.status] || Date.parse(b.createdAt) - Date.parse(a.createdAt)) : [];

  async function generate(e: FormEvent) {
    e.preventDefault();
    setGenerating(true);
    setGenerateError(null);
    setNotice(null);
    try {
      const r = await api<{ generateKey: Key }>(`mutation GenerateKey($algorithm: String!) { generateKey(algorithm: $algorithm) { kid algorithm } }`, { algorithm });
      setNotice(`Generated ${r.generateKey.algorithm} key ${r.generateKey.kid}; it is now the active key of its algorithm.`);
      data.reload();
    } catch (err) {
      setGenerateError(err);
    } finally {
      setGenerating(false);
    }
  }

  const c = confirm;
  const cUses = c ? (uses.get(c.key.kid) ?? []) : [];

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Keys</h1>
      </div>
      <p className="lead">Signing keys for ID tokens and SAML assertions. Private keys never leave the server; they are encrypted at rest.</p>
      <form className="card inline-form" onSubmit={generate} aria-busy={generating}>
        <SelectField id="generate-algorithm" label="Algorithm" value={algorithm} onChange={setAlgorithm} options={ALGORITHMS} />
        <Button type="submit" className="btn btn-primary" busy={generating} busyLabel="Generating…">
          Generate key
        </Button>
      </form>
      <ErrorAlert error={generateError} title="No key was generated." />
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={data.error} title="The keys could not be loaded." />
      {data.loading && !data.data && <Loading what="keys" />}
      {data.data && keys.length === 0 && <p className="empty">No keys yet; Tessera creates one for an algorithm when an instance first signs with it.</p>}
      {keys.length > 0 && (
        <DataTable caption="Signing keys" columns={['Key ID', 'Algorithm', 'Status', 'Created', 'Used by']} actions busy={data.loading}>
          {keys.map((k) => (
            <tr key={k.kid} className={k.status === 'RETIRED' ? 'row-muted' : undefined}>
              <th scope="row" data-label="Key ID">
                <code className="kid">{k.kid}</code>
              </th>
              <td data-label="Algorithm">
                {k.algorithm} <span className="muted small">{k.keySize}</span>
              </td>
              <td data-label="Status">
                <Badge tone={STATUS_TONE[k.status]}>{k.status}</Badge>
                <div className="muted small">{STATUS_TEXT[k.status]}</div>
              </td>
              <td data-label="Created">
                <Time value={k.createdAt} />
              </td>
              <td data-label="Used by">
                <Uses uses={uses.get(k.kid)} />
              </td>
              <td className="row-actions">
                {k.status === 'ACTIVE' && (
                  <Button className="btn btn-small btn-secondary" onClick={() => setConfirm({ kind: 'rotate', key: k })} aria-label={`Rotate ${k.kid}`}>
                    Rotate
                  </Button>
                )}
                {k.status !== 'RETIRED' && (
                  <Button className="btn btn-small btn-danger" onClick={() => setConfirm({ kind: 'retire', key: k })} aria-label={`Retire ${k.kid}`}>
                    Retire
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <ConfirmDialog
        open={!!c}
        title={c ? `${c.kind === 'rotate' ? 'Rotate' : 'Retire'} key ${c.key.kid}?` : 'Key'}
        confirmLabel={c?.kind === 'rotate' ? 'Rotate key' : 'Retire key'}
        busyLabel={c?.kind === 'rotate' ? 'Rotating…' : 'Retiring…'}
        onClose={() => setConfirm(null)}
        onConfirm={async () => {
          const { kind, key } = c!;
          if (kind === 'rotate') {
            const r = await api<{ rotateKey: Key }>(`mutation RotateKey($kid: String!) { rotateKey(kid: $kid) { kid } }`, { kid: key.kid });
            setNotice(`Key ${key.kid} was rotated: ${r.rotateKey.kid} now signs, and ${key.kid} stays published so tokens it signed still verify.`);
          } else {
            await api(`mutation RetireKey($kid: String!) { retireKey(kid: $kid) { kid } }`, { kid: key.kid });
            setNotice(`Key ${key.kid} was retired.`);
          }
          data.reload();
        }}
      >
        {c?.kind === 'rotate' ? (
          <p>
            A new {c.key.algorithm} key takes over signing. This key stays published, so tokens it already signed keep verifying until they expire.
          </p>
        ) : (
          <p>The key is no longer published: tokens it signed stop verifying at once. This cannot be undone.</p>
        )}
        {cUses.length > 0 && (
          <p>
            <strong>Used now by:</strong> {byInstance(cUses).map((u) => `${u.instance} (${u.labels.join('; ')})`).join(', ')}.
            {c?.kind === 'retire' && cUses.some((u) => u.pinned) && ' Instances pinned to it will fail to sign until they name another key.'}
            {c?.kind === 'rotate' && cUses.some((u) => u.pinned) && ' Pinned instances keep signing with this key until they are edited.'}
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
