#!/usr/bin/python3
"""Verify a JWT with PyJWT, an implementation independent of Tessera's.

Usage:
  pyjwt_verify.py <jwks.json path or http(s) URL> <token> <audience> <issuer>
  pyjwt_verify.py --secret <HS256 secret> - <token> <audience> <issuer>

The key is taken only from the JWK Set (by the token's kid), or from --secret for HS256. The algorithm
accepted is the JWK's own `alg` (or HS256 with --secret), never just the token header's choice.
Prints the verified claims as JSON and exits 0 only when the token is valid; otherwise prints the
reason on stderr and exits 1.
"""
import argparse
import json
import sys
import urllib.request

import jwt


def load_jwks(source):
    if source.startswith("http://") or source.startswith("https://"):
        with urllib.request.urlopen(source, timeout=5) as resp:
            return json.loads(resp.read(256 * 1024 + 1))
    with open(source, "r", encoding="utf-8") as fh:
        return json.load(fh)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secret", help="HS256 shared secret (utf-8); the JWK Set argument is then ignored")
    parser.add_argument("jwks")
    parser.add_argument("token")
    parser.add_argument("audience")
    parser.add_argument("issuer")
    args = parser.parse_args()

    header = jwt.get_unverified_header(args.token)
    if args.secret is not None:
        key = args.secret.encode("utf-8")
        alg = "HS256"
    else:
        keyset = jwt.PyJWKSet.from_dict(load_jwks(args.jwks))
        kid = header.get("kid")
        matches = [k for k in keyset.keys if k.key_id == kid]
        if len(matches) != 1:
            raise ValueError("no single key with kid %r in the JWK Set" % (kid,))
        jwk = matches[0]
        alg = jwk._jwk_data.get("alg")
        if not alg:
            raise ValueError("the JWK has no alg")
        key = jwk.key

    claims = jwt.decode(
        args.token,
        key,
        algorithms=[alg],
        audience=args.audience,
        issuer=args.issuer,
        options={"require": ["iss", "sub", "aud", "exp", "iat"]},
    )
    print(json.dumps(claims, sort_keys=True))


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # any failure is "not valid": report it and exit non-zero
        print("invalid: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        sys.exit(1)
