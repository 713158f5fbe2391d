/**
 * A throw-away token kind that lives only in this folder, to show what adding a kind takes: this file and one
 * registration line (test/api/stamp-kind.test.ts hands it to the server). A "stamp" is `<subject>.<expiry>.<mac>`,
 * an HMAC-SHA-256 over subject and expiry with the instance's `stamp.secret`. The kind brings everything: its
 * validator and provider with their fields and door names, its configuration section with its GraphQL shape,
 * its RFC 8693 token-type URI and a discovery member.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { fail, lifetime, object, onlyKeys, requiredString } from '../../../src/engine/config-toolkit.js';
import { InvalidTokenError } from '../../../src/engine/errors.js';
import type { ConfigSection, TokenKind } from '../../../src/engine/kind.js';
import type { InstanceConfig, TokenEnvelope } from '../../../src/engine/types.js';

interface StampConfig {
  secret: string;
  lifetimeSeconds: number;
}

const stampOf = (c: InstanceConfig): StampConfig | undefined => c.stamp as StampConfig | undefined;

function mac(secret: string, subject: string, exp: number): string {
  return createHmac('sha256', secret).update(`${subject}.${exp}`).digest('base64url');
}

function parse(token: string, config: StampConfig): { subject: string; exp: number } | null {
  const m = /^([a-z0-9-]{1,64})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const expected = Buffer.from(mac(config.secret, m[1]!, Number(m[2])));
  const given = Buffer.from(m[3]!);
  return expected.length === given.length && timingSafeEqual(expected, given) ? { subject: m[1]!, exp: Number(m[2]) } : null;
}

const section: ConfigSection<StampConfig> = {
  key: 'stamp',
  parse(raw) {
    const o = object(raw, 'input.stamp');
    onlyKeys(o, ['secret', 'lifetimeSeconds'], 'input.stamp');
    const secret = requiredString(o, 'secret', 'input.stamp.secret');
    if (Buffer.byteLength(secret) < 32) fail('input.stamp.secret', 'must be at least 32 bytes.');
    return { secret, lifetimeSeconds: lifetime(o, 'lifetimeSeconds', 'input.stamp.lifetimeSeconds') };
  },
  publicView: (v) => ({ lifetimeSeconds: v.lifetimeSeconds, hasSecret: true }),
  graphql: {
    description: 'Stamps: the HMAC secret and lifetime (required by STAMP transforms).',
    input: {
      object: 'StampInput',
      description: 'Stamp settings.',
      fields: {
        secret: { type: 'String', required: true, description: 'The HMAC-SHA-256 secret, at least 32 bytes; write-only.' },
        lifetimeSeconds: { type: 'Int', description: 'Lifetime of issued stamps.' },
      },
    },
    output: {
      object: 'StampConfig',
      description: 'Stamp settings, without the secret.',
      fields: {
        lifetimeSeconds: { type: 'Int', required: true, description: 'Lifetime of issued stamps.' },
        hasSecret: { type: 'Boolean', required: true, description: 'Always true: the secret is write-only.' },
      },
    },
  },
};

export function createStampKind(): TokenKind {
  return {
    name: 'STAMP',
    builtIn: true,
    description: 'A stamp: an HMAC over a subject and an expiry.',
    tokenTypeUri: 'urn:example:token-type:stamp',
    sections: [section],
    validator: {
      fields: [{ key: 'stamp', rule: 'token', required: true, rest: 'stamp', oauth: 'subject_token', graphql: { name: 'stamp', type: 'String', description: 'STAMP: the stamp.' } }],
      needs: ['stamp'],
      async validate(input: TokenEnvelope, ctx) {
        const parsed = parse(input.stamp as string, stampOf(ctx.instance.config)!);
        if (!parsed) throw new InvalidTokenError('The stamp does not verify.');
        if (parsed.exp <= ctx.now.getTime() / 1000) throw new InvalidTokenError('The stamp has expired.');
        return { name: parsed.subject, attributes: {}, inputType: 'STAMP', authn: { instant: ctx.now } };
      },
    },
    provider: {
      fields: [{ key: 'uppercase', rule: 'boolean', default: false, rest: 'uppercase', graphql: { name: 'stampUppercase', type: 'Boolean', description: 'STAMP: no effect but to show an output field.' } }],
      needs: ['stamp'],
      restTokenField: 'stamp',
      oauthTokenType: 'N_A',
      async issue(subject, _output, ctx) {
        const config = stampOf(ctx.instance.config)!;
        const iat = Math.floor(ctx.now.getTime() / 1000);
        const exp = iat + config.lifetimeSeconds;
        const name = subject.name.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 64);
        const token = `${name}.${exp}.${mac(config.secret, name, exp)}`;
        return { token, type: 'STAMP', tokenId: `stamp-${name}-${exp}-${iat}`, subject: subject.name, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
      },
      async verifyIssued(token, ctx) {
        const config = stampOf(ctx.instance.config);
        if (!config) return { ok: false, reason: 'UNKNOWN' };
        const parsed = parse(token, config);
        if (!parsed) return { ok: false, reason: 'BAD_SIGNATURE' };
        if (ctx.checkExpiry && parsed.exp <= ctx.now.getTime() / 1000) return { ok: false, reason: 'EXPIRED' };
        return { ok: true, tokenId: token, subject: parsed.subject, expiresAt: new Date(parsed.exp * 1000) };
      },
    },
    metadata: {
      async discovery({ instance }) {
        return stampOf(instance.config) ? { stamp_lifetime_seconds: stampOf(instance.config)!.lifetimeSeconds } : null;
      },
    },
  };
}
