import { useState, type FormEvent } from 'react';
import { ApiError } from '../lib/api';
import { useSession } from '../lib/session';
import { Button, TextField } from '../ui/components';

export function SignInPage() {
  const { signIn, endedBecause } = useSession();
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(username, password);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNAUTHENTICATED') setError('The username or password is wrong.');
      else if (err instanceof ApiError && err.code === 'RATE_LIMITED') setError('Too many failed attempts for this user from here. Wait a few minutes, then try again.');
      else setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <main id="main" className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title" aria-busy={busy}>
        <p className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Tessera <span className="brand-sub">admin</span>
        </p>
        <h1 id="signin-title">Sign in</h1>
        {endedBecause && !error && (
          <div className="alert alert-info" role="status">
            {endedBecause}
          </div>
        )}
        {error && (
          <div className="alert alert-error" role="alert">
            {error}
          </div>
        )}
        <TextField id="signin-username" label="Username" value={username} onChange={setUsername} autoComplete="username" required />
        <TextField id="signin-password" label="Password" type="password" value={password} onChange={setPassword} autoComplete="current-password" required autoFocus />
        <Button type="submit" className="btn btn-primary btn-block" busy={busy} busyLabel="Signing in…">
          Sign in
        </Button>
        <div className="first-run">
          <h2>First start?</h2>
          <p>
            Tessera creates the user <code>admin</code> on its first start. Unless <code>TESSERA_ADMIN_PASSWORD</code> was set, it
            generates a password and prints it <strong>once</strong> in the server's output, on the line{' '}
            <q>Generated admin password (shown once)</q>. Only a hash of it is stored, so it cannot be shown again: sign in
            with it, then create named admin users on the Users page.
          </p>
        </div>
      </form>
    </main>
  );
}
