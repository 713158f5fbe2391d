// @ts-check
/**
 * AttributeStatement: keeps every attribute the built-in maps from saml2.attributeMap and adds a static
 * `tenant` attribute, for a service provider shared by several tenants.
 */
const TENANT = {
  name: 'urn:example:tenant',
  nameFormat: 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
  friendlyName: 'tenant',
  values: ['acme'],
};

/** @type {import('tessera').Saml2StatementPlugin<'attributeStatements'>} */
const plugin = {
  kind: 'saml2-statement',
  statement: 'attributeStatements',
  name: 'static-tenant-attribute',
  description: 'Mapped attributes plus tenant=acme',
  provide(ctx) {
    if (ctx.defaults.length === 0) return [{ attributes: [TENANT] }];
    // Copies, not in-place edits: ctx.defaults belongs to Tessera.
    const [first, ...rest] = ctx.defaults;
    return [{ attributes: [...first.attributes, TENANT] }, ...rest];
  },
};

export default plugin;
