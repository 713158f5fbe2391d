/**
 * The usage texts of every command, apart from the commands themselves so that `--help` and a usage error
 * load nothing else (no database driver, no crypto, no GraphQL).
 */
export const USAGE = `Usage: tessera <command> [options]

Commands:
  serve                           serve the STS (the default; what npm start runs)
  admin reset-password <user>     set a user's password, read from standard input
  instances list|get|apply|delete publish and inspect STS instances
  keys list|generate|rotate|retire manage signing keys
  export [--output <file>]        the whole configuration as JSON (backup, GitOps)
  import <file>                   an export into a new database

Every command reads the same environment as the server (TESSERA_DATABASE_URL, TESSERA_MASTER_KEY, ...).
Run "tessera <command> --help" for a command's options.`;

export const SERVE_USAGE = `Usage: tessera serve

Serves GraphQL, the REST STS, metadata, /metrics, /readyz, /healthz and the admin console on one port, as
configured by the environment (PORT, HOST, TESSERA_DATABASE_URL, TESSERA_WORKERS, ...; see docs/operations.md).
Stops cleanly on SIGTERM or SIGINT.

Options:
  -h, --help   show this help`;

export const COMMAND_USAGE = {
  admin: `Usage: tessera admin reset-password <user>

Sets a user's password without the old one, on the database directly (no server needed). The new password
is read from standard input (one line; typed without echo on a terminal); every session of the user ends.

Options:
  -h, --help   show this help`,
  instances: `Usage: tessera instances <command>

Commands:
  list [--json]                    the published instances (--json: as InstanceInput objects)
  get <name>                       one instance as an InstanceInput (JSON, without secrets)
  apply -f <file> [--replace]      publish the InstanceInput, or list of them, in <file> ("-": standard input);
                                   a name that exists is CONFLICT unless --replace (then a full replacement)
  delete <name>                    delete an instance

Options:
  -h, --help   show this help`,
  keys: `Usage: tessera keys <command>

Commands:
  list [--json]          the signing keys (never private material)
  generate <algorithm>   a new ACTIVE key: RS256, RS512, PS256 (RSA-2048; -3072 for RSA-3072), ES256, EdDSA
  rotate <kid>           a new ACTIVE key of the same algorithm; the old one stays PUBLISHED (still verifies)
  retire <kid>           no longer published or used

A kid may begin with "-": put -- before it (tessera keys rotate -- -SMvn9o...).

Options:
  -h, --help   show this help`,
} as const;

export const BACKUP_USAGE = {
  export: `Usage: tessera export [--output <file>]

Writes the whole configuration as JSON: instances, keys (public parts and sealed private parts), users
(without passwords), the plugins the instances reference, and the records of tokens still live. The private
keys stay sealed under TESSERA_MASTER_KEY; keep the master key apart from the export.

Options:
  -o, --output <file>   write to <file> (mode 0600) instead of standard output
  -h, --help            show this help`,
  import: `Usage: tessera import <file> [--replace]

Reads an export ("-": standard input) into this database, which must hold no instances and no keys (a new
database, before its first serve), unless --replace: then instances of the same name are replaced and keys
already present are kept. TESSERA_MASTER_KEY must be the one the export was made under. Imported users have no
password until "tessera admin reset-password <user>".

Options:
  --replace     replace instances that exist instead of refusing (CONFLICT)
  -h, --help    show this help`,
} as const;
