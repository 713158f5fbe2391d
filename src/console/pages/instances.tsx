import { useState } from 'react';
import { restCurl } from '../lib/curl';
import { Link } from '../lib/router';
import { useApi } from '../lib/session';
import { INSTANCE_FIELDS, transformLabel, type StsInstance } from '../lib/types';
import { Badge, Button, ConfirmDialog, CopyButton, DataTable, Dialog, ErrorAlert, Loading, Notice, SelectField, useLoad } from '../ui/components';

function endpointLinks(i: StsInstance): Array<{ href: string; label: string }> {
  const links = [{ href: i.endpoints.rest, label: 'REST' }];
  if (i.oidc) {
    links.push({ href: i.endpoints.jwks, label: 'JWKS' });
    links.push({ href: i.endpoints.openidConfiguration, label: 'OpenID configuration' });
  }
  if (i.saml2) links.push({ href: i.endpoints.samlMetadata, label: 'SAML metadata' });
  // The SP that partner IdPs send assertions to (SAML2 input).
  if (i.saml2Trust && i.saml2Trust.length > 0) links.push({ href: i.endpoints.samlSpMetadata, label: 'SAML SP metadata' });
  return links;
}

function CurlDialog({ instance, onClose }: { instance: StsInstance | null; onClose(): void }) {
  const [index, setIndex] = useState('0');
  const t = instance?.transforms[Number(index)] ?? instance?.transforms[0];
  const text = instance && t ? restCurl(instance, t) : '';
  return (
    <Dialog open={!!instance} title={instance ? `curl for ${instance.name}` : 'curl'} onClose={onClose} wide>
      {instance && (
        <>
          <p>A translate request to this instance's PingAM-compatible REST door. Replace the values in angle brackets.</p>
          {instance.transforms.length > 1 && (
            <SelectField
              id="curl-transform"
              label="Transform"
              value={index}
              onChange={setIndex}
              options={instance.transforms.map((tr, n) => ({ value: String(n), label: transformLabel(tr) }))}
            />
          )}
          <label htmlFor="curl-text" className="block-label">
            Command
          </label>
          <textarea id="curl-text" className="mono" readOnly rows={6} value={text} onFocus={(e) => e.currentTarget.select()} />
          <div className="actions">
            <CopyButton text={text} label="Copy command" />
            <Button className="btn btn-secondary" onClick={onClose}>
              Close
            </Button>
          </div>
        </>
      )}
    </Dialog>
  );
}

export function InstancesPage() {
  const api = useApi();
  const list = useLoad(() => api<{ instances: StsInstance[] }>(`query Instances { instances { ${INSTANCE_FIELDS} } }`).then((d) => d.instances), []);
  const [deleting, setDeleting] = useState<StsInstance | null>(null);
  const [curlFor, setCurlFor] = useState<StsInstance | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Instances</h1>
        <div className="page-actions">
          <Link className="btn btn-primary" to="/instances/new">
            New instance
          </Link>
          <Link className="btn btn-secondary" to="/instances/new?metadata">
            New from SP metadata
          </Link>
        </div>
      </div>
      <p className="lead">Each instance is one STS: the token transforms it offers and how it issues and trusts tokens.</p>
      {notice && <Notice>{notice}</Notice>}
      <ErrorAlert error={list.error} title="The instances could not be loaded." />
      {list.loading && !list.data && <Loading what="instances" />}
      {list.data && list.data.length === 0 && <p className="empty">No instances yet. Create one, or start from a service provider's metadata.</p>}
      {list.data && list.data.length > 0 && (
        <DataTable caption="STS instances" columns={['Name', 'Transforms', 'Endpoints', 'Issued tokens']} actions busy={list.loading}>
          {list.data.map((i) => (
            <tr key={i.id}>
              <th scope="row" data-label="Name">
                <Link to={`/instances/${i.name}`}>{i.name}</Link>
                {i.callerRoles && (
                  <div className="muted small">callers need role {i.callerRoles.join(' or ')}</div>
                )}
              </th>
              <td data-label="Transforms">
                <ul className="chips">
                  {i.transforms.map((t) => (
                    <li key={transformLabel(t)} className="chip">
                      {transformLabel(t)}
                    </li>
                  ))}
                </ul>
              </td>
              <td data-label="Endpoints">
                <ul className="links">
                  {endpointLinks(i).map((l) => (
                    <li key={l.label}>
                      <a href={l.href} target="_blank" rel="noreferrer noopener" aria-label={`${l.label} of ${i.name}`}>
                        {l.label}
                      </a>
                    </li>
                  ))}
                </ul>
              </td>
              <td data-label="Issued tokens">{i.persistIssuedTokens ? <Badge tone="ok">recorded</Badge> : <Badge tone="muted">not recorded</Badge>}</td>
              <td className="row-actions">
                <Link className="btn btn-small btn-secondary" to={`/instances/${i.name}`} aria-label={`Edit ${i.name}`}>
                  Edit
                </Link>
                <Link className="btn btn-small btn-secondary" to={`/try?instance=${encodeURIComponent(i.name)}`} aria-label={`Try ${i.name}`}>
                  Try it
                </Link>
                <Button className="btn btn-small btn-secondary" onClick={() => setCurlFor(i)} aria-label={`curl for ${i.name}`}>
                  curl
                </Button>
                <Button className="btn btn-small btn-danger" onClick={() => setDeleting(i)} aria-label={`Delete ${i.name}`}>
                  Delete
                </Button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <CurlDialog instance={curlFor} onClose={() => setCurlFor(null)} />
      <ConfirmDialog
        open={!!deleting}
        title={deleting ? `Delete ${deleting.name}?` : 'Delete'}
        confirmLabel="Delete instance"
        busyLabel="Deleting…"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          const name = deleting!.name;
          await api('mutation DeleteInstance($name: String!) { deleteInstance(name: $name) }', { name });
          setNotice(`Instance ${name} was deleted.`);
          list.reload();
        }}
      >
        <p>
          Its REST door and metadata stop answering at once, and clients using it fail. Its issued-token records stay with the
          deleted instance: publishing the same name again starts afresh.
        </p>
      </ConfirmDialog>
    </>
  );
}
