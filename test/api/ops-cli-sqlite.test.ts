/**
 * The `tessera` command end to end on SQLite (test/support/cli-suite.ts), with the usage checks; export →
 * import into an empty SQLite and an empty PostgreSQL database.
 */
import { cliSuite } from '../support/cli-suite.js';

cliSuite('sqlite', { usage: true });
