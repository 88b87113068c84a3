"""Citizens' sign-in with OpenID Connect against a tiny fake provider on 127.0.0.1: the
authorization-code flow with PKCE and a nonce, the ID token signed with the provider's key, and
refusals for a wrong state, a wrong nonce and a forged token. No internet."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from sharewell.config import Settings
from sharewell.domain.citizens import VerificationMethod
from sharewell.entrypoints.web.app import create_app
from tests.disclosure_fixtures import demo_partnership
from tests.entrypoints.conftest import _free_port
from tests.entrypoints.portal_kit import csrf, details_of, early_help_child

CLIENT_ID = "sharewell-portal"
CLIENT_SECRET = "fake-provider-secret"
CALLBACK = "http://testserver/my/oidc/callback"


@dataclass
class FakeProvider:
    """Just enough of an OpenID provider: discovery, authorize, token, JWKS."""

    issuer: str
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    pending: dict[str, dict[str, str]] = field(default_factory=dict)
    subject: str = "citizen-123"
    forge: bool = False
    nonce_override: str | None = None

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": self.subject,
            "iat": now,
            "exp": now + 300,
            "nonce": self.nonce_override or nonce,
            "email": "citizen@example.com",
        }
        key = RSAKey.generate_key(2048, parameters={"kid": "k1"}) if self.forge else self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

        def _json(self, body: dict[str, Any], status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path == "/.well-known/openid-configuration":
                self._json(
                    {
                        "issuer": provider.issuer,
                        "authorization_endpoint": f"{provider.issuer}/authorize",
                        "token_endpoint": f"{provider.issuer}/token",
                        "jwks_uri": f"{provider.issuer}/jwks",
                    }
                )
            elif url.path == "/jwks":
                self._json(KeySet([provider.key]).as_dict(private=False))
            elif url.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                assert query["client_id"] == CLIENT_ID
                assert query["code_challenge_method"] == "S256"
                code = secrets.token_urlsafe(16)
                provider.pending[code] = query
                back = (
                    query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
                )
                self.send_response(302)
                self.send_header("Location", back)
                self.end_headers()
            else:
                self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            asked = provider.pending.pop(form.get("code", ""), None)
            sent_secret = form.get("client_secret")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                sent_id, sent_secret = base64.b64decode(auth[6:]).decode().split(":", 1)
                assert sent_id == CLIENT_ID
            verifier = form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if (
                asked is None
                or sent_secret != CLIENT_SECRET
                or challenge != asked["code_challenge"]
                or form.get("redirect_uri") != asked["redirect_uri"]
            ):
                self._json({"error": "invalid_grant"}, 400)
                return
            self._json(
                {
                    "access_token": "at",
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": provider.id_token(asked["nonce"]),
                }
            )

    return Handler


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    port = _free_port()
    fake = FakeProvider(f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def site(tmp_path: Path, provider: FakeProvider) -> Iterator[tuple[TestClient, Any, Any]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'sharewell.db'}",
        demo_mode=True,
        portal_oidc_issuer=provider.issuer,
        portal_oidc_client_id=CLIENT_ID,
        portal_oidc_client_secret=CLIENT_SECRET,
        portal_oidc_redirect_url=CALLBACK,
    )
    container, scenario = demo_partnership(settings)
    child = early_help_child(container, scenario)
    app = create_app(settings, container=container)
    with TestClient(app) as client:
        yield client, container, details_of(container, child)
    container.close()


def _round_trip(client: TestClient, *, state: str | None = None) -> httpx.Response:
    start = client.get("/my/oidc/start", follow_redirects=False)
    assert start.status_code == 303
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302
    back = urlparse(at_provider.headers["location"])
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    if state is not None:
        query["state"] = state
    return client.get(f"{back.path}?{urlencode(query)}", follow_redirects=False)


def test_a_citizen_signs_in_with_the_provider_and_is_bound_by_verification(
    site: tuple[TestClient, Any, Any], provider: FakeProvider
) -> None:
    client, container, me = site
    assert "Continue to your account provider" in client.get("/my/sign-in").text
    answer = _round_trip(client)
    assert answer.status_code == 303 and answer.headers["location"] == "/my/verify"
    verified = client.post(
        "/my/verify",
        data={
            "name": me.name,
            "dob-day": str(me.date_of_birth.day),
            "dob-month": str(me.date_of_birth.month),
            "dob-year": str(me.date_of_birth.year),
            "postcode": me.postcode,
            "csrf_token": csrf(client, "/my/verify"),
        },
        follow_redirects=False,
    )
    assert verified.status_code == 303
    assert client.get("/my/held").status_code == 200
    account = container.portal.store.account_for_login(
        f"oidc:{provider.issuer}|{provider.subject}", new_id="unused", at=container.portal.clock()
    )
    assert account.person_id == me.person_id
    (record,) = container.portal.store.verifications(account.id)
    assert record.method is VerificationMethod.OIDC_DIRECTORY_MATCH
    assert record.level.value == "medium"
    assert set(record.evidence) == {"family_name", "date_of_birth", "postcode"}
    # Signing in again finds the same account, already bound.
    client.cookies.clear()
    again = _round_trip(client)
    assert again.headers["location"] == "/my"


def test_a_wrong_state_is_refused(site: tuple[TestClient, Any, Any]) -> None:
    client, _container, _me = site
    answer = _round_trip(client, state="not-the-state")
    assert answer.status_code == 403
    assert client.get("/my/held", follow_redirects=False).headers["location"] == "/my/sign-in"


@pytest.mark.parametrize("attack", ["forged signature", "wrong nonce"])
def test_an_id_token_that_does_not_check_out_is_refused(
    site: tuple[TestClient, Any, Any], provider: FakeProvider, attack: str
) -> None:
    client, _container, _me = site
    if attack == "forged signature":
        provider.forge = True
    else:
        provider.nonce_override = "replayed-nonce"
    answer = _round_trip(client)
    assert answer.status_code == 403
    assert "not valid" in answer.text
    assert client.get("/my/held", follow_redirects=False).headers["location"] == "/my/sign-in"
