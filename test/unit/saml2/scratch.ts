import { makeProvider, samlConfig, providerCtx, subject, TRICKY } from './setup.js';
import { xmlsecDecrypt, xmlsecVerify } from '../../support/saml.js';
const { provider, pki } = await makeProvider();
const cfg2 = samlConfig({ encryptAssertion: true, spEncryptionCertificate: pki.sp.certPem });
const e = await provider.issue(subject({name: `demo ${TRICKY}`}), { type: 'SAML2', subjectConfirmation: 'BEARER' }, providerCtx(cfg2));
const d = xmlsecDecrypt(e.token, pki.sp.keyPem);
console.log(JSON.stringify(d.slice(0, 200)));
const m = /<saml:Assertion\b[\s\S]*<\/saml:Assertion>/.exec(d)![0];
console.log(JSON.stringify(m.slice(m.indexOf('NameID'), m.indexOf('NameID')+200)));
try { xmlsecVerify(m, pki.rsa.certPem); console.log('slice verifies'); } catch (x) { console.log(String(x)); }
