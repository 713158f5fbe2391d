// @ts-check
/**
 * Conditions: marks the assertion OneTimeUse (SAML core 2.5.1.6) and caps its lifetime at 60 seconds, for service
 * providers that only need the assertion for the moment of login. Everything else (NotBefore, Audience) comes
 * from the built-in result in ctx.defaults.
 */
const MAX_LIFETIME_MS = 60_000;

/** @type {import('tessera').Saml2StatementPlugin<'conditions'>} */
const plugin = {
  kind: 'saml2-statement',
  statement: 'conditions',
  name: 'one-time-use-conditions',
  description: 'OneTimeUse, and NotOnOrAfter at most 60 s after issue',
  provide(ctx) {
    const cap = new Date(ctx.issueInstant.getTime() + MAX_LIFETIME_MS);
    const built = ctx.defaults.notOnOrAfter;
    // Only ever shorten: Tessera refuses a bearer NotOnOrAfter beyond issue + lifetime anyway.
    const notOnOrAfter = built !== undefined && built.getTime() < cap.getTime() ? built : cap;
    return { ...ctx.defaults, notOnOrAfter, oneTimeUse: true };
  },
};

export default plugin;
