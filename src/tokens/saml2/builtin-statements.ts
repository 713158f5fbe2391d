/**
 * The built-in SAML statement providers, one per statement kind (API.md §6). They follow PingAM's defaults
 * (Default*Provider in the AM STS), with two deliberate changes: AuthnInstant is the original authentication,
 * not the time of the STS request (SAML core 2.7.2: "the time at which the authentication took place"), and
 * AuthnContextClassRef is what the input's validator observed (VerifiedSubject.authn), not a guess from the
 * input type.
 */
import type { Attributes, SubjectConfirmationMethod } from '../../engine/types.js';
import type { Saml2Config } from './saml2.config.js';
import type {
  AttributeStatementResult,
  AuthnStatementResult,
  AuthzDecisionStatementResult,
  ConditionsResult,
  Saml2StatementPlugin,
  SamlAttributeResult,
  SamlStatementContext,
  SamlStatementKind,
  StatementResults,
  SubjectResult,
} from '../../plugins/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';
import { randomBytes } from 'node:crypto';
import { isAbsoluteUri } from './xml.js';

export const NAMEID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';

/** SAML authn context classes (saml-authn-context-2.0 §3.4). */
export { AUTHN_CONTEXT_CLASS as AUTHN_CONTEXT } from '../authn-context.js';

/** What the built-ins read: the instance's SAML settings, the verified subject and the issue instant. */
export interface DefaultsInput {
  saml2: Pick<Saml2Config, 'spEntityId' | 'nameIdFormat' | 'attributeMap' | 'lifetimeSeconds'>;
  /** `authnContextClass`: the class the validator observed or assumed; unspecified when it knows none. */
  subject: { name: string; attributes: Attributes; inputType: string; authnInstant: Date; authnContextClass?: string };
  issueInstant: Date;
  subjectConfirmation: SubjectConfirmationMethod;
}

export function defaultConditions(input: DefaultsInput): ConditionsResult {
  const issue = input.issueInstant.getTime();
  return {
    notBefore: new Date(issue),
    notOnOrAfter: new Date(issue + input.saml2.lifetimeSeconds * 1000),
    audiences: [input.saml2.spEntityId],
  };
}

export function defaultSubject(input: DefaultsInput): SubjectResult {
  return { nameId: { value: input.subject.name, format: input.saml2.nameIdFormat || NAMEID_UNSPECIFIED } };
}

/**
 * SAML core 2.7.2: SessionIndex names the session at the IdP; SPs key single logout and their own sessions on
 * it, and some (pysaml2, node-saml's logout) expect one. Each assertion gets a fresh random index: Tessera
 * keeps no browser session whose name it could reveal.
 */
export function newSessionIndex(): string {
  return `_${randomBytes(16).toString('hex')}`;
}

export function defaultAuthenticationStatements(input: DefaultsInput): AuthnStatementResult[] {
  return [
    {
      authnInstant: new Date(input.subject.authnInstant.getTime()),
      contextClassRef: input.subject.authnContextClass ?? AUTHN_CONTEXT_CLASS.unspecified,
      sessionIndex: newSessionIndex(),
    },
  ];
}

/**
 * attributeMap is `{ "<SAML attribute name>": "<user attribute>" }` or, per attribute, `{ "<SAML attribute
 * name>": { attribute, nameFormat?, friendlyName? } }` (saml2.config.ts). As in PingAM's attribute map, a key
 * may also be `<NameFormat URI>|<name>`. A list attribute gives one AttributeValue per entry; a missing or empty attribute
 * is left out, and the statement is omitted when nothing remains (SAML core 2.7.3 needs at least one Attribute).
 */
export function defaultAttributeStatements(input: DefaultsInput): AttributeStatementResult[] {
  const attributes: SamlAttributeResult[] = [];
  const map = input.saml2.attributeMap ?? {};
  for (const samlKey of Object.keys(map)) {
    const entry = map[samlKey];
    const source = typeof entry === 'string' ? entry : entry?.attribute;
    if (typeof source !== 'string') continue;
    if (!Object.prototype.hasOwnProperty.call(input.subject.attributes, source)) continue;
    const raw = input.subject.attributes[source];
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    if (values.length === 0) continue;
    const bar = samlKey.indexOf('|');
    const attr: SamlAttributeResult =
      bar > 0 && bar < samlKey.length - 1 && isAbsoluteUri(samlKey.slice(0, bar))
        ? { name: samlKey.slice(bar + 1), nameFormat: samlKey.slice(0, bar), values: [...values] }
        : { name: samlKey, values: [...values] };
    if (typeof entry === 'object') {
      if (entry.nameFormat !== undefined) attr.nameFormat = entry.nameFormat;
      if (entry.friendlyName !== undefined) attr.friendlyName = entry.friendlyName;
    }
    attributes.push(attr);
  }
  return attributes.length > 0 ? [{ attributes }] : [];
}

export function defaultAuthorizationDecisionStatements(_input: DefaultsInput): AuthzDecisionStatementResult[] {
  return [];
}

/** Everything the built-ins produce for one request: the `defaults` handed to plugins. */
export function computeDefaultStatements(input: DefaultsInput): StatementResults {
  return {
    conditions: defaultConditions(input),
    subject: defaultSubject(input),
    authenticationStatements: defaultAuthenticationStatements(input),
    attributeStatements: defaultAttributeStatements(input),
    authorizationDecisionStatements: defaultAuthorizationDecisionStatements(input),
  };
}

/**
 * A built-in as a selectable plugin. `ctx.defaults` is exactly what it computes for the request (the engine ran
 * it with the full subject, including what a plugin context does not carry, such as the authentication class).
 */
function builtIn<K extends SamlStatementKind>(
  statement: K,
  name: string,
  description: string,
  _compute: (input: DefaultsInput) => StatementResults[K],
): Saml2StatementPlugin<K> {
  return Object.freeze({
    kind: 'saml2-statement' as const,
    statement,
    name,
    description,
    provide: (ctx: SamlStatementContext<K>) => structuredClone(ctx.defaults) as StatementResults[K],
  });
}

export const BUILT_IN_SAML_PLUGINS: Saml2StatementPlugin[] = [
  builtIn('conditions', 'default-conditions', 'NotBefore = issue instant, NotOnOrAfter = issue + lifetime, Audience = spEntityId', defaultConditions),
  builtIn('subject', 'default-subject', 'NameID = the subject name in the configured nameIdFormat', defaultSubject),
  builtIn(
    'authenticationStatements',
    'default-authentication-statements',
    'AuthnInstant = the original authentication; AuthnContextClassRef = how the input was authenticated',
    defaultAuthenticationStatements,
  ),
  builtIn('attributeStatements', 'default-attribute-statements', 'Attributes from attributeMap; omitted when empty', defaultAttributeStatements),
  builtIn(
    'authorizationDecisionStatements',
    'default-authorization-decision-statements',
    'No AuthzDecisionStatement',
    defaultAuthorizationDecisionStatements,
  ),
] as Saml2StatementPlugin[];
