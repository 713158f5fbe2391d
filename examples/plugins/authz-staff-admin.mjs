// @ts-check
/**
 * AuthzDecisionStatement: tells the service provider that members of `staff` may GET its admin area. Others get
 * the built-in result (no statement), not a Deny: the absence of a Permit already means no.
 */
const RESOURCE = 'https://sp.example.com/admin';
// SAML core 2.7.4.2: the GET/HEAD/PUT/POST action namespace.
const GHPP = 'urn:oasis:names:tc:SAML:1.0:action:ghpp';

/** @type {import('tessera').Saml2StatementPlugin<'authorizationDecisionStatements'>} */
const plugin = {
  kind: 'saml2-statement',
  statement: 'authorizationDecisionStatements',
  name: 'staff-admin-authz',
  description: 'Permit GET on https://sp.example.com/admin to memberOf staff',
  provide(ctx) {
    const groups = ctx.subject.attributes.memberOf;
    const isStaff = Array.isArray(groups) ? groups.includes('staff') : groups === 'staff';
    if (!isStaff) return ctx.defaults;
    return [...ctx.defaults, { resource: RESOURCE, decision: 'Permit', actions: [{ namespace: GHPP, value: 'GET' }] }];
  },
};

export default plugin;
