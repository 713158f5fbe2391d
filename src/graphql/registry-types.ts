/**
 * The GraphQL types that token kinds shape (engine/kind.ts), built from the registry when the schema is built:
 * the `TokenType` enum (one value per kind with GraphQL fields, plus CUSTOM), `TokenInput` and `TokenOutput`
 * (each kind's fields), and `InstanceInput` / `StsInstance` (the core fields plus each kind's configuration
 * sections). Adding a kind adds its enum value, fields and sections here without touching this file.
 *
 * The kinds describe their shapes in engine/kind.ts's neutral form; this module turns them into type-graphql
 * classes by applying the decorators programmatically, with explicit types (no decorator metadata needed).
 */
import 'reflect-metadata';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSON } from 'graphql-scalars';
import type { FieldSpec, GqlEnum, GqlObject, GqlType } from '../engine/kind.js';
import type { TokenRegistry } from '../engine/registry.js';
import { CUSTOM } from '../engine/types.js';

type Ctor = new () => object;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TypeValue = any;

export interface RegistryTypes {
  TokenType: Record<string, string>;
  TokenInput: Ctor;
  TokenOutput: Ctor;
  InstanceInput: Ctor;
  StsInstance: Ctor;
}

let current: RegistryTypes | undefined;

/** The types of the schema being built (resolvers and static types reference them through thunks). */
export function registryTypes(): RegistryTypes {
  if (!current) throw new Error('the registry types are built with the schema (graphql/schema.ts)');
  return current;
}

class Builder {
  private readonly enums = new Map<string, Record<string, string>>();
  private readonly objects = new Map<string, Ctor>();

  constructor(private readonly statics: { TransformInput: Ctor; Transform: Ctor; Endpoints: Ctor }) {}

  enumOf(spec: GqlEnum): Record<string, string> {
    let e = this.enums.get(spec.enum);
    if (!e) {
      e = Object.fromEntries(Object.keys(spec.values).map((v) => [v, v]));
      registerEnumType(e, {
        name: spec.enum,
        description: spec.description,
        valuesConfig: Object.fromEntries(Object.entries(spec.values).map(([v, d]) => [v, { description: d }])),
      });
      this.enums.set(spec.enum, e);
    }
    return e;
  }

  /** The type-graphql type for a neutral type (`input`: the input variant of object types). */
  typeOf(t: GqlType, input: boolean): TypeValue {
    if (typeof t === 'string') {
      switch (t) {
        case 'String':
          return String;
        case 'Int':
          return Int;
        case 'Boolean':
          return Boolean;
        case 'JSON':
          return GraphQLJSON;
        case 'ID':
          return ID;
        case 'DateTime':
          return Date;
      }
    }
    if ('list' in t) return [this.typeOf(t.list, input)];
    if ('enum' in t) return this.enumOf(t);
    return this.objectOf(t, input);
  }

  objectOf(spec: GqlObject, input: boolean): Ctor {
    const key = `${input ? 'in' : 'out'}:${spec.object}`;
    let cls = this.objects.get(key);
    if (cls) return cls;
    cls = class {};
    Object.defineProperty(cls, 'name', { value: spec.object });
    this.objects.set(key, cls);
    for (const [name, f] of Object.entries(spec.fields)) {
      const type = this.typeOf(f.type, input);
      Field(() => type, { nullable: !f.required, description: f.description })(cls.prototype, name);
    }
    (input ? InputType(spec.object, { description: spec.description }) : ObjectType(spec.object, { description: spec.description }))(cls);
    return cls;
  }

  tokenEnum(registry: TokenRegistry): Record<string, string> {
    const values: Record<string, string> = {};
    for (const k of registry.enumerated()) values[k.name] = k.description;
    values[CUSTOM] = 'A custom token type loaded as a plugin, named by customType (customInput/customOutput in transforms).';
    return this.enumOf({ enum: 'TokenType', description: 'Token kinds Tessera validates or issues.', values });
  }

  /** TokenInput or TokenOutput: `type`, every kind's fields for that side, and the CUSTOM envelope. */
  tokenRequest(registry: TokenRegistry, side: 'input' | 'output', tokenType: Record<string, string>): Ctor {
    const cls = class {};
    const name = side === 'input' ? 'TokenInput' : 'TokenOutput';
    Object.defineProperty(cls, 'name', { value: name });
    Field(() => tokenType, { description: side === 'input' ? 'The kind of the presented token.' : 'The kind of token to issue.' })(cls.prototype, 'type');
    const seen = new Set<string>(['type', 'customType']);
    for (const kind of registry.enumerated()) {
      const fields: readonly FieldSpec[] = (side === 'input' ? kind.validator?.fields : kind.provider?.fields) ?? [];
      for (const f of fields) {
        if (!f.graphql || seen.has(f.graphql.name)) continue;
        seen.add(f.graphql.name);
        const type = this.typeOf(f.graphql.type, true);
        Field(() => type, { nullable: true, description: f.graphql.description })(cls.prototype, f.graphql.name);
      }
    }
    Field(() => String, { nullable: true, description: `CUSTOM: the custom token type to ${side === 'input' ? 'validate' : 'issue'}.` })(cls.prototype, 'customType');
    if (side === 'input') {
      Field(() => GraphQLJSON, { nullable: true, description: 'CUSTOM: the token, as the custom validator receives it.' })(cls.prototype, 'customToken');
    }
    InputType(name, { description: side === 'input' ? 'A token presented for translation.' : 'The token to issue and its options.' })(cls);
    return cls;
  }

  instanceInput(registry: TokenRegistry): Ctor {
    const cls = class {};
    Object.defineProperty(cls, 'name', { value: 'InstanceInput' });
    const { TransformInput } = this.statics;
    Field(() => String, { description: 'URL element, ^[a-z0-9][a-z0-9-]{0,62}$; on update it must equal the name.' })(cls.prototype, 'name');
    Field(() => [TransformInput], { description: 'The input → output transformations the instance offers.' })(cls.prototype, 'transforms');
    Field(() => Boolean, { nullable: true, description: 'Record issued tokens, for validate and cancel. Default true.' })(cls.prototype, 'persistIssuedTokens');
    Field(() => [String], { nullable: true, description: 'If set, translate, validate and cancel need a caller holding one of these roles.' })(cls.prototype, 'callerRoles');
    Field(() => String, { nullable: true, description: 'PingAM realm the instance answers in at /rest-sts/<realm path>/<name> ("/alpha"); null, "/" or "root" = the root realm.' })(cls.prototype, 'realm');
    for (const s of registry.sections()) {
      const type = this.typeOf(s.graphql.input, true);
      Field(() => type, { nullable: true, description: s.graphql.description })(cls.prototype, s.key);
    }
    InputType('InstanceInput', { description: 'An STS instance: its transforms and the configuration they need.' })(cls);
    return cls;
  }

  stsInstance(registry: TokenRegistry): Ctor {
    const cls = class {};
    Object.defineProperty(cls, 'name', { value: 'StsInstance' });
    const { Transform, Endpoints } = this.statics;
    Field(() => ID, { description: 'Internal id; a deleted and republished name gets a new one.' })(cls.prototype, 'id');
    Field(() => String, { description: 'The instance name (its URL element).' })(cls.prototype, 'name');
    Field(() => [Transform], { description: 'The transformations the instance offers.' })(cls.prototype, 'transforms');
    Field(() => Boolean, { description: 'Whether issued tokens are recorded (validate and cancel need it).' })(cls.prototype, 'persistIssuedTokens');
    Field(() => [String], { nullable: true, description: 'Roles a caller needs; null when any caller may translate.' })(cls.prototype, 'callerRoles');
    Field(() => String, { nullable: true, description: 'PingAM realm the instance answers in ("/alpha"); null for the root realm.' })(cls.prototype, 'realm');
    for (const s of registry.sections()) {
      const type = this.typeOf(s.graphql.output, false);
      Field(() => type, { nullable: true, description: s.graphql.description })(cls.prototype, s.key);
      for (const [flag, spec] of Object.entries(s.topLevelFlags ?? {})) Field(() => Boolean, { description: spec.description })(cls.prototype, flag);
    }
    Field(() => Endpoints, { description: 'Where the instance answers.' })(cls.prototype, 'endpoints');
    Field(() => Date, { description: 'When the instance was first published.' })(cls.prototype, 'createdAt');
    Field(() => Date, { description: 'When the instance was last updated.' })(cls.prototype, 'updatedAt');
    ObjectType('StsInstance', { description: 'A published STS instance, without secrets.' })(cls);
    return cls;
  }
}

/** Builds the registry's GraphQL types and makes them the current ones; call right before building the schema. */
export function buildRegistryTypes(registry: TokenRegistry, statics: { TransformInput: Ctor; Transform: Ctor; Endpoints: Ctor }): RegistryTypes {
  const b = new Builder(statics);
  const TokenType = b.tokenEnum(registry);
  current = {
    TokenType,
    TokenInput: b.tokenRequest(registry, 'input', TokenType),
    TokenOutput: b.tokenRequest(registry, 'output', TokenType),
    InstanceInput: b.instanceInput(registry),
    StsInstance: b.stsInstance(registry),
  };
  return current;
}
