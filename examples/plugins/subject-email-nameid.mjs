// @ts-check
/**
 * Subject: uses the subject's `mail` attribute as an emailAddress NameID (SAML core 8.3.2), for service providers
 * that key accounts by e-mail. Without a mail attribute it keeps the built-in NameID rather than failing.
 */
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

/** @type {import('tessera').Saml2StatementPlugin<'subject'>} */
const plugin = {
  kind: 'saml2-statement',
  statement: 'subject',
  name: 'email-name-id',
  description: 'NameID = the mail attribute, format emailAddress',
  provide(ctx) {
    const mail = ctx.subject.attributes.mail;
    const value = Array.isArray(mail) ? mail[0] : mail;
    if (typeof value !== 'string' || !value.includes('@')) return ctx.defaults;
    return { nameId: { value, format: EMAIL_FORMAT } };
  },
};

export default plugin;
