/**
 * USERNAME input: a password check against the identity store, throttled exactly like `login` (one shared
 * failure count per user and client address). Unknown user and wrong password give the same INVALID_TOKEN.
 */
import { BadUserInputError, InvalidTokenError } from '../../engine/errors.js';
import type { IdentityProvider, TokenInput, TokenValidator, ValidatorContext, VerifiedSubject } from '../../engine/types.js';

export function createUsernameValidator(identity: IdentityProvider): TokenValidator {
  return {
    tokenType: 'USERNAME',
    builtIn: true,
    async validate(input: TokenInput, ctx: ValidatorContext): Promise<VerifiedSubject> {
      if (input.type !== 'USERNAME') throw new BadUserInputError('expected a USERNAME token', 'input.type');
      if (typeof input.username !== 'string' || input.username === '') throw new BadUserInputError('is required', 'input.username');
      if (typeof input.password !== 'string' || input.password === '') throw new BadUserInputError('is required', 'input.password');
      const user = await identity.verifyPassword(input.username, input.password, ctx.request.clientAddress);
      if (!user) throw new InvalidTokenError('Invalid username or password.');
      return { name: user.username, attributes: user.attributes, inputType: 'USERNAME', authnInstant: user.authnInstant };
    },
  };
}
