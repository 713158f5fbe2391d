#!/usr/bin/env node
/**
 * Entry point of `npm start` and of the `tessera` command (package.json "bin"). Production mode unless told
 * otherwise: graphql-js then skips development-only checks on every request. It has to be set before any
 * module reads it, hence this two-step start. Without arguments it serves, as `npm start` always has.
 */
process.env.NODE_ENV ??= 'production';
const { runCli } = await import('./cli/index.js');
const status = await runCli(process.argv.slice(2), async () => {
  const { serve } = await import('./cli.js');
  await serve();
});
if (status !== 'serving') process.exitCode = status;
