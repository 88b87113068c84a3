"""A citizen can never see another person's data, and the two kinds of session never cross:
guessed ids, tampered and swapped cookies, forged proofs, one-time code limits, CSRF."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from sharewell.adapters.db.tables_portal import CitizenCodeRow
from sharewell.entrypoints.cli.main import main
from sharewell.verify import ProofInvalid, verify_proof
from tests.disclosure_fixtures import sign_in
from tests.entrypoints.portal_kit import (
    CITIZEN_EMAIL,
    EH_EMAIL,
    Portal,
    citizen_sign_in,
    csrf,
    details_of,
    latest_code,
    portal_site_fixture,  # noqa: F401  (the `portal_site` fixture)
    practitioner_reads,
)

OTHER_EMAIL = "someone.else@example.com"
CITIZEN_COOKIE = "sharewell_citizen"
PRACTITIONER_COOKIE = "sharewell_session"


def _other_persons_entries(site: Portal) -> list[dict[str, Any]]:
    """Another person (the GP's patient) signs in and lists who looked at them."""
    site.client.cookies.clear()
    sign_in(site.client, "gp@gp1.anyshire.example")
    answer = site.client.get(
        f"/api/v1/people/{site.scenario.patient}", headers={"X-Sharewell-Purpose": "direct_care"}
    )
    assert answer.status_code == 200
    site.client.cookies.clear()
    site.container.audit.checkpoint()
    citizen_sign_in(
        site.client,
        site.container,
        OTHER_EMAIL,
        details_of(site.container, site.scenario.patient, "GP"),
    )
    entries: list[dict[str, Any]] = site.client.get("/api/v1/my/accesses").json()["entries"]
    assert entries
    site.client.cookies.clear()
    return entries


def test_guessed_entry_ids_and_person_ids_show_nothing_of_anyone_else(portal_site: Portal) -> None:
    site = portal_site
    theirs = _other_persons_entries(site)
    practitioner_reads(site)
    site.container.audit.checkpoint()
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    mine = site.client.get("/api/v1/my/accesses").json()["entries"]
    assert {e["index"] for e in mine}.isdisjoint({e["index"] for e in theirs})
    for entry in theirs:
        for path in (
            f"/api/v1/my/accesses/{entry['index']}/proof",
            f"/my/looked/{entry['index']}/proof.json",
        ):
            answer = site.client.get(path)
            assert answer.status_code == 404, path
            assert site.scenario.patient not in answer.text
    # Every index in the log: only mine answer.
    size = site.container.audit_reader.latest_head()
    assert size is not None
    mine_indexes = {e["index"] for e in mine}
    for index in range(size.tree_size):
        answer = site.client.get(f"/api/v1/my/accesses/{index}/proof")
        assert (answer.status_code == 200) == (index in mine_indexes), index
    # A person id in the query is ignored: the page is always about the signed-in citizen.
    guessed = site.client.get(f"/api/v1/my/accesses?person_id={site.scenario.patient}").json()
    assert [e["index"] for e in guessed["entries"]] == [e["index"] for e in mine]
    held = site.client.get(f"/api/v1/my/holdings?person_id={site.scenario.patient}").json()
    assert "GP1" not in {h["org"] for h in held["holders"]} or site.child == site.scenario.patient


def test_tampered_forged_and_swapped_cookies_are_turned_away(portal_site: Portal) -> None:
    site = portal_site
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    good = site.client.cookies.get(CITIZEN_COOKIE)
    assert good and site.client.get("/my/held").status_code == 200
    # The citizen cookie never opens a practitioner page or the practitioner API.
    assert site.client.get("/people", follow_redirects=False).headers["location"] == "/sign-in"
    assert site.client.get(f"/api/v1/people/{site.child}").status_code == 401
    # Tampered: one character changed.
    site.client.cookies.clear()
    bad = good[:-2] + ("A" if good[-2] != "A" else "B") + good[-1]
    site.client.cookies.set(CITIZEN_COOKIE, bad)
    assert site.client.get("/my/held", follow_redirects=False).headers["location"] == "/my/sign-in"
    # Forged with a guessed secret, naming an account id.
    account = site.container.portal.store.account_for_login(
        f"email:{CITIZEN_EMAIL}", new_id="unused", at=site.clock()
    )
    forged = URLSafeSerializer("guessed-secret", salt="sharewell.citizen-session").dumps(
        {"cid": account.id, "csrf": "x", "sid": "y", "seen": int(site.clock().timestamp())}
    )
    site.client.cookies.clear()
    site.client.cookies.set(CITIZEN_COOKIE, forged)
    assert site.client.get("/my/held", follow_redirects=False).status_code == 303
    # A practitioner's cookie does not open the portal, even under the citizen cookie's name...
    site.client.cookies.clear()
    sign_in(site.client, EH_EMAIL)
    practitioner = site.client.cookies.get(PRACTITIONER_COOKIE)
    assert practitioner
    assert site.client.get("/my/held", follow_redirects=False).headers["location"] == "/my/sign-in"
    assert site.client.get("/api/v1/my/holdings").status_code == 401
    site.client.cookies.clear()
    site.client.cookies.set(CITIZEN_COOKIE, practitioner)
    assert site.client.get("/my/held", follow_redirects=False).status_code == 303
    # ...and a citizen's cookie under the practitioner cookie's name opens nothing either.
    site.client.cookies.clear()
    site.client.cookies.set(PRACTITIONER_COOKIE, good)
    assert site.client.get("/people", follow_redirects=False).headers["location"] == "/sign-in"


def test_forged_proofs_fail_to_verify(portal_site: Portal, tmp_path: Path) -> None:
    site = portal_site
    practitioner_reads(site)
    site.container.audit.checkpoint()
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    entry = site.client.get("/api/v1/my/accesses").json()["entries"][0]
    proof = site.client.get(f"/my/looked/{entry['index']}/proof.json").json()
    key = site.client.get("/my/audit-public-key").content
    verify_proof(proof, key)
    # The documented command, with only the public key.
    (tmp_path / "key.pem").write_bytes(key)
    (tmp_path / "proof.json").write_text(json.dumps(proof))
    command = ["audit", "verify-proof", str(tmp_path / "proof.json")]
    assert main([*command, "--public-key", str(tmp_path / "key.pem")]) == 0
    # Someone else's id put into the entry.
    altered = copy.deepcopy(proof)
    body = json.loads(altered["entry"])
    body["subject_id"] = site.scenario.patient
    altered["entry"] = json.dumps(body, sort_keys=True, separators=(",", ":"))
    with pytest.raises(ProofInvalid):
        verify_proof(altered, key)
    (tmp_path / "proof.json").write_text(json.dumps(altered))
    assert main([*command, "--public-key", str(tmp_path / "key.pem")]) == 1
    # The leaf hash recomputed to match: the audit path no longer reaches the signed root.
    altered["leaf_hash"] = hashlib.sha256(b"\x00" + altered["entry"].encode()).hexdigest()
    with pytest.raises(ProofInvalid):
        verify_proof(altered, key)
    # A tree head re-signed with another key for the forged root.
    other = Ed25519PrivateKey.generate()
    forged = copy.deepcopy(proof)
    head = forged["tree_head"]
    message = (
        f"sharewell-audit-tree-head/v1\n{head['tree_size']}\n{'0' * 64}\n{head['timestamp_ms']}\n"
    )
    head["root_hash"] = "0" * 64
    head["signature"] = base64.b64encode(other.sign(message.encode())).decode()
    with pytest.raises(ProofInvalid):
        verify_proof(forged, key)


def test_one_time_codes_are_hashed_expire_and_lock_after_wrong_tries(portal_site: Portal) -> None:
    site = portal_site
    client = site.client
    client.post(
        "/my/sign-in", data={"email": OTHER_EMAIL, "csrf_token": csrf(client, "/my/sign-in")}
    )
    code = latest_code(site.container)
    with site.container.engine.connect() as conn:
        stored = conn.execute(select(CitizenCodeRow.digest, CitizenCodeRow.salt)).all()
    assert stored and all(code not in (d, s) for d, s in stored)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(site.container.settings.portal_code_attempts):
        answer = client.post(
            "/my/sign-in/code",
            data={"code": wrong, "csrf_token": csrf(client, "/my/sign-in/code")},
            follow_redirects=False,
        )
        assert answer.status_code == 422
    locked = client.post(
        "/my/sign-in/code",
        data={"code": code, "csrf_token": csrf(client, "/my/sign-in/code")},
        follow_redirects=False,
    )
    assert locked.status_code == 422 and "wrong or has expired" in locked.text
    # A new code, too late.
    client.post(
        "/my/sign-in", data={"email": OTHER_EMAIL, "csrf_token": csrf(client, "/my/sign-in")}
    )
    code = latest_code(site.container)
    site.clock.advance(minutes=site.container.settings.portal_code_minutes + 1)
    late = client.post(
        "/my/sign-in/code",
        data={"code": code, "csrf_token": csrf(client, "/my/sign-in/code")},
        follow_redirects=False,
    )
    assert late.status_code == 422


def test_portal_forms_need_the_citizens_csrf_token(portal_site: Portal) -> None:
    site = portal_site
    citizen_sign_in(site.client, site.container, CITIZEN_EMAIL, site.me)
    for path in ("/my/choices/consent", "/my/choices/opt-out", "/my/requests", "/my/sign-out"):
        answer = site.client.post(path, data={"purpose": "early_help", "choice": "withdraw"})
        assert answer.status_code == 403, path
        assert "did not come from Sharewell" in answer.text


def _cookie_payload(site: Portal) -> dict[str, Any]:
    """What the citizen cookie says, read as anyone holding it could (no key needed)."""
    value = site.client.cookies[CITIZEN_COOKIE].strip('"')
    # Any key: the signature is not checked, as a reader of the cookie would not check it.
    _, data = URLSafeSerializer("not the key").loads_unsafe(value)
    assert isinstance(data, dict)
    return data


def test_the_citizen_cookie_carries_no_email_address_while_a_code_is_pending(
    portal_site: Portal,
) -> None:
    site = portal_site
    client = site.client
    sent = client.post(
        "/my/sign-in",
        data={"email": OTHER_EMAIL.upper(), "csrf_token": csrf(client, "/my/sign-in")},
        follow_redirects=False,
    )
    assert sent.status_code == 303
    raw = client.cookies[CITIZEN_COOKIE]
    payload = _cookie_payload(site)
    assert OTHER_EMAIL not in json.dumps(payload).lower()
    assert "someone" not in raw.lower() and "example" not in raw.lower()
    assert "login_email" not in payload
    # An opaque reference to the code instead: the code's random id, nothing about the address.
    with site.container.engine.connect() as conn:
        ids = set(conn.execute(select(CitizenCodeRow.id)).scalars())
    assert payload["login_code"] in ids
    # The flow and its messages are as before: the right code signs in to that address.
    signed = client.post(
        "/my/sign-in/code",
        data={"code": latest_code(site.container), "csrf_token": csrf(client, "/my/sign-in/code")},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert "login_code" not in _cookie_payload(site)
    account = site.container.portal.store.account_for_login(
        f"email:{OTHER_EMAIL}", new_id="unused", at=site.clock()
    )
    assert account.id == _cookie_payload(site)["cid"]


def test_a_code_without_asking_for_one_first_is_refused(portal_site: Portal) -> None:
    client = portal_site.client
    answer = client.post(
        "/my/sign-in/code",
        data={"code": "123456", "csrf_token": csrf(client, "/my/sign-in/code")},
        follow_redirects=False,
    )
    assert answer.status_code == 404 and "Ask for a code first" in answer.text
