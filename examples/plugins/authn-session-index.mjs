// @ts-check
/**
 * AuthnStatement: adds a SessionIndex (SAML core 2.7.2) so a service provider can name this login session in a
 * later LogoutRequest. The index is derived from the subject and the authentication instant, so every assertion
 * issued for the same login carries the same index, and it reveals neither.
 */
import { createHash } from 'node:crypto';

/** @type {import('tessera').Saml2StatementPlugin<'authenticationStatements'>} */
const plugin = {
  kind: 'saml2-statement',
  statement: 'authenticationStatements',
  name: 'session-index-authn',
  description: 'Built-in AuthnStatement plus a stable SessionIndex',
  provide(ctx) {
    const digest = createHash('sha256')
      .update(`${ctx.instance.name}\n${ctx.subject.name}\n${ctx.subject.authnInstant.toISOString()}`)
      .digest('hex');
    // xs:string, but SPs often store it as an XML ID, so it starts with a letter or underscore.
    const sessionIndex = `_${digest.slice(0, 32)}`;
    return ctx.defaults.map((statement) => ({ ...statement, sessionIndex }));
  },
};

export default plugin;
