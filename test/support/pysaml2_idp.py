#!/usr/bin/python3
"""A partner SAML 2.0 identity provider made with pysaml2, an implementation independent of Tessera's.

Usage:
  pysaml2_idp.py metadata <entity_id> <signing cert PEM path> <SSO location>
      Prints the IdP's md:EntityDescriptor, written by pysaml2's own metadata code (saml2.metadata).
  pysaml2_idp.py assertions < specs.json
      Reads a JSON list of specs and prints a JSON list of XML documents, one a spec (a process for many
      documents: importing pysaml2 takes longer than making one). A spec {"metadata": {"entity_id", "cert",
      "sso"}} gives the metadata as above; {"validate_metadata": path} "valid" or "invalid: <reason>" from
      pysaml2's schema check of a metadata file; any other spec an assertion: a
      saml:Assertion, a samlp:Response carrying it, or a saml:EncryptedAssertion, built with pysaml2's SAML
      classes (saml2.saml, saml2.samlp), signed by pysaml2's xmlsec1 back end with its own signature
      template (saml2.sigver.pre_signature_part) and encrypted with its own encryption template
      (saml2.sigver.pre_encryption_part).

A spec (every member but id, issuer and name_id is optional; times are xs:dateTime strings):
  {"id", "issuer", "issue_instant", "name_id", "name_id_format",
   "not_before", "not_on_or_after", "audiences": [[...], ...]   (one list per AudienceRestriction),
   "confirmations": [{"method": URI, "data": null | {"recipient", "not_on_or_after", "not_before",
                      "in_response_to"}}],
   "authn": null | {"instant", "class_ref"},
   "attributes": [{"name", "name_format", "friendly_name", "values": [...]}],
   "sign": null | {"key": PEM path, "cert": PEM path, "sign_alg": URI, "digest_alg": URI},
   "response": null | {"id", "status", "destination", "sign": bool, "sign_only": bool}
              (sign_only: the Response is signed with "sign" and the assertion inside is not),
   "encrypt": null | {"cert": PEM path, "data_alg": URI}
              | {"metadata": path of the recipient's metadata, "entity_id": its entityID, "data_alg": URI}}
With "metadata", pysaml2's metadata store reads the recipient's KeyDescriptor use="encryption" certificate, as
a pysaml2 IdP finds the key to encrypt to.
Exits non-zero, with the reason on stderr, when pysaml2 or xmlsec1 fails.
"""
import json
import re
import sys

from saml2 import saml, samlp
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.sigver import CryptoBackendXmlSec1, pre_encrypt_assertion, pre_encryption_part, pre_signature_part

XMLSEC = "/usr/bin/xmlsec1"
ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
RESPONSE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
SESSION_KEYS = {
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc": "aes-128",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc": "aes-256",
    "http://www.w3.org/2009/xmlenc11#aes256-gcm": "aes-256",
    "http://www.w3.org/2001/04/xmlenc#tripledes-cbc": "des-192",
}


def cert_body(path):
    with open(path, "r", encoding="ascii") as fh:
        lines = [l.strip() for l in fh if l.strip() and "-----" not in l]
    return "".join(lines)


def metadata_xml(entity_id, cert_file, sso):
    conf = IdPConfig()
    conf.load(
        {
            "entityid": entity_id,
            "xmlsec_binary": XMLSEC,
            "cert_file": cert_file,
            "metadata": {},
            "service": {"idp": {"endpoints": {"single_sign_on_service": [(sso, "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")]}}},
        }
    )
    return str(entity_descriptor(conf))


def validate_metadata(path):
    """pysaml2's own schema check of an EntityDescriptor (saml2.xml.schema, the OASIS metadata schema it ships)."""
    from saml2.xml.schema import XMLSchemaError, schema_saml_metadata

    with open(path, "r", encoding="utf-8") as fh:
        text = fh.read()
    try:
        schema_saml_metadata.validate(text)
    except XMLSchemaError as exc:
        return "invalid: %s" % (str(exc).strip().splitlines() or ["?"])[0]
    return "valid"


def encryption_cert_from_metadata(md_path, entity_id):
    """The recipient's encryption certificate, as pysaml2's MetadataStore reads it, in a temporary PEM file."""
    import tempfile

    from saml2.attribute_converter import ac_factory
    from saml2.config import Config
    from saml2.mdstore import MetadataStore

    conf = Config()
    conf.load({"xmlsec_binary": XMLSEC, "metadata": {}})
    mds = MetadataStore(ac_factory(), conf, check_validity=False)
    mds.load("local", md_path)
    certs = mds.certs(entity_id, "any", use="encryption")
    if len(certs) != 1:
        raise ValueError("expected one encryption certificate in the metadata of %s, found %d" % (entity_id, len(certs)))
    body = certs[0].replace("\n", "").replace(" ", "")
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64)) + "\n-----END CERTIFICATE-----\n"
    fh = tempfile.NamedTemporaryFile("w", suffix=".pem", delete=False)
    fh.write(pem)
    fh.close()
    return fh.name


def build_assertion(s):
    confirmations = []
    for c in s.get("confirmations", [{"method": saml.SCM_BEARER, "data": {}}]):
        data = c.get("data")
        scd = None
        if data is not None:
            scd = saml.SubjectConfirmationData(
                recipient=data.get("recipient"),
                not_on_or_after=data.get("not_on_or_after"),
                not_before=data.get("not_before"),
                in_response_to=data.get("in_response_to"),
            )
        confirmations.append(saml.SubjectConfirmation(method=c["method"], subject_confirmation_data=scd))
    restrictions = [saml.AudienceRestriction(audience=[saml.Audience(text=a) for a in group]) for group in s.get("audiences", [])]
    conditions = saml.Conditions(not_before=s.get("not_before"), not_on_or_after=s.get("not_on_or_after"), audience_restriction=restrictions)
    assertion = saml.Assertion(
        id=s["id"],
        version="2.0",
        issue_instant=s.get("issue_instant"),
        issuer=saml.Issuer(text=s["issuer"], format=saml.NAMEID_FORMAT_ENTITY),
        subject=saml.Subject(
            name_id=saml.NameID(text=s["name_id"], format=s.get("name_id_format", saml.NAMEID_FORMAT_UNSPECIFIED)),
            subject_confirmation=confirmations,
        ),
        conditions=conditions,
    )
    authn = s.get("authn")
    if authn is not None:
        assertion.authn_statement = [
            saml.AuthnStatement(
                authn_instant=authn.get("instant"),
                authn_context=saml.AuthnContext(authn_context_class_ref=saml.AuthnContextClassRef(text=authn.get("class_ref", saml.AUTHN_PASSWORD_PROTECTED))),
            )
        ]
    attributes = s.get("attributes", [])
    if attributes:
        assertion.attribute_statement = [
            saml.AttributeStatement(
                attribute=[
                    saml.Attribute(
                        name=a["name"],
                        name_format=a.get("name_format"),
                        friendly_name=a.get("friendly_name"),
                        attribute_value=[saml.AttributeValue(text=v) for v in a["values"]],
                    )
                    for a in attributes
                ]
            )
        ]
    sign = s.get("sign")
    if sign is not None and not (s.get("response") or {}).get("sign_only"):
        assertion.signature = pre_signature_part(
            ident=s["id"], public_key=cert_body(sign["cert"]), digest_alg=sign.get("digest_alg"), sign_alg=sign.get("sign_alg")
        )
    return assertion


def make(s, crypto):
    assertion = build_assertion(s)
    response = s.get("response")
    encrypt = s.get("encrypt")
    sign = s.get("sign")
    # pysaml2 signs and encrypts assertions inside a samlp:Response (saml2.server): build one and, when the spec
    # wants a bare Assertion or EncryptedAssertion, cut it out afterwards.
    outer = samlp.Response(
        id=(response or {}).get("id", "_r" + s["id"].lstrip("_")),
        version="2.0",
        issue_instant=s.get("issue_instant"),
        destination=(response or {}).get("destination"),
        issuer=saml.Issuer(text=s["issuer"], format=saml.NAMEID_FORMAT_ENTITY),
        status=samlp.Status(status_code=samlp.StatusCode(value=(response or {}).get("status", samlp.STATUS_SUCCESS))),
        assertion=assertion,
    )
    if encrypt is not None:
        outer = pre_encrypt_assertion(outer)
    xml = str(outer)
    response_only = bool(response and response.get("sign_only"))
    if sign is not None and not response_only:
        xml = crypto.sign_statement(xml, ASSERTION, sign["key"], s["id"])
    if encrypt is not None:
        data_alg = encrypt.get("data_alg", "http://www.w3.org/2001/04/xmlenc#aes256-cbc")
        cert = encrypt.get("cert") or encryption_cert_from_metadata(encrypt["metadata"], encrypt["entity_id"])
        template = pre_encryption_part(msg_enc=data_alg, encrypt_cert=cert_body(cert))
        xml = crypto.encrypt_assertion(
            xml, cert, str(template), key_type=SESSION_KEYS[data_alg], node_xpath="//*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']"
        )
    if response is not None and (response.get("sign") or response_only) and sign is not None:
        xml = sign_response(xml, outer.id, sign, crypto)
    if response is None:
        xml = cut_out(xml, "EncryptedAssertion" if encrypt is not None else "Assertion")
    return xml


def sign_response(xml, response_id, sign, crypto):
    """A Response signature on top (SAML core 5.3): its template goes right after the Response's Issuer."""
    template = pre_signature_part(ident=response_id, public_key=cert_body(sign["cert"]), digest_alg=sign.get("digest_alg"), sign_alg=sign.get("sign_alg"))
    # Re-serialising the parsed Response could change the signed assertion's bytes; splice the template in.
    issuer_end = re.search(r"</[A-Za-z0-9_.-]*:?Issuer>", xml).end()
    text = str(template).split("?>", 1)[-1].strip()
    return crypto.sign_statement(xml[:issuer_end] + text + xml[issuer_end:], RESPONSE, sign["key"], response_id)


def cut_out(xml, local):
    """The document's one saml:<local> element as its own document, with the namespaces it inherits."""
    from xml.dom import minidom

    doc = minidom.parseString(xml)
    found = doc.getElementsByTagNameNS("urn:oasis:names:tc:SAML:2.0:assertion", local)
    if len(found) != 1:
        raise ValueError("expected one saml:%s, found %d" % (local, len(found)))
    el = found[0]
    for name, value in doc.documentElement.attributes.items():
        if (name == "xmlns" or name.startswith("xmlns:")) and not el.hasAttribute(name):
            el.setAttribute(name, value)
    return el.toxml()


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "metadata" and len(sys.argv) == 5:
        print(metadata_xml(sys.argv[2], sys.argv[3], sys.argv[4]))
        return
    if len(sys.argv) == 2 and sys.argv[1] == "assertions":
        specs = json.load(sys.stdin)
        crypto = CryptoBackendXmlSec1(XMLSEC)
        out = []
        for s in specs:
            if s.get("metadata") is not None:
                m = s["metadata"]
                out.append(metadata_xml(m["entity_id"], m["cert"], m["sso"]))
            elif s.get("validate_metadata") is not None:
                out.append(validate_metadata(s["validate_metadata"]))
            else:
                out.append(make(s, crypto))
        print(json.dumps(out))
        return
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:
        print("pysaml2 failed: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        sys.exit(1)
