/**
 * What the server prints after its ready line, as plain lines for the person who started it (the same facts
 * are in the JSON log for machines): where each surface answers, and, on a first start with demo data, the
 * demo users and the demo PKI's files.
 */
import type { DemoResult } from './seeds.js';

export function firstStartLines(url: string, demo?: DemoResult): string {
  const lines = [
    `  Admin console:  ${url}/admin`,
    `  GraphQL:        ${url}/graphql   (GraphiQL: ${url}/graphiql)`,
    `  REST STS:       ${url}/rest-sts/<instance>?_action=translate|validate|cancel`,
    `  Health:         ${url}/healthz   Readiness: ${url}/readyz   Metrics: ${url}/metrics`,
  ];
  if (demo?.loaded) {
    lines.push(`Demo data loaded: users ${demo.users.join(', ')}; instances ${demo.instances.join(', ')} (see README.md, "Try it")`);
    if (demo.pki) {
      lines.push(`  Demo CA certificate:      ${demo.pki.caCertPath}`);
      lines.push(`  Demo client certificate:  ${demo.pki.clientCertPath}`);
      lines.push(`  Demo client key:          ${demo.pki.clientKeyPath}`);
    }
  }
  return lines.join('\n') + '\n';
}
