/**
 * SESSION (PingAM's OPENAM): a live session token from `login`. The session's creation time is the original
 * authentication time. The engine ends the session after issuance when the transform says so. Input only.
 */
import { InvalidTokenError } from '../../engine/errors.js';
import type { TokenKind } from '../../engine/kind.js';
import type { IdentityProvider, TokenEnvelope, VerifiedSubject } from '../../engine/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';

export const SESSION_TOKEN_TYPE_URI = 'urn:tessera:token-type:session';

export function createSessionKind(deps: { identity: IdentityProvider }): TokenKind {
  return {
    name: 'SESSION',
    builtIn: true,
    description: 'A Tessera session token from login (PingAM: OPENAM).',
    aliases: ['OPENAM'],
    tokenTypeUri: SESSION_TOKEN_TYPE_URI,
    validator: {
      fields: [
        { key: 'sessionToken', rule: 'token', required: true, rest: 'session_id', oauth: 'subject_token', graphql: { name: 'sessionToken', type: 'String', description: 'SESSION: a session token from login.' } },
      ],
      async validate(input: TokenEnvelope): Promise<VerifiedSubject> {
        const s = await deps.identity.resolveSession(input.sessionToken as string);
        if (!s) throw new InvalidTokenError('The session is not valid: unknown, ended or expired.');
        return {
          name: s.username,
          attributes: s.attributes,
          inputType: 'SESSION',
          // Only a password login creates a session: `pwd`, checked earlier (PreviousSession), not in this request.
          authn: { instant: s.createdAt, methods: ['pwd'], contextClass: AUTHN_CONTEXT_CLASS.previousSession },
          sessionId: s.sessionId,
        };
      },
    },
  };
}
