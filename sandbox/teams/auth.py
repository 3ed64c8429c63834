"""The identity side of the Teams stand-in: who signs what, with which RSA key.

Two kinds of token exist between a bot and Teams (Bot Framework), and the stand-in issues both:
- channel → bot: Teams signs each activity it POSTs to the bot (`Authorization: Bearer <jwt>`, iss
  `https://api.botframework.com`, aud = the bot's app id, a `serviceurl` claim). The bot validates it against
  the keys published at the OpenID metadata URL; `sign_activity_token` makes one (or a bad one, for tests).
- bot → channel: the bot obtains an access token by client credentials (MSAL) from the login authority and
  sends it with every reply; `issue_bot_token` / `verify_bot_token` are the stand-in's side of that.
The signing key is generated per stand-in; nothing here is a real credential.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import ssl
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"  # what Bot Framework puts in `iss`, and bots expect
BOT_TOKEN_AUDIENCE = "https://api.botframework.com"  # the scope a bot asks for (ToChannelFromBotOAuthScope)
TEAMS_CHANNEL_ID = "msteams"
TOKEN_LIFETIME = 3600


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass
class TokenIssuer:
    """Signs channel tokens and bot access tokens, and publishes its public key as a JWKS."""

    key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    kid: str = field(default_factory=lambda: f"preflight-sandbox-{uuid.uuid4().hex[:8]}")
    # A key nobody published: tokens it signs claim our kid but must fail signature checks.
    forger: rsa.RSAPrivateKey = field(default_factory=_new_key)
    endorsements: tuple[str, ...] = (TEAMS_CHANNEL_ID,)
    tenant_id: str = "00000000-0000-4000-8000-00000000feed"
    issued: list[str] = field(default_factory=list)  # bot access tokens handed out

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        key = {
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": _b64(numbers.n),
            "e": _b64(numbers.e),
            "endorsements": list(self.endorsements),
        }
        return {"keys": [key]}

    def _sign(self, claims: Mapping[str, Any], *, forged: bool = False, kid: str | None = None) -> str:
        key = self.forger if forged else self.key
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return jwt.encode(dict(claims), pem, algorithm="RS256", headers={"kid": kid or self.kid})

    def sign_activity_token(
        self,
        audience: str,
        *,
        service_url: str,
        issuer: str = CHANNEL_TOKEN_ISSUER,
        expires_in: int = TOKEN_LIFETIME,
        issued_at: float | None = None,
        wrong_key: bool = False,
        kid: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """A channel → bot token as Teams sends it. `audience` is the bot's app id; a negative `expires_in`
        gives an expired token (beyond the 5 minutes of clock skew bots allow when it is under -300)."""
        now = int(issued_at if issued_at is not None else time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": audience,
            "serviceurl": service_url,
            "nbf": now - 5,
            "iat": now,
            "exp": now + expires_in,
        }
        claims.update(extra or {})
        return self._sign(claims, forged=wrong_key, kid=kid)

    def issue_bot_token(self, app_id: str, scope: str = BOT_TOKEN_AUDIENCE) -> tuple[str, int]:
        """A bot → channel access token (AAD v2 style) for `app_id`, and its lifetime in seconds."""
        now = int(time.time())
        claims = {
            "iss": f"https://login.microsoftonline.com/{self.tenant_id}/v2.0",
            "aud": scope.removesuffix("/.default"),
            "appid": app_id,
            "azp": app_id,
            "tid": self.tenant_id,
            "ver": "2.0",
            "nbf": now - 5,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
        }
        token = self._sign(claims)
        self.issued.append(token)
        return token, TOKEN_LIFETIME

    def verify_bot_token(self, token: str) -> dict[str, Any]:
        """The claims of a token this issuer gave a bot; raises jwt.InvalidTokenError otherwise."""
        claims: dict[str, Any] = jwt.decode(
            token, self.key.public_key(), algorithms=["RS256"], audience=BOT_TOKEN_AUDIENCE, leeway=300
        )
        return claims


# ------------------------------------------------------------------------------------------ TLS


@dataclass(frozen=True)
class TlsFiles:
    """A self-signed certificate for 127.0.0.1/localhost. Point `REQUESTS_CA_BUNDLE` at `cert_path` so
    that requests (and MSAL, which uses it) trust the stand-in's HTTPS port."""

    cert_path: Path
    key_path: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def self_signed_tls(directory: Path | None = None) -> TlsFiles:
    folder = Path(directory or tempfile.mkdtemp(prefix="preflight-teams-tls-"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return TlsFiles(cert_path, key_path)
