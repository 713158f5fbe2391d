/** The frame around every page: header, navigation, and the page the path names. */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, navigate, useLocation } from './lib/router';
import { useSession } from './lib/session';
import { SignInPage } from './pages/sign-in';
import { InstancesPage } from './pages/instances';
import { InstanceFormPage } from './pages/instance-form';
import { KeysPage } from './pages/keys';
import { UsersPage } from './pages/users';
import { IssuedTokensPage } from './pages/issued-tokens';
import { AuditPage } from './pages/audit';
import { TryItPage } from './pages/try-it';
import { ClientsPage } from './pages/clients';

const NAV: Array<{ to: string; label: string }> = [
  { to: '/instances', label: 'Instances' },
  { to: '/keys', label: 'Keys' },
  { to: '/clients', label: 'OAuth clients' },
  { to: '/users', label: 'Users' },
  { to: '/tokens', label: 'Issued tokens' },
  { to: '/audit', label: 'Audit trail' },
  { to: '/try', label: 'Try it' },
];

function page(path: string, search: URLSearchParams): { title: string; section: string; body: ReactNode } {
  if (path === '/instances') return { title: 'Instances', section: '/instances', body: <InstancesPage /> };
  if (path === '/instances/new') return { title: 'New instance', section: '/instances', body: <InstanceFormPage key="new" fromMetadata={search.has('metadata')} /> };
  const m = /^\/instances\/([a-z0-9][a-z0-9-]{0,62})$/.exec(path);
  if (m) return { title: `Instance ${m[1]}`, section: '/instances', body: <InstanceFormPage key={m[1]} name={m[1]} /> };
  if (path === '/keys') return { title: 'Keys', section: '/keys', body: <KeysPage /> };
  if (path === '/clients') return { title: 'OAuth clients', section: '/clients', body: <ClientsPage /> };
  if (path === '/users') return { title: 'Users', section: '/users', body: <UsersPage /> };
  if (path === '/tokens') return { title: 'Issued tokens', section: '/tokens', body: <IssuedTokensPage /> };
  if (path === '/audit') return { title: 'Audit trail', section: '/audit', body: <AuditPage /> };
  if (path === '/try') return { title: 'Try it', section: '/try', body: <TryItPage initialInstance={search.get('instance') ?? undefined} /> };
  return {
    title: 'Not found',
    section: '',
    body: (
      <>
        <h1 tabIndex={-1}>Not found</h1>
        <p>
          The console has no page at this address. <Link to="/instances">Go to the instances</Link>.
        </p>
      </>
    ),
  };
}

export function App() {
  const { session, signOut } = useSession();
  const { path, search } = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => {
    if (session && path === '/') navigate('/instances', { replace: true });
  }, [session, path]);

  const current = session ? page(path, search) : null;
  useEffect(() => {
    document.title = current ? `${current.title} · Tessera admin` : 'Sign in · Tessera admin';
    setMenuOpen(false);
    // After a navigation, start reading at the new page's heading (not on the first load: the browser's own
    // starting point is right there).
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>('h1')?.focus();
    // Only a new path or signing in counts as a navigation; `current` is rebuilt on every render.
  }, [path, !!session]);

  if (!session) return <SignInPage />;

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Tessera <span className="brand-sub">admin</span>
        </span>
        <button type="button" className="btn btn-secondary menu-button" aria-expanded={menuOpen} aria-controls="nav" onClick={() => setMenuOpen((o) => !o)}>
          Menu
        </button>
        <span className="whoami">
          Signed in as <strong>{session.username}</strong>
        </span>
        <button type="button" className="btn btn-secondary" onClick={() => void signOut()}>
          Log out
        </button>
      </header>
      <nav id="nav" className={menuOpen ? 'nav nav-open' : 'nav'} aria-label="Console">
        <ul>
          {NAV.map((n) => (
            <li key={n.to}>
              <Link to={n.to} aria-current={current!.section === n.to ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
        <p className="nav-foot">
          <a href="/graphiql">GraphiQL</a>
        </p>
      </nav>
      <main id="main" ref={main} tabIndex={-1}>
        {current!.body}
      </main>
    </div>
  );
}
