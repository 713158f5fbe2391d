/**
 * What the running server's schema offers beyond what the console was built for, read by introspection: token
 * kinds registered as plugins add TokenType values and InstanceInput sections. The console edits those sections
 * as JSON and sends them back as it found them, so saving an instance never drops a section the form has no
 * editor for.
 */
/** The session's GraphQL call (useApi). */
export type Api = <T>(query: string, variables?: Record<string, unknown>) => Promise<T>;

interface TypeRef {
  kind: string;
  name: string | null;
  ofType: TypeRef | null;
}

interface FieldInfo {
  name: string;
  type: TypeRef;
}

interface TypeInfo {
  name: string;
  kind: string;
  fields: FieldInfo[] | null;
  inputFields: FieldInfo[] | null;
  enumValues: Array<{ name: string }> | null;
}

export interface ExtraSection {
  /** The InstanceInput field (and the StsInstance field of the same name, when there is one). */
  key: string;
  description: string | null;
  /** The selection set that reads it from StsInstance (`stamp { lifetimeSeconds hasSecret }`); null when unreadable. */
  selection: string | null;
  inputType: TypeRef;
  outputType: TypeRef | null;
}

export interface SchemaInfo {
  tokenTypes: string[];
  extraSections: ExtraSection[];
  types: Map<string, TypeInfo>;
}

/** The InstanceInput fields the form has editors for. */
export const KNOWN_INSTANCE_FIELDS = new Set([
  'name', 'persistIssuedTokens', 'callerRoles', 'realm', 'transforms', 'saml2', 'oidc', 'oidcTrust', 'x509Trust', 'accessToken', 'tokenExchange', 'saml2Trust',
]);

const TYPE_REF = 'kind name ofType { kind name ofType { kind name ofType { kind name } } }';

const QUERY = `query ConsoleSchema {
  __schema { types { name kind
    fields { name description type { ${TYPE_REF} } }
    inputFields { name description type { ${TYPE_REF} } }
    enumValues { name } } }
}`;

function named(t: TypeRef): TypeRef {
  let x = t;
  while (x.ofType) x = x.ofType;
  return x;
}

function selectionOf(t: TypeRef, types: Map<string, TypeInfo>, depth: number): string | null {
  const n = named(t);
  if (n.kind === 'SCALAR' || n.kind === 'ENUM') return '';
  if (depth > 4 || !n.name) return null;
  const info = types.get(n.name);
  if (!info?.fields) return null;
  const parts: string[] = [];
  for (const f of info.fields) {
    const sub = selectionOf(f.type, types, depth + 1);
    if (sub === null) continue;
    parts.push(sub === '' ? f.name : `${f.name} ${sub}`);
  }
  return parts.length > 0 ? `{ ${parts.join(' ')} }` : null;
}

export async function loadSchemaInfo(api: Api): Promise<SchemaInfo> {
  const d = await api<{ __schema: { types: Array<TypeInfo & { fields: Array<FieldInfo & { description: string | null }> | null; inputFields: Array<FieldInfo & { description: string | null }> | null }> } }>(QUERY);
  const types = new Map(d.__schema.types.map((t) => [t.name, t]));
  const tokenTypes = (types.get('TokenType')?.enumValues ?? []).map((v) => v.name);
  const input = d.__schema.types.find((t) => t.name === 'InstanceInput');
  const output = types.get('StsInstance');
  const extraSections: ExtraSection[] = [];
  for (const f of input?.inputFields ?? []) {
    if (KNOWN_INSTANCE_FIELDS.has(f.name)) continue;
    const out = output?.fields?.find((o) => o.name === f.name);
    const sub = out ? selectionOf(out.type, types, 0) : null;
    extraSections.push({
      key: f.name,
      description: f.description,
      selection: out && sub !== null ? `${f.name}${sub === '' ? '' : ` ${sub}`}` : null,
      inputType: f.type,
      outputType: out?.type ?? null,
    });
  }
  return { tokenTypes, extraSections, types };
}

/**
 * The part of a value read from StsInstance that its InstanceInput type takes: output-only members (`hasSecret`)
 * are left out, lists and nested objects are pruned the same way, nulls are dropped.
 */
export function pruneToInput(value: unknown, type: TypeRef, types: Map<string, TypeInfo>): unknown {
  if (value === null || value === undefined) return undefined;
  const n = named(type);
  if (Array.isArray(value)) return value.map((v) => pruneToInput(v, n, types)).filter((v) => v !== undefined);
  if (n.kind !== 'INPUT_OBJECT' || !n.name) return value;
  const info = types.get(n.name);
  if (!info?.inputFields || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const f of info.inputFields) {
    const v = pruneToInput((value as Record<string, unknown>)[f.name], f.type, types);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}
