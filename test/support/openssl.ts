/**
 * Certificates made by OpenSSL at test time, exactly as people make them on the command line (nothing private
 * is committed): `openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=x -days 1`, CSRs signed by a CA with
 * `openssl x509 -req -CA … -md5`, RSASSA-PSS via `-sigopt rsa_padding_mode:pss`, and several certificates
 * for one key.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrivateKey, type KeyObject } from 'node:crypto';

export interface OpensslCert {
  pem: string;
  /** PKCS #8 PEM of the certificate's key. */
  keyPem: string;
  key: KeyObject;
  /** Path of the PEM in the workspace (for signing further certificates). */
  certPath: string;
  keyPath: string;
}

/** `-newkey` arguments for the usual key types. */
export const NEWKEY = {
  rsa2048: ['-newkey', 'rsa:2048'],
  rsa1024: ['-newkey', 'rsa:1024'],
  p256: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  ed25519: ['-newkey', 'ed25519'],
} as const;

/** A scratch folder for one suite's keys and certificates; `cleanup()` removes it. */
export class OpensslWorkspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'tessera-openssl-'));
  private n = 0;

  run(args: string[]): string {
    return execFileSync('openssl', args, { cwd: this.dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  private next(prefix: string): { cert: string; key: string } {
    this.n += 1;
    return { cert: join(this.dir, `${prefix}-${this.n}.pem`), key: join(this.dir, `${prefix}-${this.n}.key`) };
  }

  private load(certPath: string, keyPath: string): OpensslCert {
    const keyPem = readFileSync(keyPath, 'utf8');
    return { pem: readFileSync(certPath, 'utf8'), keyPem, key: createPrivateKey(keyPem), certPath, keyPath };
  }

  /** `openssl req -x509 <newkey> -nodes -subj /CN=<cn> -days <days> [-<md>]`: OpenSSL's defaults make it CA:TRUE. */
  selfSigned(opts: { cn?: string; newkey?: readonly string[]; days?: number; md?: string; extra?: string[] } = {}): OpensslCert {
    const p = this.next('self');
    const args = ['req', '-x509', ...(opts.newkey ?? NEWKEY.rsa2048), '-nodes', '-subj', `/CN=${opts.cn ?? 'x'}`, '-days', String(opts.days ?? 1), '-keyout', p.key, '-out', p.cert];
    if (opts.md) args.push(`-${opts.md}`);
    this.run([...args, ...(opts.extra ?? [])]);
    return this.load(p.cert, p.key);
  }

  /** A key of its own (PKCS #8 PEM path). */
  newKey(newkey: readonly string[] = NEWKEY.rsa2048): string {
    const p = this.next('key');
    const [, spec, ...rest] = newkey;
    const algorithm = spec.startsWith('rsa:') ? 'RSA' : spec === 'ec' ? 'EC' : spec.toUpperCase();
    const args = ['genpkey', '-algorithm', algorithm, '-out', p.key];
    if (algorithm === 'RSA') args.push('-pkeyopt', `rsa_keygen_bits:${spec.slice(4)}`);
    else for (let i = 0; i + 1 < rest.length; i += 2) args.push(rest[i], rest[i + 1]);
    this.run(args);
    return p.key;
  }

  /**
   * A certificate for `keyPath` (or a new RSA-2048 key) signed by `ca` with `openssl x509 -req`: `md` picks the
   * digest (md5, sha1, sha256…), `sigopt` e.g. ['rsa_padding_mode:pss'], `ext` lines for an extension file.
   */
  issue(ca: OpensslCert, opts: { cn?: string; keyPath?: string; md?: string; sigopt?: string[]; days?: number; ext?: string[] } = {}): OpensslCert {
    const p = this.next('leaf');
    const keyPath = opts.keyPath ?? this.newKey();
    const csr = `${p.cert}.csr`;
    this.run(['req', '-new', '-key', keyPath, '-subj', `/CN=${opts.cn ?? 'leaf'}`, '-out', csr]);
    const args = ['x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', String(1000 + this.n), '-days', String(opts.days ?? 1), '-out', p.cert];
    args.push(`-${opts.md ?? 'sha256'}`);
    for (const s of opts.sigopt ?? []) args.push('-sigopt', s);
    if (opts.ext) {
      const extFile = `${p.cert}.ext`;
      writeFileSync(extFile, opts.ext.join('\n') + '\n');
      args.push('-extfile', extFile);
    }
    this.run(args);
    return this.load(p.cert, keyPath);
  }

  /** `openssl x509 -noout -text` of a certificate, for assertions on what OpenSSL made. */
  text(c: OpensslCert): string {
    return this.run(['x509', '-in', c.certPath, '-noout', '-text']);
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
