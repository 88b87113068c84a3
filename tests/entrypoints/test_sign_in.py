"""Signing in and out through the web pages (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import re

import pytest

from tests.entrypoints.conftest import DSL_EMAIL, INACTIVE_EMAIL, PASSWORD, Web, refused_soon


def test_practitioner_signs_in_and_sees_the_organisations(web: Web) -> None:
    response = web.sign_in()
    assert response.status_code == 303
    assert response.headers["location"] == "/organisations"
    page = web.client.get("/organisations")
    assert page.status_code == 200
    assert "Brookfield Primary School" in page.text
    assert "North Anyshire" in page.text
    assert "Police" in page.text


def test_wrong_password_shows_an_error_summary_linked_to_the_field(web: Web) -> None:
    response = web.sign_in(password="not the password")
    assert response.status_code == 401
    assert "There is a problem" in response.text
    assert 'href="#email"' in response.text
    assert "<title>Error: " in response.text
    assert f'value="{DSL_EMAIL}"' in response.text
    assert web.client.get("/organisations", follow_redirects=False).status_code == 303


def test_unknown_email_gets_the_same_message_as_a_wrong_password(web: Web) -> None:
    wrong = web.sign_in(password="not the password")
    unknown = web.sign_in(email="nobody@example.org", password="not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "The email address or password is not right"
    assert message in wrong.text
    assert message in unknown.text


def test_blank_fields_are_each_named(web: Web) -> None:
    response = web.client.post(
        "/sign-in", data={"email": "", "password": "", "csrf_token": web.csrf()}
    )
    assert response.status_code == 400
    assert 'href="#email"' in response.text
    assert 'href="#password"' in response.text
    assert "Enter your email address" in response.text
    assert "Enter your password" in response.text


def test_locks_after_repeated_failures_and_unlocks_later(web: Web) -> None:
    for _ in range(2):
        assert web.sign_in(password="guess").status_code == 401
    locked = web.sign_in(password="guess")
    assert locked.status_code == 429
    assert "locked" in locked.text
    assert "Try again after 2 Mar 2026, 09:15" in locked.text
    assert web.sign_in().status_code == 429
    web.clock.advance(minutes=16)
    assert web.sign_in().status_code == 303


def test_an_unknown_email_gets_the_same_answers_as_a_real_account(web: Web) -> None:
    def answers(email: str) -> list[tuple[int, str]]:
        found = []
        for _ in range(4):
            page = web.sign_in(email=email, password="guess")
            message = re.search(
                r"govuk-error-summary__list.*?<a [^>]*>([^<]+)</a>", page.text, re.S
            )
            found.append((page.status_code, message.group(1).strip() if message else ""))
        return found

    real = answers(DSL_EMAIL)
    unknown = answers("nobody@sch1.example.org")
    assert real == unknown
    assert [status for status, _ in real] == [401, 401, 429, 429]
    assert "locked" in real[-1][1]


def test_inactive_practitioner_cannot_sign_in(web: Web) -> None:
    response = web.sign_in(email=INACTIVE_EMAIL)
    assert response.status_code == 403
    assert "not active" in response.text


def test_sign_out_ends_the_session(web: Web) -> None:
    web.sign_in()
    token = web.csrf("/sign-out")
    response = web.client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert web.client.get("/organisations", follow_redirects=False).status_code == 303


def test_signing_in_rotates_the_session_and_its_csrf_token(web: Web) -> None:
    before = web.csrf()
    web.sign_in()
    after = web.csrf("/sign-out")
    assert before != after
    # The token from before signing in no longer works for signed-in forms.
    response = web.client.post("/sign-out", data={"csrf_token": before})
    assert response.status_code == 403
    assert web.client.get("/organisations").status_code == 200


def test_session_expires_after_idle_minutes(web: Web) -> None:
    web.sign_in()
    web.clock.advance(minutes=20)
    assert web.client.get("/organisations").status_code == 200
    # Activity keeps the session alive: 20 + 20 minutes in all, never 30 idle.
    web.clock.advance(minutes=20)
    assert web.client.get("/organisations").status_code == 200
    web.clock.advance(minutes=31)
    response = web.client.get("/organisations", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    notice = web.client.get("/sign-in")
    assert "You were signed out because you did nothing for 30 minutes" in notice.text


def test_deactivated_practitioner_is_signed_out_at_once(web: Web) -> None:
    from sqlalchemy import update

    from sharewell.adapters.db.tables import PractitionerRow

    web.sign_in()
    with web.container.engine.begin() as conn:
        conn.execute(
            update(PractitionerRow).where(PractitionerRow.id == "p-dsl").values(active=False)
        )
    # At once on SQLite (read on every request); on PostgreSQL as soon as the database's word
    # of the change reaches the server (milliseconds).
    answer = refused_soon(lambda: web.client.get("/organisations", follow_redirects=False))
    assert answer.status_code == 303


def test_a_forged_cookie_counts_as_signed_out(web: Web) -> None:
    web.client.cookies.set("sharewell_session", "eyJwaWQiOiJwLWRzbCJ9.forged")
    assert web.client.get("/organisations", follow_redirects=False).status_code == 303


def test_logs_name_the_practitioner_id_never_the_email_or_password(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("sharewell")
    logger.addHandler(caplog.handler)
    try:
        web.sign_in(password="a wrong guess")
        web.sign_in(email="stranger@example.org", password="another guess")
        web.sign_in()
    finally:
        logger.removeHandler(caplog.handler)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "sign_in.succeeded" in text
    assert '"practitioner_id": "p-dsl"' in text
    for secret in (DSL_EMAIL, "stranger@example.org", PASSWORD, "a wrong guess", "another guess"):
        assert secret not in text
