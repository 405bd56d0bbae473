"""The test's OpenID Connect issuer: signing keys made in the test (RS256,
ES256, EdDSA), their JWKS, and tokens signed with them."""
import base64
import json
import os
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import JSON

ISSUER = "https://id.example-town.de/realms/city"
AUDIENCE = "allmende"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def uint(n):
    return n.to_bytes((n.bit_length() + 7) // 8, "big")


class Key:
    """A signing key of the issuer: its JWK (public) and tokens signed with it."""

    def __init__(self, alg, kid):
        self.alg, self.kid = alg, kid
        if alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            numbers = self.private.public_key().public_numbers()
            self.jwk = {"kty": "RSA", "n": b64(uint(numbers.n)), "e": b64(uint(numbers.e))}
        elif alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
            numbers = self.private.public_key().public_numbers()
            self.jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.x.to_bytes(32, "big")),
                        "y": b64(numbers.y.to_bytes(32, "big"))}
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
            raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
        self.jwk.update({"kid": kid, "use": "sig"})

    def sign(self, data):
        if self.alg == "RS256":
            return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.private.sign(data, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        return self.private.sign(data)

    def token(self, header=None, **claims):
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "azp": "dashboard", "iat": now, "exp": now + 300}
        body.update(claims)
        head = {"alg": self.alg, "typ": "JWT", "kid": self.kid, **(header or {})}
        head = {k: v for k, v in head.items() if v is not None}
        signing_input = b64(json.dumps(head).encode()) + "." + b64(json.dumps(body).encode())
        return signing_input + "." + b64(self.sign(signing_input.encode()))


def bearer(token):
    return {**JSON, "Authorization": "Bearer " + token}


def write_jwks(path, *keys):
    with open(path + ".new", "w") as f:
        json.dump({"keys": [k.jwk for k in keys]}, f)
    os.replace(path + ".new", path)  # a reader never sees half a file
