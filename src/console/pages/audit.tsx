import { useState, type FormEvent } from 'react';
import { useApi } from '../lib/session';
import type { AuditEvent, StsInstance } from '../lib/types';
import { Badge, Button, DataTable, ErrorAlert, Loading, SelectField, TextField, Time, useLoad } from '../ui/components';
import { Pager, usePager } from '../ui/pager';

const PAGE = 25;

/**
 * How many recent events seed the action suggestions. The schema has no list of actions (every part of
 * Tessera, plugins included, records its own), so the action filter is free text, suggested from the actions
 * the server has recorded: these, and those of every page shown since.
 */
const SUGGESTION_SAMPLE = 500;
/** OK, or one of the public error codes (API.md §2); codes seen in events are suggested too. */
const OUTCOMES = [
  'OK', 'BAD_USER_INPUT', 'UNSUPPORTED_TRANSFORM', 'UNAUTHENTICATED', 'INVALID_TOKEN', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT',
  'TOKEN_PERSISTENCE_DISABLED', 'RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL',
];

function Detail({ detail }: { detail: Record<string, unknown> | null }) {
  if (!detail || Object.keys(detail).length === 0) return <span className="muted">—</span>;
  return (
    <dl className="kv">
      {Object.entries(detail).map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{typeof v === 'string' ? v : v === null || v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : String(typeof v === 'object' ? JSON.stringify(v) : v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function AuditPage() {
  const api = useApi();
  const instances = useLoad(() => api<{ instances: Pick<StsInstance, 'name'>[] }>('query InstanceNames { instances { name } }').then((d) => d.instances), []);
  const [instance, setInstance] = useState('');
  const [action, setAction] = useState('');
  const [outcome, setOutcome] = useState('');
  const [filter, setFilter] = useState({ instance: '', action: '', outcome: '' });
  const pager = usePager();
  const [seen, setSeen] = useState<{ actions: Set<string>; outcomes: Set<string> }>({ actions: new Set(), outcomes: new Set() });
  const learn = (evs: Array<Pick<AuditEvent, 'action' | 'outcome'>>) =>
    setSeen((cur) => {
      const actions = new Set(cur.actions);
      const outcomes = new Set(cur.outcomes);
      for (const e of evs) {
        actions.add(e.action);
        outcomes.add(e.outcome);
      }
      return actions.size === cur.actions.size && outcomes.size === cur.outcomes.size ? cur : { actions, outcomes };
    });
  useLoad(
    () =>
      api<{ auditEvents: Array<Pick<AuditEvent, 'action' | 'outcome'>> }>(`query AuditActions($first: Int) { auditEvents(first: $first) { action outcome } }`, { first: SUGGESTION_SAMPLE }).then((d) => {
        learn(d.auditEvents);
        return d.auditEvents.length;
      }),
    [],
  );
  const events = useLoad(
    () =>
      api<{ auditEvents: AuditEvent[] }>(
        `query Audit($instance: String, $action: String, $outcome: String, $first: Int, $after: String) {
          auditEvents(instance: $instance, action: $action, outcome: $outcome, first: $first, after: $after) {
            at action actor instance subject target inputType outputType outcome clientAddress detail cursor
          }
        }`,
        { instance: filter.instance || null, action: filter.action || null, outcome: filter.outcome || null, first: PAGE + 1, after: pager.after ?? null },
      ).then((d) => {
        learn(d.auditEvents);
        return d.auditEvents;
      }),
    [filter, pager.after],
  );

  function search(e: FormEvent) {
    e.preventDefault();
    setFilter({ instance, action: action.trim(), outcome: outcome.trim() });
    pager.reset();
  }

  const rows = events.data?.slice(0, PAGE) ?? [];
  const hasOlder = (events.data?.length ?? 0) > PAGE;

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Audit trail</h1>
        <div className="page-actions">
          <Button className="btn btn-secondary" onClick={events.reload} busy={events.loading} busyLabel="Refreshing…">
            Refresh
          </Button>
        </div>
      </div>
      <p className="lead">Every translation, validation, cancellation, configuration change and sign-in, newest first. Tokens and passwords are never recorded.</p>
      <form className="card inline-form" onSubmit={search} role="search" aria-label="Filter the audit trail">
        <SelectField
          id="audit-instance"
          label="Instance"
          value={instance}
          onChange={setInstance}
          options={[{ value: '', label: 'All instances' }, ...(instances.data ?? []).map((i) => ({ value: i.name, label: i.name }))]}
        />
        <TextField id="audit-action" label="Action" value={action} onChange={setAction} list="audit-actions" placeholder="any" />
        <datalist id="audit-actions">
          {[...seen.actions].sort().map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <TextField id="audit-outcome" label="Outcome" value={outcome} onChange={setOutcome} list="audit-outcomes" placeholder="any" />
        <datalist id="audit-outcomes">
          {[...new Set([...OUTCOMES, ...seen.outcomes])].map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
        <Button type="submit" className="btn btn-primary" busy={events.loading} busyLabel="Searching…">
          Search
        </Button>
      </form>
      <ErrorAlert error={events.error} title="The audit trail could not be loaded." />
      {events.loading && !events.data && <Loading what="the audit trail" />}
      {events.data && rows.length === 0 && <p className="empty">No events match.</p>}
      {rows.length > 0 && (
        <DataTable caption="Audit events, newest first" columns={['When', 'Action', 'Outcome', 'By', 'Instance', 'Subject or target', 'Detail']} busy={events.loading}>
          {rows.map((ev) => (
            <tr key={ev.cursor}>
              <td data-label="When">
                <Time value={ev.at} />
              </td>
              <th scope="row" data-label="Action">
                <span className="action">{ev.action}</span>
                {(ev.inputType || ev.outputType) && <div className="muted small tokens">{[ev.inputType, ev.outputType].filter(Boolean).join(' → ')}</div>}
              </th>
              <td data-label="Outcome">
                <Badge tone={ev.outcome === 'OK' ? 'ok' : 'bad'}>{ev.outcome}</Badge>
              </td>
              <td data-label="By">
                {ev.actor ?? <span className="muted">anonymous</span>}
                {ev.clientAddress && <div className="muted small">from {ev.clientAddress}</div>}
              </td>
              <td data-label="Instance">{ev.instance ?? <span className="muted">—</span>}</td>
              <td data-label="Subject or target">{ev.subject ?? ev.target ?? <span className="muted">—</span>}</td>
              <td data-label="Detail" className="cell-wide">
                <Detail detail={ev.detail} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      {(pager.page > 1 || hasOlder) && (
        <Pager page={pager.page} hasOlder={hasOlder} busy={events.loading} what="audit events" onNewer={pager.newer} onOlder={() => pager.older(rows[rows.length - 1]!.cursor)} />
      )}
    </>
  );
}
