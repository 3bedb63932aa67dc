"""A stand-in for Google's OAuth 2.0 endpoints, as a small ASGI app.

It checks what Google checks: a JWT-bearer assertion's RS256 signature against the service
account's public key (verified here with ``cryptography`` directly, not with the library
pgb signs with), its ``iss``, ``aud``, ``exp`` and ``scope`` claims; refresh grants against
the client and refresh token it issued; the authorization code, the redirect URI and the
PKCE S256 verifier on the code exchange. Mounted on httpx for https://oauth2.googleapis.com
(token, revoke), https://accounts.google.com (consent) and
https://openidconnect.googleapis.com (userinfo).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TOKEN_URL = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
KNOWN_SCOPES = {
    "https://www.googleapis.com/auth/pubsub",
    "https://www.googleapis.com/auth/bigquery",
    "https://www.googleapis.com/auth/cloud-platform",
    "https://www.googleapis.com/auth/userinfo.email",
    "openid",
}


class Refused(Exception):
    def __init__(self, status: int, error: str, description: str = "") -> None:
        super().__init__(error)
        self.status, self.error, self.description = status, error, description


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Issued:
    expires_at: float
    scopes: list[str]
    email: str
    refresh_token: str | None = None


@dataclass
class FakeGoogle:
    service_accounts: dict[str, rsa.RSAPublicKey] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # client_id -> secret
    refresh_tokens: dict[str, tuple[str, list[str], str]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, Issued] = field(default_factory=dict)  # every access token issued
    lifetimes: list[int] = field(default_factory=list)  # next expires_in values, then 3600
    grants: list[str] = field(default_factory=list)  # grant_type of every successful grant
    refusals: list[str] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)  # of every accepted JWT
    revoked: list[str] = field(default_factory=list)

    def valid(self, token: str) -> Issued | None:
        issued = self.tokens.get(token)
        return issued if issued and issued.expires_at > time.time() else None

    # --- ASGI ------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        route = (scope["method"], headers.get("host", ""), scope["path"])
        try:
            status, reply, extra = self._route(route, form, query, headers)
        except Refused as exc:
            self.refusals.append(exc.error)
            status, reply, extra = exc.status, {"error": exc.error}, {}
            if exc.description:
                reply["error_description"] = exc.description
        raw = json.dumps(reply).encode()
        head = [(b"content-type", b"application/json"), *extra.items()]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": raw})

    def _route(
        self,
        route: tuple[str, str, str],
        form: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, Any], dict[bytes, bytes]]:
        method, host, path = route
        if (method, host, path) == ("POST", "oauth2.googleapis.com", "/token"):
            return 200, self._token(form, headers), {}
        if (method, host, path) == ("POST", "oauth2.googleapis.com", "/revoke"):
            return self._revoke(form)
        if (method, host, path) == ("GET", "accounts.google.com", "/o/oauth2/v2/auth"):
            return 302, {}, {b"location": self._consent(query).encode()}
        if (method, host, path) == ("GET", "openidconnect.googleapis.com", "/v1/userinfo"):
            issued = self.valid(headers.get("authorization", "").removeprefix("Bearer "))
            if (
                issued is None
                or "https://www.googleapis.com/auth/userinfo.email" not in issued.scopes
            ):
                raise Refused(401, "invalid_token")
            return 200, {"email": issued.email, "email_verified": True}, {}
        raise Refused(404, "not_found")

    # --- grants ----------------------------------------------------------------------
    def _token(self, form: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            email, scopes = self._check_assertion(form.get("assertion", ""))
            reply = self._issue(scopes, email)
        elif grant == "refresh_token":
            client_id = self._check_client(form, headers)
            known = self.refresh_tokens.get(form.get("refresh_token", ""))
            if known is None or known[0] != client_id:
                raise Refused(400, "invalid_grant", "Token has been expired or revoked.")
            # Google sends no new refresh token on a refresh
            reply = self._issue(known[1], known[2], form["refresh_token"])
        elif grant == "authorization_code":
            client_id = self._check_client(form, headers)
            reply = self._exchange(client_id, form)
        else:
            raise Refused(400, "unsupported_grant_type", "Invalid grant_type")
        self.grants.append(str(grant))
        return reply

    def _check_assertion(self, assertion: str) -> tuple[str, list[str]]:
        try:
            head, payload, signature = assertion.split(".")
            header = json.loads(b64url_decode(head))
            claims = json.loads(b64url_decode(payload))
        except ValueError:
            raise Refused(400, "invalid_grant", "Invalid JWT: malformed") from None
        public = self.service_accounts.get(claims.get("iss", ""))
        if header.get("alg") != "RS256" or public is None:
            raise Refused(400, "invalid_grant", "Invalid JWT: unknown issuer or algorithm")
        try:
            public.verify(
                b64url_decode(signature),
                f"{head}.{payload}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            raise Refused(400, "invalid_grant", "Invalid JWT Signature.") from None
        now = time.time()
        if claims.get("aud") != TOKEN_URL:
            raise Refused(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived "
                "token and in a reasonable timeframe (aud)",
            )
        exp, iat = claims.get("exp", 0), claims.get("iat", 0)
        if not (exp > now and iat <= now + 60 and exp - iat <= 3600):
            raise Refused(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived "
                "token (60 minutes) and in a reasonable timeframe.",
            )
        scopes = str(claims.get("scope", "")).split()
        if not scopes or not set(scopes) <= KNOWN_SCOPES:
            raise Refused(400, "invalid_scope", "Invalid OAuth scope or ID token audience.")
        self.claims.append(claims)
        return claims["iss"], scopes

    def _check_client(self, form: dict[str, str], headers: dict[str, str]) -> str:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if headers.get("authorization", "").startswith("Basic "):
            raw = base64.b64decode(headers["authorization"][6:]).decode()
            client_id, _, secret = raw.partition(":")
        if self.clients.get(client_id) != secret or not secret:
            raise Refused(401, "invalid_client", "Unauthorized")
        return client_id

    def _consent(self, query: dict[str, str]) -> str:
        """The user clicks "Allow": a code bound to the client, redirect URI and challenge."""
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") not in self.clients or not redirect.startswith(
            "http://127.0.0.1:"
        ):
            raise Refused(400, "invalid_request", "redirect_uri_mismatch")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise Refused(400, "invalid_request", "PKCE S256 required by this stand-in")
        code = secrets.token_urlsafe(16)
        self.codes[code] = {**query, "email": "astronomer@example.org"}
        return f"{redirect}?{urlencode({'state': query.get('state', ''), 'code': code})}"

    def _exchange(self, client_id: str, form: dict[str, str]) -> dict[str, Any]:
        asked = self.codes.pop(form.get("code", ""), None)
        if asked is None or asked["client_id"] != client_id:
            raise Refused(400, "invalid_grant", "Malformed auth code.")
        if form.get("redirect_uri") != asked["redirect_uri"]:
            raise Refused(400, "redirect_uri_mismatch", "Bad Request")
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != asked["code_challenge"]:
            raise Refused(400, "invalid_grant", "Invalid code verifier.")
        scopes = asked["scope"].split()
        refresh_token = "1//" + secrets.token_urlsafe(32)
        self.refresh_tokens[refresh_token] = (client_id, scopes, asked["email"])
        return {
            **self._issue(scopes, asked["email"], refresh_token),
            "refresh_token": refresh_token,
        }

    def _issue(self, scopes: list[str], email: str, refresh: str | None = None) -> dict[str, Any]:
        lifetime = self.lifetimes.pop(0) if self.lifetimes else 3600
        token = "ya29." + secrets.token_urlsafe(32)
        self.tokens[token] = Issued(time.time() + lifetime, scopes, email, refresh)
        return {
            "access_token": token,
            "expires_in": lifetime,
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }

    def _revoke(self, form: dict[str, str]) -> tuple[int, dict[str, Any], dict[bytes, bytes]]:
        token = form.get("token", "")
        known = self.refresh_tokens.pop(token, None)
        if known is None:
            raise Refused(400, "invalid_token", "Token expired or revoked")
        self.revoked.append(token)
        for issued in self.tokens.values():
            if issued.refresh_token == token:
                issued.expires_at = 0
        return 200, {}, {}
