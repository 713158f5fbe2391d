/**
 * The `tessera` command end to end on PostgreSQL (test/support/cli-suite.ts); export → import into an empty
 * PostgreSQL and an empty SQLite database.
 */
import { cliSuite } from '../support/cli-suite.js';

cliSuite('postgresql', { usage: false });
