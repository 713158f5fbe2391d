/** The slice of oidc-provider 8's API the benchmark's peer uses (the package ships no types). */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface KoaContextWithOIDC {
    body: unknown;
    oidc: { params: Record<string, string | undefined>; client?: { clientId: string } };
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    registerGrantType(name: string, handler: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>, params?: string[]): void;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export const errors: {
    InvalidGrant: new (detail: string) => Error;
    InvalidRequest: new (detail: string) => Error;
  };

  export default Provider;
}
