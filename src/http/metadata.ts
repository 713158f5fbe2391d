/**
 * Per-instance metadata (API.md §5), assembled from what each token kind contributes (engine/kind.ts
 * KindMetadata): the JWKS that verifies the instance's JWTs, the OpenID discovery document, and the SAML IdP
 * metadata.
 */
import type { Services } from '../services.js';
import { amError } from './errors.js';

export interface MetadataResponse {
  status: number;
  body: string;
  type: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const json = (status: number, body: unknown): MetadataResponse => ({ status, body: JSON.stringify(body), type: JSON_TYPE });
const notFound = (message: string): MetadataResponse => {
  const e = amError('NOT_FOUND', message);
  return json(e.status, e.body);
};

/** Members of several kinds' discovery documents: lists are merged, other values kept from the first kind. */
function mergeDiscovery(docs: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const doc of docs) {
    for (const [k, v] of Object.entries(doc)) {
      const have = out[k];
      if (Array.isArray(have) && Array.isArray(v)) out[k] = [...new Set([...have, ...v])];
      else if (have === undefined) out[k] = v;
    }
  }
  return out;
}

export async function metadataRoute(services: Services, name: string, what: string): Promise<MetadataResponse> {
  const instance = await services.instances.get(name);
  if (!instance) return notFound(`Unknown instance ${name}.`);
  const ctx = { instance, publicUrl: services.config.publicUrl };
  const sources = services.registry.metadataSources();
  if (what === 'jwks.json') {
    const keys = new Map<string, Record<string, unknown>>();
    for (const m of sources) for (const jwk of (await m.jwks?.(ctx)) ?? []) keys.set(String(jwk.kid), jwk);
    return json(200, { keys: [...keys.values()] });
  }
  if (what === '.well-known/openid-configuration') {
    const docs: Array<Record<string, unknown>> = [];
    for (const m of sources) {
      const doc = await m.discovery?.(ctx);
      if (doc) docs.push(doc);
    }
    if (docs.length === 0) return notFound(`Instance ${name} issues no OpenID Connect tokens.`);
    return json(200, mergeDiscovery(docs));
  }
  if (what === 'saml-sp-metadata.xml') {
    for (const m of sources) {
      const xml = await m.samlSpMetadata?.(ctx);
      if (xml) return { status: 200, body: xml, type: 'application/samlmetadata+xml; charset=utf-8' };
    }
    return notFound(`Instance ${name} trusts no SAML 2.0 identity providers (saml2Trust).`);
  }
  for (const m of sources) {
    const xml = await m.samlMetadata?.(ctx);
    if (xml) return { status: 200, body: xml, type: 'application/samlmetadata+xml; charset=utf-8' };
  }
  return notFound(`Instance ${name} issues no SAML 2.0 assertions.`);
}
