/**
 * USERNAME: a username and password, checked against the identity store under the same throttle as `login`
 * (one shared failure count per user and client address). Unknown user and wrong password give the same
 * INVALID_TOKEN. Input only.
 */
import { BadUserInputError, InvalidTokenError } from '../../engine/errors.js';
import type { TokenKind } from '../../engine/kind.js';
import type { IdentityProvider, TokenEnvelope, ValidatorContext, VerifiedSubject } from '../../engine/types.js';
import { AUTHN_CONTEXT_CLASS } from '../authn-context.js';

export function createUsernameKind(deps: { identity: IdentityProvider }): TokenKind {
  return {
    name: 'USERNAME',
    builtIn: true,
    description: 'A username and password of a local user.',
    validator: {
      fields: [
        { key: 'username', rule: 'token', required: true, rest: 'username', oauth: 'subject_token', graphql: { name: 'username', type: 'String', description: 'USERNAME: the local username.' } },
        // An empty password reaches the validator, which refuses it as missing, like GraphQL does.
        { key: 'password', rule: 'token', required: true, allowEmpty: true, rest: 'password', graphql: { name: 'password', type: 'String', description: 'USERNAME: the password.' } },
      ],
      async validate(input: TokenEnvelope, ctx: ValidatorContext): Promise<VerifiedSubject> {
        const username = input.username as string;
        const password = input.password as string;
        if (password === '') throw new BadUserInputError('is required', ctx.request.door === 'rest' ? 'input_token_state.password' : 'input.password');
        const user = await deps.identity.verifyPassword(username, password, ctx.request.clientAddress);
        if (!user) throw new InvalidTokenError('Invalid username or password.');
        return {
          name: user.username,
          attributes: user.attributes,
          inputType: 'USERNAME',
          // RFC 8176 `pwd`, checked here and now; PingAM's mapper names PasswordProtectedTransport for it.
          authn: { instant: user.authnInstant, methods: ['pwd'], contextClass: AUTHN_CONTEXT_CLASS.passwordProtectedTransport },
        };
      },
    },
  };
}
