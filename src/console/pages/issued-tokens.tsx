import { useEffect, useState, type FormEvent } from 'react';
import { issuedToken } from '../lib/issued-memory';
import { tokenIdUnverified } from '../lib/token-id';
import { useApi } from '../lib/session';
import { checkType, type IssuedTokenRecord, type StsInstance } from '../lib/types';
import { Badge, Button, DataTable, Dialog, ErrorAlert, FieldErrorsProvider, Loading, Notice, SelectField, TextArea, TextField, Time, useLoad } from '../ui/components';
import { Pager, usePager } from '../ui/pager';

const PAGE = 20;

function state(r: IssuedTokenRecord): { tone: 'ok' | 'bad' | 'muted'; text: string } {
  if (r.cancelled) return { tone: 'bad', text: 'cancelled' };
  if (Date.parse(r.expiresAt) <= Date.now()) return { tone: 'muted', text: 'expired' };
  return { tone: 'ok', text: 'valid' };
}

function CancelDialog({ record, onClose, onCancelled }: { record: IssuedTokenRecord | null; onClose(): void; onCancelled(r: IssuedTokenRecord): void }) {
  const api = useApi();
  const known = record ? issuedToken(record.tokenId) : undefined;
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const value = token || known?.token || '';
  useEffect(() => {
    setToken('');
    setError(null);
    setFieldError(null);
  }, [record]);

  async function cancel(e: FormEvent) {
    e.preventDefault();
    if (!record) return;
    setError(null);
    setFieldError(null);
    const id = tokenIdUnverified(value);
    if (id !== undefined && id !== record.tokenId) {
      setFieldError(`This is token ${id}, not ${record.tokenId}: paste the token of this record.`);
      return;
    }
    setBusy(true);
    try {
      await api('mutation CancelToken($instance: String!, $type: TokenType!, $token: String!) { cancelToken(instance: $instance, type: $type, token: $token) }', {
        instance: record.instance,
        type: checkType(record.type),
        token: value.trim(),
      });
      setToken('');
      onCancelled(record);
      onClose();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog open={!!record} title={record ? `Cancel token ${record.tokenId}?` : 'Cancel token'} onClose={onClose} wide>
      {record && (
        <form onSubmit={cancel} aria-busy={busy}>
          <p>
            Issued by <strong>{record.instance}</strong> to <strong>{record.subject}</strong>. Once cancelled it fails validation everywhere Tessera
            checks it.
          </p>
          <p className="hint">
            {known
              ? 'This tab issued the token, so it is filled in below.'
              : 'Tessera keeps only a hash of each token, so paste the token itself: it is matched exactly, never by its ID.'}
          </p>
          <FieldErrorsProvider errors={fieldError ? { token: fieldError } : {}}>
            <TextArea id="cancel-token" field="token" label="Token" value={value} onChange={setToken} rows={5} required />
          </FieldErrorsProvider>
          <ErrorAlert error={error} title="Not cancelled." />
          <div className="actions">
            <Button type="submit" className="btn btn-danger" busy={busy} busyLabel="Cancelling…" disabled={!value.trim()}>
              Cancel token
            </Button>
            <Button className="btn btn-secondary" onClick={onClose} disabled={busy}>
              Keep it
            </Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

export function IssuedTokensPage() {
  const api = useApi();
  const instances = useLoad(() => api<{ instances: Pick<StsInstance, 'name'>[] }>('query InstanceNames { instances { name } }').then((d) => d.instances), []);
  const [instance, setInstance] = useState('');
  const [subject, setSubject] = useState('');
  const [filter, setFilter] = useState({ instance: '', subject: '' });
  const pager = usePager();
  const records = useLoad(
    () =>
      api<{ issuedTokens: IssuedTokenRecord[] }>(
        `query IssuedTokens($instance: String, $subject: String, $first: Int, $after: String) {
          issuedTokens(instance: $instance, subject: $subject, first: $first, after: $after) { tokenId instance subject type issuedAt expiresAt cancelled sender cursor }
        }`,
        { instance: filter.instance || null, subject: filter.subject || null, first: PAGE + 1, after: pager.after ?? null },
      ).then((d) => d.issuedTokens),
    [filter, pager.after],
  );
  const [cancelling, setCancelling] = useState<IssuedTokenRecord | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  function search(e: FormEvent) {
    e.preventDefault();
    setNotice(null);
    setFilter({ instance, subject: subject.trim() });
    pager.reset();
  }

  const rows = records.data?.slice(0, PAGE) ?? [];
  const hasOlder = (records.data?.length ?? 0) > PAGE;

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Issued tokens</h1>
      </div>
      <p className="lead">Records of the tokens instances issued (on instances that record them), newest first. The tokens themselves are not stored.</p>
      <form className="card inline-form" onSubmit={search} role="search" aria-label="Filter issued tokens">
        <SelectField
          id="tokens-instance"
          label="Instance"
          value={instance}
          onChange={setInstance}
          options={[{ value: '', label: 'All instances' }, ...(instances.data ?? []).map((i) => ({ value: i.name, label: i.name }))]}
        />
        <TextField id="tokens-subject" label="Subject" value={subject} onChange={setSubject} placeholder="any" />
        <Button type="submit" className="btn btn-primary" busy={records.loading} busyLabel="Searching…">
          Search
        </Button>
      </form>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={records.error} title="The records could not be loaded." />
      {records.loading && !records.data && <Loading what="issued tokens" />}
      {records.data && rows.length === 0 && <p className="empty">No issued tokens match.</p>}
      {rows.length > 0 && (
        <DataTable caption="Issued tokens, newest first" columns={['Token ID', 'Instance', 'Subject', 'Type', 'Issued', 'Expires', 'State']} actions busy={records.loading}>
          {rows.map((r) => {
            const s = state(r);
            return (
              <tr key={r.cursor}>
                <th scope="row" data-label="Token ID">
                  <code className="kid">{r.tokenId}</code>
                </th>
                <td data-label="Instance">{r.instance}</td>
                <td data-label="Subject">
                  {r.subject}
                  {r.sender && <div className="muted small">vouched by {r.sender}</div>}
                </td>
                <td data-label="Type">{r.type}</td>
                <td data-label="Issued">
                  <Time value={r.issuedAt} />
                </td>
                <td data-label="Expires">
                  <Time value={r.expiresAt} />
                </td>
                <td data-label="State">
                  <Badge tone={s.tone}>{s.text}</Badge>
                </td>
                <td className="row-actions">
                  {!r.cancelled && (
                    <Button className="btn btn-small btn-danger" onClick={() => setCancelling(r)} aria-label={`Cancel ${r.tokenId}`}>
                      Cancel…
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {(pager.page > 1 || hasOlder) && (
        <Pager page={pager.page} hasOlder={hasOlder} busy={records.loading} what="issued tokens" onNewer={pager.newer} onOlder={() => pager.older(rows[rows.length - 1]!.cursor)} />
      )}
      <CancelDialog
        record={cancelling}
        onClose={() => setCancelling(null)}
        onCancelled={(r) => {
          setNotice(`Token ${r.tokenId} was cancelled.`);
          records.reload();
        }}
      />
    </>
  );
}
