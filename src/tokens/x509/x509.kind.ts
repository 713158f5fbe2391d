/**
 * X509: a client certificate with proof of possession (a signed proof, or TLS at a trusted offloader) as
 * input, and the `x509Trust` section. Input only.
 */
import type { TokenKind } from '../../engine/kind.js';
import type { ReplayStore } from '../../engine/types.js';
import { x509TrustSection } from './x509.config.js';
import { createX509Validator } from './x509.validator.js';

export function createX509Kind(deps: { replay: ReplayStore }): TokenKind {
  return {
    name: 'X509',
    builtIn: true,
    description: 'An X.509 client certificate with proof of possession of its key.',
    validator: createX509Validator(deps),
    sections: [x509TrustSection],
  };
}
