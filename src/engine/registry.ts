/**
 * The token registry: validators by input type, providers by output type. Built-in kinds register through the
 * same calls as custom ones; a duplicate registration throws at start.
 */
import type { TokenProvider, TokenValidator } from './types.js';

export class DuplicateRegistrationError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'DuplicateRegistrationError';
  }
}

export class TokenRegistry {
  private readonly validators = new Map<string, TokenValidator>();
  private readonly providers = new Map<string, TokenProvider>();

  registerValidator(v: TokenValidator): this {
    if (this.validators.has(v.tokenType)) throw new DuplicateRegistrationError(`a validator for ${v.tokenType} is already registered`);
    this.validators.set(v.tokenType, v);
    return this;
  }

  registerProvider(p: TokenProvider): this {
    if (this.providers.has(p.tokenType)) throw new DuplicateRegistrationError(`a provider for ${p.tokenType} is already registered`);
    this.providers.set(p.tokenType, p);
    return this;
  }

  validator(tokenType: string): TokenValidator | undefined {
    return this.validators.get(tokenType);
  }

  provider(tokenType: string): TokenProvider | undefined {
    return this.providers.get(tokenType);
  }

  customValidatorTypes(): Set<string> {
    return new Set([...this.validators.values()].filter((v) => !v.builtIn).map((v) => v.tokenType));
  }

  customProviderTypes(): Set<string> {
    return new Set([...this.providers.values()].filter((p) => !p.builtIn).map((p) => p.tokenType));
  }
}
