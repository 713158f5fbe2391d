/**
 * Entry point of `npm start`. Production mode unless told otherwise: graphql-js then skips development-only
 * checks on every request. It has to be set before any module reads it, hence this two-step start.
 */
process.env.NODE_ENV ??= 'production';
await import('./cli.js');
