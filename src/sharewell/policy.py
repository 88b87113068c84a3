"""Policy testing for IG leads: `evaluate(scenario) -> result`, exactly DESIGN.md's scenario JSON.

"What happens if a school asks the police for ...?" answered before anyone signs. This module
uses the domain only (an import-linter contract keeps it so): no storage, no audit, no clock.
A malformed scenario raises a ValidationError naming the field, and no decision is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sharewell.domain.access import (
    AccessDecision,
    AccessRequest,
    AgreementIndex,
    Override,
    OverrideBasis,
    OverrideTier,
    Subject,
    decide,
    explain,
)
from sharewell.domain.agreements import Agreement, london_midnight, parse_agreement
from sharewell.domain.consent import ConsentHistory, ConsentRecord, ConsentState, check_scope
from sharewell.domain.errors import ValidationError
from sharewell.domain.organisations import Practitioner, check_org_code
from sharewell.domain.relationships import Relationship, RelationshipKind
from sharewell.domain.times import parse_instant
from sharewell.domain.vocabulary import DataCategory, Purpose, Role, parse_enum

_TOP = {"at", "agreements", "practitioner", "subject", "request"}
_PRACTITIONER = {"id", "org", "role", "active", "training", "team"}
_SUBJECT = {"id", "national_opt_out", "consents", "relationships"}
_CONSENT = {
    "purpose",
    "state",
    "scope",
    "recorded_at",
    "valid_until",
    "obtained_how",
    "recorded_by",
    "capacity_notes",
}
_RELATIONSHIP = {"practitioner", "team", "kind", "from", "to"}
_REQUEST = {"purpose", "holders", "categories", "sealed", "override"}
_OVERRIDE = {"tier", "basis", "justification", "approved_by"}


def _mapping(
    value: object, where: str, allowed: set[str], required: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"{where or 'The scenario'} must be an object", field=where or None)
    for key in value:
        if key not in allowed:
            raise ValidationError(
                f"Unknown field {key!r}. Expected one of: {', '.join(sorted(allowed))}",
                field=f"{where}.{key}" if where else str(key),
            )
    for key in required:
        if key not in value:
            raise ValidationError(
                f"The field {key!r} is required", field=f"{where}.{key}" if where else key
            )
    return value


def _list(value: object, where: str, *, allow_empty: bool = True) -> list[Any]:
    if not isinstance(value, list):
        raise ValidationError(f"{where} must be a list", field=where)
    if not allow_empty and not value:
        raise ValidationError(f"{where} must list at least one item", field=where)
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{where} must be some text", field=where)
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{where} must be true or false", field=where)
    return value


def _day(value: object, where: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(f"{where} must be a date like 2026-01-10", field=where)


def _instant(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise ValidationError(
            f"{where} must be a date and time like 2026-03-01T10:00:00Z", field=where
        )
    return parse_instant(value, field=where)


def _valid_until(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str) and "T" not in value:
        # A bare date means "valid through that day" (UK time).
        return london_midnight(_day(value, where) + timedelta(days=1))
    return _instant(value, where)


def parse_agreements(raw: object) -> list[Agreement]:
    """The scenario's agreement documents (no known-organisation list: any codes are allowed)."""
    return [
        parse_agreement(doc, prefix=f"agreements[{i}]")
        for i, doc in enumerate(_list(raw, "agreements"))
    ]


def _practitioner(raw: object) -> Practitioner:
    doc = _mapping(raw, "practitioner", _PRACTITIONER, ("id", "org", "role"))
    training: dict[str, date] = {}
    raw_training = doc.get("training") or {}
    if not isinstance(raw_training, Mapping):
        raise ValidationError(
            "practitioner.training maps module names to completion dates",
            field="practitioner.training",
        )
    for module, completed in raw_training.items():
        training[str(module)] = _day(completed, f"practitioner.training.{module}")
    team = doc.get("team")
    return Practitioner(
        id=_text(doc["id"], "practitioner.id"),
        org_code=check_org_code(_text(doc["org"], "practitioner.org"), field="practitioner.org"),
        name=str(doc["id"]),
        email="",
        role=parse_enum(Role, doc["role"], field="practitioner.role"),
        active=_bool(doc.get("active", True), "practitioner.active"),
        team=None if team is None else _text(team, "practitioner.team"),
        training=training,
    )


def _subject(raw: object) -> Subject:
    doc = _mapping(raw, "subject", _SUBJECT, ("id",))
    person = _text(doc["id"], "subject.id")
    consents = ConsentHistory()
    for i, item in enumerate(_list(doc.get("consents", []), "subject.consents")):
        where = f"subject.consents[{i}]"
        c = _mapping(item, where, _CONSENT, ("purpose", "state", "scope", "recorded_at"))
        state = parse_enum(ConsentState, c["state"], field=f"{where}.state")
        try:
            consents.add(
                ConsentRecord(
                    person_id=person,
                    purpose=parse_enum(Purpose, c["purpose"], field=f"{where}.purpose"),
                    scope=check_scope(_text(c["scope"], f"{where}.scope"), field=f"{where}.scope"),
                    state=state,
                    recorded_at=_instant(c["recorded_at"], f"{where}.recorded_at"),
                    valid_until=_valid_until(c.get("valid_until"), f"{where}.valid_until"),
                    obtained_how=c.get("obtained_how"),
                    recorded_by=c.get("recorded_by"),
                    capacity_notes=c.get("capacity_notes"),
                )
            )
        except ValidationError as exc:
            if exc.field and exc.field.startswith(where):
                raise
            raise ValidationError(exc.message, field=f"{where}.{exc.field}") from None
    relationships: list[Relationship] = []
    for i, item in enumerate(_list(doc.get("relationships", []), "subject.relationships")):
        where = f"subject.relationships[{i}]"
        r = _mapping(item, where, _RELATIONSHIP, ("from",))
        kind = r.get("kind", RelationshipKind.ALLOCATED_WORKER.value)
        practitioner = r.get("practitioner")
        team = r.get("team")
        try:
            relationships.append(
                Relationship(
                    person_id=person,
                    kind=parse_enum(RelationshipKind, kind, field=f"{where}.kind"),
                    starts_on=_day(r["from"], f"{where}.from"),
                    ends_on=None if r.get("to") is None else _day(r["to"], f"{where}.to"),
                    practitioner_id=None
                    if practitioner is None
                    else _text(practitioner, f"{where}.practitioner"),
                    team=None if team is None else _text(team, f"{where}.team"),
                )
            )
        except ValidationError as exc:
            if exc.field and exc.field.startswith(where):
                raise
            raise ValidationError(exc.message, field=f"{where}.{exc.field}") from None
    return Subject(
        id=person,
        national_opt_out=_bool(doc.get("national_opt_out", False), "subject.national_opt_out"),
        consents=consents,
        relationships=tuple(relationships),
    )


def _request(raw: object) -> AccessRequest:
    doc = _mapping(raw, "request", _REQUEST, ("purpose", "holders", "categories"))
    holders = tuple(
        check_org_code(_text(h, f"request.holders[{i}]"), field=f"request.holders[{i}]")
        for i, h in enumerate(_list(doc["holders"], "request.holders", allow_empty=False))
    )
    categories = tuple(
        parse_enum(DataCategory, c, field=f"request.categories[{i}]")
        for i, c in enumerate(_list(doc["categories"], "request.categories", allow_empty=False))
    )
    sealed = frozenset(
        check_org_code(_text(h, f"request.sealed[{i}]"), field=f"request.sealed[{i}]")
        for i, h in enumerate(_list(doc.get("sealed", []), "request.sealed"))
    )
    override = None
    if doc.get("override") is not None:
        o = _mapping(doc["override"], "request.override", _OVERRIDE, ("tier", "basis"))
        approved = o.get("approved_by")
        name = org = None
        if approved is not None:
            a = _mapping(approved, "request.override.approved_by", {"name", "org"}, ("name", "org"))
            name = _text(a["name"], "request.override.approved_by.name")
            org = check_org_code(
                _text(a["org"], "request.override.approved_by.org"),
                field="request.override.approved_by.org",
            )
        justification = o.get("justification", "")
        if not isinstance(justification, str):
            raise ValidationError(
                "request.override.justification must be text",
                field="request.override.justification",
            )
        try:
            override = Override(
                tier=parse_enum(OverrideTier, o["tier"], field="request.override.tier"),
                basis=parse_enum(OverrideBasis, o["basis"], field="request.override.basis"),
                justification=justification,
                approved_by=name,
                approved_by_org=org,
            )
        except ValidationError as exc:
            if exc.field and exc.field.startswith("request."):
                raise
            raise ValidationError(exc.message, field=f"request.override.{exc.field}") from None
    return AccessRequest(
        purpose=parse_enum(Purpose, doc["purpose"], field="request.purpose"),
        holders=holders,
        categories=categories,
        sealed=sealed,
        override=override,
    )


def _decide(scenario: dict[str, Any]) -> tuple[AccessDecision, Practitioner]:
    doc = _mapping(scenario, "", _TOP, ("at", "practitioner", "subject", "request"))
    at = _instant(doc["at"], "at")
    index = AgreementIndex(parse_agreements(doc.get("agreements", [])))
    practitioner = _practitioner(doc["practitioner"])
    subject = _subject(doc["subject"])
    request = _request(doc["request"])
    return decide(index, practitioner, subject, request, at), practitioner


def evaluate(scenario: dict[str, Any]) -> dict[str, Any]:
    """Decide a scenario: input and output as DESIGN.md's "Access rules" section specifies."""
    return _decide(scenario)[0].as_dict()


def explain_scenario(scenario: dict[str, Any]) -> list[str]:
    """The same decisions as `evaluate`, one plain-English sentence or two per decision."""
    result, practitioner = _decide(scenario)
    return [explain(d, role=practitioner.role.value) for d in result.decisions]
