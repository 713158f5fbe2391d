/**
 * PingAM's REST STS publish service (AM-STS-NOTES §4 "Publish service REST API", API.md §9), free of any HTTP
 * framework: `POST /sts-publish/rest?_action=create`, `GET /sts-publish/rest`, and
 * `GET|PUT|DELETE /sts-publish/rest/<realm path>/<instance>`, admin only. AM's JSON goes through the mapping of
 * am/instance-state.ts to the same publish service GraphQL uses; its errors come back named after AM's fields.
 *
 * Answers as RestSTSPublishServiceRequestHandler gives them: create 201 `{_id, _rev, result: "success",
 * url_element}`, update `{result: "success"}`, delete `{result: "rest sts instance <id> successfully removed from
 * realm <realm>"}`, reads `{_id, _rev, "<id>": "<instance_state as JSON text>"}` (AM puts
 * `instanceConfig.toJson().toString()`, a string, under the id), query, patch and actions 501. Tessera adds
 * `tessera_ignored` to create and update: the AM fields accepted without effect.
 */
import { createHash } from 'node:crypto';
import { amCatalog } from '../am/catalog.js';
import { amInstanceId, fromAm, toAm, toAmError, type AmCatalog, type FromAmResult } from '../am/instance-state.js';
import { BadUserInputError, ForbiddenError, NotFoundError, TesseraError, UnauthenticatedError } from '../engine/errors.js';
import { INSTANCE_NAME_PATTERN, toPublicInstance } from '../engine/instance-config.js';
import { realmFromSegments, realmName } from '../engine/realm.js';
import type { Caller } from '../engine/types.js';
import type { InstanceRow } from '../publish/publish.service.js';
import type { Services } from '../services.js';
import { amErrorBody, NO_STORE, restError, type HttpAnswer } from './errors.js';
import { rawBodyResponse, type RawBodyError } from './rest-sts.js';

export interface AmPublishRequest {
  method: string;
  /** The path below /sts-publish/rest, split at `/` (empty: the collection). */
  segments: string[];
  /** `_action`: null when missing; every value when repeated. */
  action: string | null | string[];
  /** Whether `_queryFilter` was given (CREST query). */
  query: boolean;
  body: unknown;
  rawBodyError?: RawBodyError;
  caller: Caller | null;
  /** The session was presented but is not live: why (http/kit.ts badSessionMessage). */
  badSession?: string;
  /** TESSERA_AM_COOKIE_NAME. */
  cookieName: string;
  clientAddress: string;
  services: Pick<Services, 'publish' | 'registry' | 'samlPlugins'>;
}

const ANSWERS_501 = 'The publish service answers create (POST ?_action=create), read (GET), update (PUT) and delete (DELETE) only, as PingAM.';

function answer(status: number, body: unknown): HttpAnswer {
  return { status, headers: { ...NO_STORE }, body };
}

function notImplemented(message = ANSWERS_501): HttpAnswer {
  return answer(501, amErrorBody(501, 'Not Implemented', message, 'BAD_USER_INPUT'));
}

function methodNotAllowed(allow: string): HttpAnswer {
  return { status: 405, headers: { ...NO_STORE, Allow: allow }, body: amErrorBody(405, 'Method Not Allowed', `Use ${allow}.`, 'BAD_USER_INPUT') };
}

/** A content hash of what a read returns: AM's `_rev` is the configuration's hashCode. */
function revision(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

class PublishDoor {
  private readonly catalog: AmCatalog;

  constructor(private readonly r: AmPublishRequest) {
    this.catalog = amCatalog(r.services.registry, r.services.samlPlugins);
  }

  private get ctx() {
    return { actor: this.r.caller!.username, clientAddress: this.r.clientAddress };
  }

  /** The instance's `instance_state` as JSON text, as AM's reads carry it. */
  private text(row: InstanceRow): string {
    return JSON.stringify(toAm({ ...toPublicInstance(row.config, this.r.services.registry), name: row.name }, this.catalog));
  }

  private body(): unknown {
    if (this.r.rawBodyError) throw new RawBody(this.r.rawBodyError);
    if (this.r.body === undefined) throw new BadUserInputError('The request body is required: {"invocation_context": "invocation_context_client_sdk", "instance_state": {…}}.');
    return this.r.body;
  }

  private map(body: unknown, address: { realm?: string } = {}): FromAmResult {
    return fromAm(body, this.catalog, address);
  }

  /** A name taken is 409 as in AM; the message says where the name is used and what would work. */
  private async conflict(err: unknown, name: unknown): Promise<unknown> {
    if (!(err instanceof TesseraError) || err.code !== 'CONFLICT' || typeof name !== 'string') return err;
    const existing = await this.r.services.publish.get(name);
    if (!existing) return err;
    const id = amInstanceId(name, existing.config.realm);
    return new TesseraError(
      'CONFLICT',
      `An STS instance named ${name} is already published (${id}); names are unique across realms in Tessera: choose another deployment-url-element, or update it with PUT /sts-publish/rest/${id}.`,
    );
  }

  async create(): Promise<HttpAnswer> {
    const mapped = this.map(this.body());
    let row: InstanceRow;
    try {
      row = await this.r.services.publish.publish(mapped.input, this.ctx);
    } catch (e) {
      throw await this.conflict(toAmError(e, mapped.origins), mapped.input.name);
    }
    const id = amInstanceId(row.name, row.config.realm);
    return answer(201, {
      _id: id,
      _rev: revision(this.text(row)),
      result: 'success',
      url_element: id,
      tessera_ignored: mapped.ignored,
      ...(Object.keys(mapped.customTypes).length ? { tessera_custom_token_types: mapped.customTypes } : {}),
    });
  }

  async list(): Promise<HttpAnswer> {
    const body: Record<string, unknown> = { _id: 'published_instances', _rev: '' };
    for (const row of await this.r.services.publish.list()) body[amInstanceId(row.name, row.config.realm)] = this.text(row);
    return answer(200, body);
  }

  async read(name: string, realm: string): Promise<HttpAnswer> {
    const row = await this.r.services.publish.getInRealm(name, realm);
    const id = amInstanceId(row.name, row.config.realm);
    const text = this.text(row);
    return answer(200, { _id: id, _rev: revision(text), [id]: text });
  }

  async update(name: string, realm: string): Promise<HttpAnswer> {
    // AM looks the instance up before it reads the body: an unknown one is 404 whatever is sent.
    await this.r.services.publish.getInRealm(name, realm);
    const mapped = this.map(this.body(), { realm });
    let row: InstanceRow;
    try {
      row = await this.r.services.publish.update(name, mapped.input, this.ctx, { realm });
    } catch (e) {
      throw toAmError(e, mapped.origins);
    }
    const id = amInstanceId(row.name, row.config.realm);
    return answer(200, { _id: id, _rev: revision(this.text(row)), result: 'success', tessera_ignored: mapped.ignored });
  }

  async remove(name: string, realm: string): Promise<HttpAnswer> {
    await this.r.services.publish.delete(name, this.ctx, { realm });
    const id = amInstanceId(name, realm);
    return answer(200, { _id: id, _rev: id, result: `rest sts instance ${id} successfully removed from realm ${realm}` });
  }
}

class RawBody extends Error {
  constructor(readonly kind: RawBodyError) {
    super(kind);
  }
}

async function dispatch(r: AmPublishRequest): Promise<HttpAnswer> {
  // STSPublishServiceAuthzModule: an admin session, before anything else is looked at.
  if (r.badSession) throw new UnauthenticatedError(r.badSession);
  if (!r.caller) {
    throw new UnauthenticatedError(
      `The publish service needs an admin session: send it as ${r.cookieName} (header or cookie) from POST /json/authenticate, or as Authorization: Bearer from login.`,
    );
  }
  if (!r.caller.roles.includes('admin')) throw new ForbiddenError('The publish service needs the admin role.');
  const door = new PublishDoor(r);
  if (Array.isArray(r.action)) throw new BadUserInputError('The _action query parameter must be given once.', '_action');

  if (r.segments.length === 0) {
    if (r.method === 'GET') return r.query ? notImplemented('Queries are not supported; GET /sts-publish/rest lists every instance.') : door.list();
    if (r.method === 'POST') {
      if (r.action === null || r.action === '') throw new BadUserInputError('Use POST /sts-publish/rest?_action=create to publish an instance.', '_action');
      return r.action === 'create' ? door.create() : notImplemented();
    }
    return methodNotAllowed('GET, POST');
  }
  const name = r.segments[r.segments.length - 1]!;
  const realm = realmFromSegments(r.segments.slice(0, -1));
  const id = r.segments.join('/');
  // AM: "No rest sts instance with id <id> in realm <realm>".
  if (realm === null || !INSTANCE_NAME_PATTERN.test(name)) throw new NotFoundError(`No rest sts instance with id ${id.slice(0, 200)}.`);
  switch (r.method) {
    case 'GET':
      return door.read(name, realmName(realm));
    case 'PUT':
      return door.update(name, realmName(realm));
    case 'DELETE':
      return door.remove(name, realmName(realm));
    case 'POST':
    case 'PATCH':
      return notImplemented();
    default:
      return methodNotAllowed('GET, PUT, DELETE');
  }
}

/** Handles one publish-service call. Never throws: every outcome is a status and PingAM's JSON. */
export async function handleAmPublish(r: AmPublishRequest): Promise<HttpAnswer> {
  try {
    return await dispatch(r);
  } catch (e) {
    if (e instanceof RawBody) return rawBodyResponse(e.kind);
    return restError(e);
  }
}
