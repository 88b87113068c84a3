"""Governance repositories on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from sharewell.adapters.db.governance import SqlGovernance
from sharewell.domain.access import AgreementIndex, Override, OverrideBasis, OverrideTier
from sharewell.domain.agreements import Signature, parse_agreement
from sharewell.domain.consent import ConsentRecord, ConsentState
from sharewell.domain.errors import Conflict, NotFound
from sharewell.domain.overrides import OverrideReview, ReviewOutcome
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.vocabulary import Purpose
from tests.domain.scenario_kit import charter, party

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_agreement_round_trips_with_signatures_and_termination(engine: Engine) -> None:
    store = SqlGovernance(engine)
    original = parse_agreement(
        charter(
            parties=[
                party("POL"),
                party("SCH1", None),
                party("SCH2"),
                party("EHS"),
                party("GP1"),
                party("ACU"),
                party("CSCN"),
            ]
        )
    )
    with store.transaction() as tx:
        tx.agreements.add_version(original, at=AT, by="tester")
    with store.transaction() as tx:
        [stored] = tx.agreements.versions("anyshire-charter")
    assert stored.agreement == original
    assert stored.proposed_at is None
    signature = Signature("B. Head", "Headteacher", AT)
    with store.transaction() as tx:
        tx.agreements.add_signature("anyshire-charter", 1, "SCH1", signature, by="tester")
        tx.agreements.add_termination("anyshire-charter", 1, at=AT, reason="Replaced", by="tester")
    with store.transaction() as tx:
        [stored] = tx.agreements.list()
    expected = original.signed("SCH1", signature).terminated(AT, "Replaced")
    assert stored.agreement == expected


def test_same_version_twice_is_a_conflict(engine: Engine) -> None:
    store = SqlGovernance(engine)
    agreement = parse_agreement(charter())
    with store.transaction() as tx:
        tx.agreements.add_version(agreement, at=AT, by="tester")
    with pytest.raises(Conflict), store.transaction() as tx:
        tx.agreements.add_version(agreement, at=AT, by="tester")


def test_index_is_rebuilt_when_anything_is_added(engine: Engine) -> None:
    store = SqlGovernance(engine)
    with store.transaction() as tx:
        tx.agreements.add_version(parse_agreement(charter()), at=AT, by="tester")
    with store.transaction() as tx:
        first = tx.agreements.index()
    with store.transaction() as tx:
        assert tx.agreements.index() is first  # nothing changed: the cached index is reused
        tx.agreements.add_termination("anyshire-charter", 1, at=AT, reason="Ended", by="t")
    with store.transaction() as tx:
        second = tx.agreements.index()
    assert isinstance(second, AgreementIndex) and second is not first
    assert second.effective("anyshire-charter", AT) is None


def test_consent_history_keeps_order_and_time_zone(engine: Engine) -> None:
    store = SqlGovernance(engine)
    records = [
        ConsentRecord(
            "s1",
            Purpose.EARLY_HELP,
            "all",
            ConsentState.GIVEN,
            AT,
            valid_until=datetime(2027, 1, 1, tzinfo=UTC),
        ),
        ConsentRecord("s1", Purpose.EARLY_HELP, "EHS", ConsentState.WITHDRAWN, AT),
    ]
    with store.transaction() as tx:
        for record in records:
            tx.consents.add(record)
    with store.transaction() as tx:
        assert list(tx.consents.history("s1")) == records
        assert list(tx.consents.history("s2")) == []


def test_relationships_start_and_end(engine: Engine) -> None:
    store = SqlGovernance(engine)
    relationship = Relationship(
        "s1", RelationshipKind.OPEN_CASE, date(2026, 1, 1), team="cscn-assessment", id="r1"
    )
    with store.transaction() as tx:
        tx.relationships.add(relationship, by="tester")
        tx.relationships.end("r1", date(2026, 2, 1))
    with store.transaction() as tx:
        [stored] = tx.relationships.for_person("s1")
    assert stored == relationship.ended(date(2026, 2, 1))
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.relationships.end("missing", date(2026, 2, 1))


def test_opt_out_defaults_to_not_opted_out(engine: Engine) -> None:
    with SqlGovernance(engine).transaction() as tx:
        assert tx.opt_outs.current("nobody") is False


def _review(review_id: str, who: str, expires: datetime) -> OverrideReview:
    return OverrideReview(
        id=review_id,
        practitioner_id=who,
        org="SCH1",
        person_id="s1",
        purpose=Purpose.SAFEGUARDING_CHILDREN,
        override=Override(
            OverrideTier.EMERGENCY, OverrideBasis.SAFEGUARDING, "Child disclosed harm today"
        ),
        decisions=(
            {"holder": "POL", "category": "criminal_offence", "agreement": "", "overridden": ""},
            {"holder": "GP1", "category": "health", "agreement": "", "overridden": ""},
        ),
        granted_at=AT - timedelta(hours=1),
        expires_at=expires,
        review_due_at=AT + timedelta(days=3),
    )


def test_decision_inputs_carry_the_practitioners_overrides_in_force(engine: Engine) -> None:
    store = SqlGovernance(engine)
    later = AT + timedelta(hours=3)
    with store.transaction() as tx:
        tx.overrides.add(_review("in-force", "p1", later))
        tx.overrides.add(_review("expired", "p1", AT))
        tx.overrides.add(_review("not-justified", "p1", later))
        tx.overrides.add(_review("someone-else", "p2", later))
        tx.overrides.add(_review("justified", "p1", later))
        for done, outcome in (
            ("not-justified", ReviewOutcome.NOT_JUSTIFIED),
            ("justified", ReviewOutcome.JUSTIFIED),
        ):
            found = tx.overrides.get(done)
            assert found is not None
            tx.overrides.save_review(
                found.reviewed(outcome=outcome, notes="Looked at it", by="ig", at=AT)
            )
    # Through the hot path's autocommit reads and inside a transaction alike.
    with store.reads() as reads:
        _, subject = reads.decision_inputs("s1", practitioner_id="p1", at=AT)
    with store.transaction() as tx:
        _, again = tx.decision_inputs("s1", practitioner_id="p1", at=AT)
    assert again.overrides == subject.overrides
    assert sorted((o.review_id, o.holder, o.category.value) for o in subject.overrides) == [
        ("in-force", "GP1", "health"),
        ("in-force", "POL", "criminal_offence"),
        ("justified", "GP1", "health"),
        ("justified", "POL", "criminal_offence"),
    ]
    [first, *_] = subject.overrides
    assert first.practitioner_id == "p1"
    assert first.purpose is Purpose.SAFEGUARDING_CHILDREN
    assert first.expires_at == later
    assert first.override.basis is OverrideBasis.SAFEGUARDING
