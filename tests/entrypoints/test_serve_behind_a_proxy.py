"""`sharewell serve` tells uvicorn which proxies to believe (`trusted_proxies`), in one process
and in several, so the sign-in limit counts the client's address, not the proxy's."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from sharewell.adapters.crypto import signing
from sharewell.config import Settings
from sharewell.entrypoints.cli import demo
from sharewell.entrypoints.web import app as web_app


def test_only_this_machine_is_trusted_unless_set() -> None:
    assert Settings().trusted_proxies == "127.0.0.1"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("10.0.0.5, 10.1.0.0/16", "10.0.0.5,10.1.0.0/16"),
        ("", ""),
        ("*", "*"),
        ("2001:db8::/64,127.0.0.1", "2001:db8::/64,127.0.0.1"),
    ],
)
def test_trusted_proxies_are_addresses_and_networks(given: str, kept: str) -> None:
    assert Settings(trusted_proxies=given).trusted_proxies == kept


@pytest.mark.parametrize("given", ["proxy.internal", "10.0.0.1/8", "10.0.0.5,*", "300.1.1.1"])
def test_anything_else_is_refused_naming_the_setting(given: str) -> None:
    with pytest.raises(ValidationError, match=r"trusted_proxies: .* is not an IP address"):
        Settings(trusted_proxies=given)


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_passes_the_trusted_proxies_to_uvicorn(
    settings: Settings, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: calls.append(kwargs))
    # Nothing is built or listens: only what uvicorn would be asked to do is looked at.
    monkeypatch.setattr(web_app, "create_app", lambda _settings: "the app")
    monkeypatch.setattr(web_app, "settle_for_serving", lambda: None)
    monkeypatch.setattr(signing, "load_signer", lambda _settings: None)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable does not decide
    proxied = settings.model_copy(update={"trusted_proxies": "10.0.0.5,10.1.0.0/16"})
    demo._serve(proxied, "127.0.0.1", 8123, workers)
    assert len(calls) == 1
    assert calls[0]["proxy_headers"] is True
    assert calls[0]["forwarded_allow_ips"] == "10.0.0.5,10.1.0.0/16"
