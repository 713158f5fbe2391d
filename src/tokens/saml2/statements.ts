/**
 * Runs the SAML statement plugins an instance selects (API.md §6) and checks what they return. Plugins never
 * write XML: their results are plain data that is validated here and serialized by assertion-builder.ts, so a
 * plugin can neither inject markup nor break the signature.
 */
import { TesseraError, sanitizeMessage } from '../../engine/errors.js';
import type { Attributes, SubjectConfirmationMethod } from '../../engine/types.js';
import { PluginFailureError, pluginErrorText, type PluginFailureReason } from '../../plugins/plugin-failure.js';
import { callWithTimeout } from '../../plugins/timeout.js';
import type { Saml2Config } from './saml2.config.js';
import {
  SAML_STATEMENT_KINDS,
  type AttributeStatementResult,
  type AuthnStatementResult,
  type AuthzDecisionStatementResult,
  type ConditionsResult,
  type Saml2StatementPlugin,
  type SamlAttributeResult,
  type SamlStatementContext,
  type SamlStatementKind,
  type StatementResults,
  type SubjectResult,
} from '../../plugins/types.js';
import { computeDefaultStatements } from './builtin-statements.js';
import { isAbsoluteUri, isXmlText } from './xml.js';

/** A statement plugin failed (it was not loaded, threw, timed out or returned something malformed): INTERNAL. */
function pluginFailed(pluginName: string, statement: SamlStatementKind, reason: PluginFailureReason, detail: string, cause?: unknown): PluginFailureError {
  return new PluginFailureError(`SAML statement plugin ${sanitizeMessage(pluginName, 100)}`, reason, sanitizeMessage(detail), cause, { pluginName, statement });
}

/** A result that breaks the rules; turned into PluginFailureError with the plugin's name. */
class InvalidResult extends Error {}

export const LIMITS = {
  maxString: 1024,
  maxAudiences: 32,
  maxStatements: 16,
  maxAttributes: 256,
  maxValuesPerAttribute: 256,
  maxActions: 32,
  /** Upper bound on any assertion's validity (the largest lifetimeSeconds a config may set). */
  maxLifetimeSeconds: 86400,
} as const;

export interface StatementDeps {
  resolvePlugin(name: string): Saml2StatementPlugin | undefined;
  pluginTimeoutMs: number;
}

export interface StatementRequest {
  instanceName: string;
  saml2: Saml2Config;
  /** `authnContextClass` feeds the built-in AuthnStatement; plugins see the API.md §6 subject without it. */
  subject: { name: string; attributes: Attributes; inputType: string; authnInstant: Date; authnContextClass?: string };
  issueInstant: Date;
  subjectConfirmation: SubjectConfirmationMethod;
  proofCertificate?: string;
}

/**
 * Computes the five statement kinds: the built-in result, or the selected plugin's (called with the built-in
 * result as `ctx.defaults`, bounded by `pluginTimeoutMs`). Every result, built-in or not, passes the same checks;
 * a plugin's bad result fails the request with PluginFailureError.
 */
export async function resolveStatements(deps: StatementDeps, req: StatementRequest): Promise<StatementResults> {
  const defaults = computeDefaultStatements({
    saml2: req.saml2,
    subject: req.subject,
    issueInstant: req.issueInstant,
    subjectConfirmation: req.subjectConfirmation,
  });
  const results: Partial<Record<SamlStatementKind, unknown>> = {};
  const selection = req.saml2.plugins ?? {};
  for (const kind of SAML_STATEMENT_KINDS) {
    const pluginName = selection[kind];
    if (pluginName === undefined || pluginName === null || pluginName === '') {
      results[kind] = defaults[kind];
      continue;
    }
    const raw = await callPlugin(deps, req, kind, pluginName, defaults[kind]);
    try {
      results[kind] = validateResult(kind, raw);
    } catch (e) {
      if (e instanceof InvalidResult) throw pluginFailed(pluginName, kind, 'malformed-result', e.message);
      throw e;
    }
  }
  const out = results as StatementResults;
  try {
    out.conditions = enforceConditionsPolicy(out.conditions, req);
  } catch (e) {
    if (e instanceof InvalidResult && selection.conditions) {
      throw pluginFailed(selection.conditions, 'conditions', 'malformed-result', e.message);
    }
    if (e instanceof InvalidResult) throw new TesseraError('INTERNAL', `SAML conditions: ${e.message}`);
    throw e;
  }
  return out;
}

async function callPlugin(
  deps: StatementDeps,
  req: StatementRequest,
  kind: SamlStatementKind,
  name: string,
  defaults: unknown,
): Promise<unknown> {
  const plugin = deps.resolvePlugin(name);
  if (!plugin || plugin.kind !== 'saml2-statement' || typeof plugin.provide !== 'function') {
    throw pluginFailed(name, kind, 'threw', 'no such SAML statement plugin is loaded');
  }
  if (plugin.statement !== kind) {
    throw pluginFailed(name, kind, 'threw', `the plugin provides ${String(plugin.statement)}, not ${kind}`);
  }
  // The plugin gets copies: whatever it mutates cannot reach the request, the config cache or other plugins.
  const ctx: SamlStatementContext = {
    instance: { name: req.instanceName, saml2: deepFreeze(structuredClone(req.saml2) as unknown as Record<string, unknown>) },
    subject: {
      name: req.subject.name,
      attributes: structuredClone(req.subject.attributes),
      inputType: req.subject.inputType,
      authnInstant: new Date(req.subject.authnInstant.getTime()),
    },
    issueInstant: new Date(req.issueInstant.getTime()),
    subjectConfirmation: req.subjectConfirmation,
    ...(req.proofCertificate !== undefined ? { proofCertificate: req.proofCertificate } : {}),
    defaults: structuredClone(defaults) as StatementResults[SamlStatementKind],
  };
  try {
    return await callWithTimeout(
      () => (plugin as Saml2StatementPlugin).provide(ctx),
      deps.pluginTimeoutMs,
      () => pluginFailed(name, kind, 'timeout', `no result within ${deps.pluginTimeoutMs} ms`),
    );
  } catch (e) {
    if (e instanceof PluginFailureError) throw e;
    throw pluginFailed(name, kind, 'threw', pluginErrorText(e), e);
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

// ---------------------------------------------------------------------------------------------------------------
// Result validation: exact shapes, bounded sizes, text XML can carry. Returns fresh objects (never the plugin's).
// ---------------------------------------------------------------------------------------------------------------

export function validateResult<K extends SamlStatementKind>(kind: K, raw: unknown): StatementResults[K] {
  switch (kind) {
    case 'conditions':
      return validateConditions(raw) as StatementResults[K];
    case 'subject':
      return validateSubject(raw) as StatementResults[K];
    case 'authenticationStatements':
      return list(raw, 'authenticationStatements', LIMITS.maxStatements, validateAuthn) as StatementResults[K];
    case 'attributeStatements':
      return list(raw, 'attributeStatements', LIMITS.maxStatements, validateAttributeStatement) as StatementResults[K];
    case 'authorizationDecisionStatements':
      return list(raw, 'authorizationDecisionStatements', LIMITS.maxStatements, validateAuthz) as StatementResults[K];
    default:
      throw new InvalidResult(`unknown statement kind`);
  }
}

function record(raw: unknown, where: string, allowed: readonly string[]): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidResult(`${where} must be an object`);
  const proto = Object.getPrototypeOf(raw);
  if (proto !== Object.prototype && proto !== null) throw new InvalidResult(`${where} must be a plain object`);
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) throw new InvalidResult(`${where} has an unknown field "${k}"`);
  }
  return raw as Record<string, unknown>;
}

function list<T>(raw: unknown, where: string, max: number, item: (v: unknown, where: string) => T): T[] {
  if (!Array.isArray(raw)) throw new InvalidResult(`${where} must be an array`);
  if (raw.length > max) throw new InvalidResult(`${where} has more than ${max} entries`);
  return raw.map((v, i) => item(v, `${where}[${i}]`));
}

function str(raw: unknown, where: string, opts: { allowEmpty?: boolean } = {}): string {
  if (typeof raw !== 'string') throw new InvalidResult(`${where} must be a string`);
  if (!opts.allowEmpty && raw.length === 0) throw new InvalidResult(`${where} must not be empty`);
  if (raw.length > LIMITS.maxString) throw new InvalidResult(`${where} is longer than ${LIMITS.maxString} characters`);
  if (!isXmlText(raw)) throw new InvalidResult(`${where} contains characters XML cannot carry`);
  return raw;
}

function optStr(raw: unknown, where: string): string | undefined {
  return raw === undefined ? undefined : str(raw, where);
}

/** xs:anyURI fields (formats, class refs, audiences, namespaces, resources): absolute URIs only. */
function uri(raw: unknown, where: string): string {
  const s = str(raw, where);
  if (!isAbsoluteUri(s)) throw new InvalidResult(`${where} must be an absolute URI`);
  return s;
}

function optUri(raw: unknown, where: string): string | undefined {
  return raw === undefined ? undefined : uri(raw, where);
}

/** xs:dateTime is written with a four-digit year; anything outside is a broken clock or a broken plugin. */
function date(raw: unknown, where: string): Date {
  if (!(raw instanceof Date) || Number.isNaN(raw.getTime())) throw new InvalidResult(`${where} must be a valid Date`);
  const y = raw.getUTCFullYear();
  if (y < 1970 || y > 9999) throw new InvalidResult(`${where} is out of range`);
  return new Date(raw.getTime());
}

function optDate(raw: unknown, where: string): Date | undefined {
  return raw === undefined ? undefined : date(raw, where);
}

function validateConditions(raw: unknown): ConditionsResult {
  const r = record(raw, 'conditions', ['notBefore', 'notOnOrAfter', 'audiences', 'oneTimeUse']);
  const out: ConditionsResult = {};
  const nb = optDate(r.notBefore, 'conditions.notBefore');
  const na = optDate(r.notOnOrAfter, 'conditions.notOnOrAfter');
  if (nb) out.notBefore = nb;
  if (na) out.notOnOrAfter = na;
  if (r.audiences !== undefined) {
    out.audiences = list(r.audiences, 'conditions.audiences', LIMITS.maxAudiences, (v, w) => uri(v, w));
  }
  if (r.oneTimeUse !== undefined) {
    if (typeof r.oneTimeUse !== 'boolean') throw new InvalidResult('conditions.oneTimeUse must be a boolean');
    out.oneTimeUse = r.oneTimeUse;
  }
  return out;
}

function validateSubject(raw: unknown): SubjectResult {
  const r = record(raw, 'subject', ['nameId']);
  const n = record(r.nameId, 'subject.nameId', ['value', 'format', 'nameQualifier', 'spNameQualifier']);
  const nameId: SubjectResult['nameId'] = { value: str(n.value, 'subject.nameId.value') };
  const format = optUri(n.format, 'subject.nameId.format');
  const nq = optStr(n.nameQualifier, 'subject.nameId.nameQualifier');
  const spnq = optStr(n.spNameQualifier, 'subject.nameId.spNameQualifier');
  if (format !== undefined) nameId.format = format;
  if (nq !== undefined) nameId.nameQualifier = nq;
  if (spnq !== undefined) nameId.spNameQualifier = spnq;
  return { nameId };
}

function validateAuthn(raw: unknown, where: string): AuthnStatementResult {
  const r = record(raw, where, ['authnInstant', 'contextClassRef', 'sessionIndex']);
  const out: AuthnStatementResult = {
    authnInstant: date(r.authnInstant, `${where}.authnInstant`),
    contextClassRef: uri(r.contextClassRef, `${where}.contextClassRef`),
  };
  const si = optStr(r.sessionIndex, `${where}.sessionIndex`);
  if (si !== undefined) out.sessionIndex = si;
  return out;
}

function validateAttributeStatement(raw: unknown, where: string): AttributeStatementResult {
  const r = record(raw, where, ['attributes']);
  // SAML core 2.7.3: an AttributeStatement holds at least one Attribute.
  const attributes = list(r.attributes, `${where}.attributes`, LIMITS.maxAttributes, validateAttribute);
  if (attributes.length === 0) throw new InvalidResult(`${where}.attributes must not be empty`);
  return { attributes };
}

function validateAttribute(raw: unknown, where: string): SamlAttributeResult {
  const r = record(raw, where, ['name', 'nameFormat', 'friendlyName', 'values']);
  const out: SamlAttributeResult = {
    name: str(r.name, `${where}.name`),
    values: list(r.values, `${where}.values`, LIMITS.maxValuesPerAttribute, (v, w) => str(v, w, { allowEmpty: true })),
  };
  const nf = optUri(r.nameFormat, `${where}.nameFormat`);
  const fn = optStr(r.friendlyName, `${where}.friendlyName`);
  if (nf !== undefined) out.nameFormat = nf;
  if (fn !== undefined) out.friendlyName = fn;
  return out;
}

const DECISIONS = ['Permit', 'Deny', 'Indeterminate'] as const;

function validateAuthz(raw: unknown, where: string): AuthzDecisionStatementResult {
  const r = record(raw, where, ['resource', 'decision', 'actions']);
  if (!DECISIONS.includes(r.decision as (typeof DECISIONS)[number])) {
    throw new InvalidResult(`${where}.decision must be Permit, Deny or Indeterminate`);
  }
  // SAML core 2.7.4: at least one Action.
  const actions = list(r.actions, `${where}.actions`, LIMITS.maxActions, (v, w) => {
    const a = record(v, w, ['namespace', 'value']);
    const action: { namespace?: string; value: string } = { value: str(a.value, `${w}.value`) };
    const ns = optUri(a.namespace, `${w}.namespace`);
    if (ns !== undefined) action.namespace = ns;
    return action;
  });
  if (actions.length === 0) throw new InvalidResult(`${where}.actions must not be empty`);
  const resource = r.resource === '' ? '' : uri(r.resource, `${where}.resource`);
  return { resource, decision: r.decision as AuthzDecisionStatementResult['decision'], actions };
}

/**
 * Tessera's rules on Conditions, whatever a plugin returns. A violation is refused, never silently repaired, so a
 * plugin author sees the mistake instead of getting an assertion other than the one they asked for:
 * - NotOnOrAfter defaults to issue + lifetime when absent; it must be after the issue instant and NotBefore;
 * - BEARER (SAML profiles 4.1.4.2, SAML core 2.4.1.2): an AudienceRestriction naming spEntityId, and NotOnOrAfter
 *   no later than issue + lifetime;
 * - other methods: NotOnOrAfter no later than issue + 86400 s (the largest lifetime a config may set).
 */
export function enforceConditionsPolicy(c: ConditionsResult, req: StatementRequest): ConditionsResult {
  const issue = req.issueInstant.getTime();
  const out: ConditionsResult = { ...c };
  if (out.audiences) out.audiences = [...out.audiences];
  if (!out.notOnOrAfter) out.notOnOrAfter = new Date(issue + req.saml2.lifetimeSeconds * 1000);
  const na = out.notOnOrAfter.getTime();
  if (na <= issue) throw new InvalidResult('conditions.notOnOrAfter must be after the issue instant');
  if (out.notBefore && out.notBefore.getTime() >= na) throw new InvalidResult('conditions.notBefore must be before notOnOrAfter');
  const cap = req.subjectConfirmation === 'BEARER' ? req.saml2.lifetimeSeconds : LIMITS.maxLifetimeSeconds;
  if (na > issue + cap * 1000) {
    throw new InvalidResult(`conditions.notOnOrAfter must be no later than issue + ${cap} s`);
  }
  if (req.subjectConfirmation === 'BEARER' && !(out.audiences ?? []).includes(req.saml2.spEntityId)) {
    throw new InvalidResult('a bearer assertion needs an Audience naming the configured spEntityId');
  }
  return out;
}
