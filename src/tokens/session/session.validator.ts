/**
 * SESSION input (PingAM's OPENAM): a live session token from `login`. The session's creation time is the
 * original authentication time. The engine ends the session after issuance when the transform says so.
 */
import { BadUserInputError, InvalidTokenError } from '../../engine/errors.js';
import type { IdentityProvider, TokenInput, TokenValidator, VerifiedSubject } from '../../engine/types.js';

export function createSessionValidator(identity: IdentityProvider): TokenValidator {
  return {
    tokenType: 'SESSION',
    builtIn: true,
    async validate(input: TokenInput): Promise<VerifiedSubject> {
      if (input.type !== 'SESSION') throw new BadUserInputError('expected a SESSION token', 'input.type');
      if (typeof input.sessionToken !== 'string' || input.sessionToken === '') throw new BadUserInputError('is required', 'input.sessionToken');
      const s = await identity.resolveSession(input.sessionToken);
      if (!s) throw new InvalidTokenError('The session is not valid: unknown, ended or expired.');
      return { name: s.username, attributes: s.attributes, inputType: 'SESSION', authnInstant: s.createdAt, sessionId: s.sessionId };
    },
  };
}
