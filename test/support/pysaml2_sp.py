"""A pysaml2 service provider with its default settings (Debian python3-pysaml2) consuming one HTTP-POST
SAMLResponse, as an SP would after the browser posts it to its ACS.

Usage: /usr/bin/python3 pysaml2_sp.py <config.json>
config: {"idp_metadata": path, "entity_id": ..., "acs": ..., "key_file": path, "cert_file": path,
         "response_file": path (the XML), "in_response_to": id or null}
Prints the identity it accepted as JSON; exits 1 with the error when it refuses the Response.
"""
import base64
import json
import sys
import traceback

from saml2 import BINDING_HTTP_POST
from saml2.client import Saml2Client
from saml2.config import SPConfig

cfg = json.load(open(sys.argv[1]))
sp = SPConfig()
sp.load({
    "entityid": cfg["entity_id"],
    "metadata": {"local": [cfg["idp_metadata"]]},
    "service": {"sp": {"endpoints": {"assertion_consumer_service": [(cfg["acs"], BINDING_HTTP_POST)]}}},
    "key_file": cfg["key_file"],
    "cert_file": cfg["cert_file"],
    "encryption_keypairs": [{"key_file": cfg["key_file"], "cert_file": cfg["cert_file"]}],
    "xmlsec_binary": "/usr/bin/xmlsec1",
})
client = Saml2Client(config=sp)
xml = open(cfg["response_file"], "rb").read()
outstanding = {cfg["in_response_to"]: "/"} if cfg.get("in_response_to") else {}
try:
    response = client.parse_authn_request_response(base64.b64encode(xml).decode(), BINDING_HTTP_POST, outstanding=outstanding)
    if response is None:
        raise Exception("no response")
    info = response.session_info()
    json.dump({
        "name_id": str(info["name_id"].text),
        "issuer": info["issuer"],
        "session_index": info.get("session_index"),
        "attributes": info["ava"],
        "in_response_to": response.in_response_to,
        "response_signed": bool(response.response.signature),
    }, sys.stdout)
except Exception as e:
    sys.stderr.write(f"{type(e).__name__}: {e}\n")
    traceback.print_exc(file=sys.stderr)
    sys.exit(1)
