#!/usr/bin/python3
"""An RFC 8693 token exchange made with Authlib, a client implementation independent of Tessera's.

Reads one JSON request on standard input:
  {"token_endpoint": "...", "client_id": "...", "auth_method": "client_secret_basic" | "client_secret_post"
   | "private_key_jwt", "client_secret": "...", "private_key_pem": "...", "kid": "...", "alg": "ES256",
   "params": {"subject_token": "...", ...}, "jwks_uri": "...", "verify": {"audience": "...", "issuer": "..."}}

Authlib's OAuth2Session authenticates the client (its own Basic, body or RFC 7523 private_key_jwt code) and
posts the grant. When "verify" is given and the issued token is a JWT, Authlib's JOSE module verifies it with
the JWK Set at "jwks_uri" and checks iss, aud and exp. Prints {"status", "body", "claims"?} as JSON.
"""
import json
import sys
import time

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7523 import PrivateKeyJWT

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"


def main():
    req = json.load(sys.stdin)
    method = req["auth_method"]
    if method == "private_key_jwt":
        session = OAuth2Session(
            req["client_id"],
            req["private_key_pem"],
            token_endpoint_auth_method=PrivateKeyJWT(req["token_endpoint"], alg=req.get("alg", "ES256"), headers={"kid": req["kid"]}),
        )
    else:
        session = OAuth2Session(req["client_id"], req["client_secret"], token_endpoint_auth_method=method)

    params = dict(req["params"])
    # Authlib's fetch_token would raise on an error answer; the raw response is what the tests compare.
    body = {"grant_type": GRANT}
    body.update(params)
    resp = session.request(
        "POST",
        req["token_endpoint"],
        data=body,
        withhold_token=True,
        auth=session.client_auth(session.token_endpoint_auth_method),
        headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
    )
    out = {"status": resp.status_code, "body": resp.json(), "cache_control": resp.headers.get("Cache-Control")}
    verify = req.get("verify")
    if verify and resp.status_code == 200 and out["body"].get("access_token", "").count(".") == 2:
        jwks = requests.get(req["jwks_uri"], timeout=5).json()
        key_set = JsonWebKey.import_key_set(jwks)
        claims = jwt.decode(
            out["body"]["access_token"],
            key_set,
            claims_options={
                "iss": {"essential": True, "value": verify["issuer"]},
                "aud": {"essential": True, "value": verify["audience"]},
                "exp": {"essential": True},
                "sub": {"essential": True},
            },
        )
        claims.validate(now=int(time.time()), leeway=0)
        out["claims"] = dict(claims)
        out["header"] = dict(claims.header)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
