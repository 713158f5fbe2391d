/**
 * Compares the two signing paths on one representative assertion (bearer, a handful of attributes, one
 * multi-valued, plus an AuthzDecisionStatement): signCanonical (digest over the canonical string, no parsing)
 * against xml-crypto's SignedXml (parse, canonicalize, sign). Called by the project benchmark.
 */
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SigningKey } from '../../engine/types.js';
import { buildAssertion, type CanonicalAssertion } from './assertion-builder.js';
import { computeDefaultStatements } from './builtin-statements.js';
import { signCanonical, signWithXmlCrypto } from './sign.js';
import { ALG, newAssertionId } from './xml.js';

export type OpsPerSec = number;

/**
 * A certificate-shaped placeholder for KeyInfo: the benchmark measures signing, and no verifier reads this
 * certificate, so a real one is not generated (node:crypto cannot create certificates).
 */
function benchKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const fakeDer = Buffer.alloc(700, 0x5a).toString('base64');
  return { kid: 'bench', algorithm: 'RS256', privateKey, publicKey, certificatePem: '', certificateDer: fakeDer };
}

function benchAssertion(): CanonicalAssertion {
  const issueInstant = new Date();
  const statements = computeDefaultStatements({
    saml2: {
      spEntityId: 'https://sp.example.org/saml',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      attributeMap: { mail: 'mail', cn: 'cn', sn: 'sn', givenName: 'givenName', memberOf: 'memberOf', department: 'department', employeeNumber: 'employeeNumber', title: 'title' },
      lifetimeSeconds: 600,
    },
    subject: {
      name: 'demo@example.org',
      attributes: {
        mail: 'demo@example.org',
        cn: 'Demo User',
        sn: 'User',
        givenName: 'Demo',
        memberOf: ['staff', 'developers', 'sts-users'],
        department: 'Engineering & Operations',
        employeeNumber: '12345',
        title: 'Engineer',
      },
      inputType: 'USERNAME',
      authnInstant: issueInstant,
    },
    issueInstant,
    subjectConfirmation: 'BEARER',
  });
  statements.authorizationDecisionStatements = [
    { resource: 'https://sp.example.org/reports', decision: 'Permit', actions: [{ value: 'GET' }, { value: 'POST' }] },
  ];
  return buildAssertion({
    id: newAssertionId(),
    issueInstant,
    issuer: 'https://sts.example.org/sts/demo',
    statements,
    subjectConfirmation: 'BEARER',
    recipient: 'https://sp.example.org/saml/acs',
    confirmationNotOnOrAfter: statements.conditions.notOnOrAfter!,
  });
}

async function measure(iterations: number, fn: () => Promise<unknown> | unknown): Promise<OpsPerSec> {
  const warmup = Math.max(1, Math.floor(iterations / 10));
  for (let i = 0; i < warmup; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  const ms = performance.now() - t0;
  return Math.round((iterations * 1000) / Math.max(ms, 1e-3));
}

/** Signs `iterations` times on each path, one operation in flight, RSA-SHA256 with a 2048-bit key. */
export async function benchSigning(iterations: number): Promise<{ direct: OpsPerSec; xmlCrypto: OpsPerSec }> {
  const n = Math.max(1, Math.floor(iterations));
  const key = benchKey();
  const assertion = benchAssertion();
  const unsigned = assertion.head + assertion.tail;
  const direct = await measure(n, () => signCanonical(assertion, key, ALG.rsaSha256));
  const xmlCrypto = await measure(n, () => signWithXmlCrypto(unsigned, key, ALG.rsaSha256));
  return { direct, xmlCrypto };
}
