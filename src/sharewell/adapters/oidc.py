"""Citizens' sign-in with an OpenID Connect provider (GOV.UK One Login, NHS login, ...): the
authorization-code flow with PKCE (S256) and a nonce, with Authlib's OAuth 2 client, and the ID
token checked with joserfc against the provider's published keys.

The state, PKCE verifier and nonce travel in the citizen's signed, HttpOnly session cookie between
the redirect and the callback; the callback accepts the answer only for that state, and the ID
token only for that nonce, our client id and the configured issuer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from sharewell.config import Settings
from sharewell.domain.errors import ConfigurationError, PermissionDenied

ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]
TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class OidcClient:
    """One configured provider and our registration with it."""

    issuer: str
    client_id: str
    client_secret: str | None
    redirect_url: str
    scopes: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcClient:
        issuer, client_id = settings.portal_oidc_issuer, settings.portal_oidc_client_id
        redirect = settings.portal_oidc_redirect_url
        if not issuer or not client_id or not redirect:
            raise ConfigurationError(
                "Sign-in with an account provider is not set up: set SHAREWELL_PORTAL_OIDC_ISSUER, "
                "SHAREWELL_PORTAL_OIDC_CLIENT_ID and SHAREWELL_PORTAL_OIDC_REDIRECT_URL"
            )
        return cls(
            issuer.rstrip("/"),
            client_id,
            settings.oidc_client_secret(),
            redirect,
            settings.portal_oidc_scopes,
        )

    def _metadata(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        answer.raise_for_status()
        metadata: dict[str, Any] = answer.json()
        if metadata.get("issuer", "").rstrip("/") != self.issuer:
            raise PermissionDenied("The account provider's discovery document names another issuer")
        return metadata

    def _client(self) -> OAuth2Client:
        return OAuth2Client(
            self.client_id,
            self.client_secret,
            scope=self.scopes,
            redirect_uri=self.redirect_url,
            code_challenge_method="S256",
            timeout=TIMEOUT,
        )

    def authorization_url(self) -> tuple[str, dict[str, str]]:
        """Where to send the citizen, and what the callback must find in their session."""
        metadata = self._metadata()
        verifier = generate_token(64)
        nonce = generate_token(32)
        with self._client() as client:
            url, state = client.create_authorization_url(
                metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
            )
        return url, {"state": state, "verifier": verifier, "nonce": nonce}

    def finish(self, code: str, saved: dict[str, Any]) -> dict[str, Any]:
        """Exchange the code (with the PKCE verifier) and check the ID token; its claims."""
        metadata = self._metadata()
        try:
            with self._client() as client:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    code=code,
                    code_verifier=str(saved.get("verifier", "")),
                )
        except Exception as exc:
            raise PermissionDenied("The account provider did not accept the sign-in") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise PermissionDenied("The account provider sent no ID token")
        keys = httpx.get(metadata["jwks_uri"], timeout=TIMEOUT)
        keys.raise_for_status()
        try:
            decoded = jwt.decode(
                id_token, KeySet.import_key_set(keys.json()), algorithms=ALGORITHMS
            )
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": str(saved.get("nonce", ""))},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise PermissionDenied("The account provider's ID token is not valid") from exc
        claims: dict[str, Any] = dict(decoded.claims)
        return claims
