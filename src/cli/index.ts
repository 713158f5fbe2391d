/**
 * `tessera <command>` (API.md §10): the one entry point. No command, or `serve`, runs the server (what
 * `npm start` runs); the others administer the database the environment names, offline, through the same
 * services the doors use. `--help` works everywhere; an unknown command or flag is an error with the usage.
 */
import { exportCommand, importCommand, USAGE as BACKUP_USAGE } from './backup.js';
import { adminCommand, instancesCommand, keysCommand, USAGE as COMMAND_USAGE } from './commands.js';
import { describeFailure, EXIT, parse, processIo, UsageError, type Io } from './context.js';

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

const SERVE_USAGE = `Usage: tessera serve

Serves GraphQL, the REST STS, metadata, /metrics, /readyz, /healthz and the admin console on one port, as
configured by the environment (PORT, HOST, TESSERA_DATABASE_URL, TESSERA_WORKERS, ...; see docs/operations.md).
Stops cleanly on SIGTERM or SIGINT.

Options:
  -h, --help   show this help`;

/**
 * Runs one command; resolves with the exit status (the server's `serve` resolves once it is running and keeps
 * the process alive itself). `serve` is handed in so that importing this module does not start anything.
 */
export async function runCli(argv: string[], serve: () => Promise<void>, io: Io = processIo()): Promise<number | 'serving'> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'serve': {
        const p = parse(rest, SERVE_USAGE, {}, { min: 0, max: 0 });
        if (p.help) {
          io.stdout.write(SERVE_USAGE + '\n');
          return EXIT.ok;
        }
        await serve();
        return 'serving';
      }
      case '--help':
      case '-h':
      case 'help':
        if (rest.length > 0) {
          const topic = rest[0]!;
          const text =
            topic === 'serve' ? SERVE_USAGE : topic === 'export' || topic === 'import' ? BACKUP_USAGE[topic] : (COMMAND_USAGE as Record<string, string>)[topic];
          if (!text) throw new UsageError(`unknown command "${topic}"`, USAGE);
          io.stdout.write(text + '\n');
        } else {
          io.stdout.write(USAGE + '\n');
        }
        return EXIT.ok;
      case 'admin':
        await adminCommand(rest, io);
        return EXIT.ok;
      case 'instances':
        await instancesCommand(rest, io);
        return EXIT.ok;
      case 'keys':
        await keysCommand(rest, io);
        return EXIT.ok;
      case 'export':
        await exportCommand(rest, io);
        return EXIT.ok;
      case 'import':
        await importCommand(rest, io);
        return EXIT.ok;
      default:
        throw new UsageError(command.startsWith('-') ? `unknown option "${command}"` : `unknown command "${command}"`, USAGE);
    }
  } catch (e) {
    const { text, status } = describeFailure(e);
    io.stderr.write(text + '\n');
    return status;
  }
}
