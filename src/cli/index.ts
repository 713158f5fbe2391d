/**
 * `tessera <command>` (API.md §10): the one entry point. No command, or `serve`, runs the server (what
 * `npm start` runs); the others administer the database the environment names, offline, through the same
 * services the doors use. `--help` works everywhere; an unknown command or flag is an error with the usage.
 */
import { describeFailure, EXIT, parse, processIo, UsageError, type Io } from './context.js';
import { BACKUP_USAGE, COMMAND_USAGE, SERVE_USAGE, USAGE } from './usage.js';

// The commands load the services only when they run.
const commands = () => import('./commands.js');
const backup = () => import('./backup.js');



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
        await (await commands()).adminCommand(rest, io);
        return EXIT.ok;
      case 'instances':
        await (await commands()).instancesCommand(rest, io);
        return EXIT.ok;
      case 'keys':
        await (await commands()).keysCommand(rest, io);
        return EXIT.ok;
      case 'export':
        await (await backup()).exportCommand(rest, io);
        return EXIT.ok;
      case 'import':
        await (await backup()).importCommand(rest, io);
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
