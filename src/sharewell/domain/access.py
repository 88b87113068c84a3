"""Access decisions: DESIGN.md's access rules 1-10 and override rules, as one pure function.

Deny by default. `decide` answers, for every holder organisation and data category asked about,
whether the practitioner may see it, why (stable reason codes), under which agreement version and
legal basis, which fields, with which obligations and until when. How one flow is chosen when
several match is recorded in docs/decisions/0003-choosing-among-flows.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sharewell.domain.agreements import Agreement, Flow, london_date
from sharewell.domain.consent import ConsentHistory, ConsentStatus
from sharewell.domain.errors import ValidationError
from sharewell.domain.organisations import Practitioner
from sharewell.domain.relationships import Relationship
from sharewell.domain.times import london
from sharewell.domain.vocabulary import LEGAL_BASES, ConsentModel, DataCategory, Purpose, Role


class Reason(StrEnum):
    """Why a decision came out as it did. Stable codes: never rename one once used."""

    OWN_RECORD = "OWN_RECORD"
    PRACTITIONER_INACTIVE = "PRACTITIONER_INACTIVE"
    NO_AGREEMENT = "NO_AGREEMENT"
    AGREEMENT_NOT_IN_FORCE = "AGREEMENT_NOT_IN_FORCE"
    PURPOSE_NOT_COVERED = "PURPOSE_NOT_COVERED"
    CATEGORY_NOT_COVERED = "CATEGORY_NOT_COVERED"
    ROLE_NOT_PERMITTED = "ROLE_NOT_PERMITTED"
    TRAINING_MISSING = "TRAINING_MISSING"
    TRAINING_EXPIRED = "TRAINING_EXPIRED"
    NO_LEGITIMATE_RELATIONSHIP = "NO_LEGITIMATE_RELATIONSHIP"
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    CONSENT_REFUSED = "CONSENT_REFUSED"
    CONSENT_WITHDRAWN = "CONSENT_WITHDRAWN"
    CONSENT_EXPIRED = "CONSENT_EXPIRED"
    CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY = "CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY"
    NATIONAL_OPT_OUT = "NATIONAL_OPT_OUT"
    SEALED = "SEALED"
    AGREEMENT = "AGREEMENT"
    OVERRIDE = "OVERRIDE"
    # Not from the rules: the service could not decide (or could not audit), so it denies.
    DECISION_UNAVAILABLE = "DECISION_UNAVAILABLE"

    @property
    def explanation(self) -> str:
        return REASON_TEXT[self]


REASON_TEXT: dict[Reason, str] = {
    Reason.OWN_RECORD: "this is your own organisation's record",
    Reason.PRACTITIONER_INACTIVE: "your account is not active",
    Reason.NO_AGREEMENT: "no agreement lets this organisation share with yours",
    Reason.AGREEMENT_NOT_IN_FORCE: (
        "the agreement that would cover this is not in force (unsigned, not started, expired, "
        "terminated or replaced by a newer version)"
    ),
    Reason.PURPOSE_NOT_COVERED: "the agreements in force do not cover this purpose",
    Reason.CATEGORY_NOT_COVERED: "the agreements in force do not cover this kind of information "
    "for this purpose",
    Reason.ROLE_NOT_PERMITTED: "the agreement does not name your role as a recipient",
    Reason.TRAINING_MISSING: "the agreement requires training you have not completed",
    Reason.TRAINING_EXPIRED: "the training the agreement requires has lapsed: renew it",
    Reason.NO_LEGITIMATE_RELATIONSHIP: (
        "you have no recorded working relationship with this person (open case, registered "
        "patient, pupil on roll or allocated worker)"
    ),
    Reason.CONSENT_REQUIRED: "the agreement needs the person's consent, and none is recorded",
    Reason.CONSENT_REFUSED: "the person has refused consent",
    Reason.CONSENT_WITHDRAWN: "the person has withdrawn consent",
    Reason.CONSENT_EXPIRED: "the person's consent has expired",
    Reason.CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY: (
        "the person refused consent, but a statutory gateway allows sharing without it; the "
        "refusal is recorded and shown"
    ),
    Reason.NATIONAL_OPT_OUT: "the person has registered a national data opt-out that applies here",
    Reason.SEALED: "the holder has sealed this information",
    Reason.AGREEMENT: "the agreement allows it",
    Reason.OVERRIDE: "an override was used and will be reviewed by information governance",
    Reason.DECISION_UNAVAILABLE: (
        "the decision could not be made or recorded just now, so nothing is shared; try again"
    ),
}

# How far a flow got before it failed: the furthest denial is the most specific (ADR 0003).
_STAGE: dict[Reason, int] = {
    Reason.AGREEMENT_NOT_IN_FORCE: 1,
    Reason.PURPOSE_NOT_COVERED: 2,
    Reason.CATEGORY_NOT_COVERED: 3,
    Reason.ROLE_NOT_PERMITTED: 4,
    Reason.TRAINING_MISSING: 5,
    Reason.TRAINING_EXPIRED: 5,
    Reason.NO_LEGITIMATE_RELATIONSHIP: 6,
    Reason.CONSENT_REQUIRED: 7,
    Reason.CONSENT_REFUSED: 7,
    Reason.CONSENT_WITHDRAWN: 7,
    Reason.CONSENT_EXPIRED: 7,
    Reason.NATIONAL_OPT_OUT: 8,
    Reason.SEALED: 9,
}


class Outcome(StrEnum):
    """Permit or deny."""

    PERMIT = "permit"
    DENY = "deny"


class Obligation(StrEnum):
    """What must happen after a permit."""

    IG_REVIEW = "IG_REVIEW"
    RECORD_DECISION = "RECORD_DECISION"


class OverrideTier(StrEnum):
    """Self-asserted in an emergency, or approved by a named IG lead of the holder."""

    EMERGENCY = "emergency"
    APPROVED = "approved"


class OverrideBasis(StrEnum):
    """The grounds an override may rest on."""

    VITAL_INTERESTS = "vital_interests"
    SAFEGUARDING = "safeguarding"
    PREVENTION_OF_CRIME = "prevention_of_crime"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


EMERGENCY_OVERRIDABLE = frozenset(
    {
        Reason.NO_LEGITIMATE_RELATIONSHIP,
        Reason.CONSENT_REQUIRED,
        Reason.CONSENT_REFUSED,
        Reason.CONSENT_WITHDRAWN,
        Reason.CONSENT_EXPIRED,
    }
)
APPROVED_OVERRIDABLE = EMERGENCY_OVERRIDABLE | {Reason.SEALED}
OVERRIDE_DURATION = timedelta(hours=4)
MIN_JUSTIFICATION = 20


@dataclass(frozen=True, slots=True)
class Override:
    """A request to override a denial, with its basis and justification."""

    tier: OverrideTier
    basis: OverrideBasis
    justification: str
    approved_by: str | None = None
    approved_by_org: str | None = None

    def __post_init__(self) -> None:
        if len(self.justification.strip()) < MIN_JUSTIFICATION:
            raise ValidationError(
                f"An override needs a justification of at least {MIN_JUSTIFICATION} characters "
                "saying why sharing is necessary now",
                field="justification",
            )
        if self.tier is OverrideTier.APPROVED and not (
            self.approved_by and self.approved_by.strip() and self.approved_by_org
        ):
            raise ValidationError(
                "An approved override names the IG lead of the holder who approved it",
                field="approved_by",
            )

    def overridable(self, holder: str) -> frozenset[Reason]:
        """The denial reasons this override may overcome for `holder`."""
        if self.tier is OverrideTier.EMERGENCY:
            return EMERGENCY_OVERRIDABLE
        # Only the holder's own IG lead can approve releasing the holder's information.
        return APPROVED_OVERRIDABLE if self.approved_by_org == holder else frozenset()


@dataclass(frozen=True, slots=True)
class OverrideInForce:
    """An override a practitioner has used for this person, holder, category and purpose: until
    it expires (or information governance finds it not justified) it lets them see again what it
    overcame, without asking anew. It overcomes only what it could when it was used."""

    review_id: str
    practitioner_id: str
    purpose: Purpose
    holder: str
    category: DataCategory
    override: Override
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Subject:
    """What a decision needs to know about the person asked about."""

    id: str
    national_opt_out: bool = False
    consents: ConsentHistory = field(default_factory=ConsentHistory)
    relationships: tuple[Relationship, ...] = ()
    # Overrides in force for this person (the deciding practitioner's, as read for a decision).
    overrides: tuple[OverrideInForce, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """A practitioner's request: for a purpose, from these holders, these categories."""

    purpose: Purpose
    holders: tuple[str, ...]
    categories: tuple[DataCategory, ...]
    sealed: frozenset[str] = frozenset()
    override: Override | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one holder and one data category."""

    holder: str
    recipient: str
    category: DataCategory
    purpose: Purpose
    outcome: Outcome
    reasons: tuple[Reason, ...]
    agreement: str | None = None
    legal_basis: Mapping[str, str] | None = None
    # None for the practitioner's own organisation's records: every field, no minimum data set.
    fields: tuple[str, ...] | None = ()
    obligations: tuple[Obligation, ...] = ()
    override_available: bool = False
    expires_at: datetime | None = None
    consent_model: ConsentModel | None = None
    overridden: tuple[Reason, ...] = ()
    override_basis: OverrideBasis | None = None
    # The override review of an override used earlier and still in force, when that permits.
    override_review: str | None = None

    @property
    def permitted(self) -> bool:
        return self.outcome is Outcome.PERMIT

    def as_dict(self) -> dict[str, Any]:
        """The scenario output shape of DESIGN.md."""
        return {
            "holder": self.holder,
            "category": self.category.value,
            "outcome": self.outcome.value,
            "reasons": [r.value for r in self.reasons],
            "agreement": self.agreement,
            "legal_basis": None if self.legal_basis is None else dict(self.legal_basis),
            "fields": None if self.fields is None else list(self.fields),
            "override_available": self.override_available,
            "obligations": [o.value for o in self.obligations],
            "expires_at": None if self.expires_at is None else format_instant(self.expires_at),
        }


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """Every decision for one request; permits if any single decision permits."""

    decisions: tuple[Decision, ...]

    @property
    def outcome(self) -> Outcome:
        return Outcome.PERMIT if any(d.permitted for d in self.decisions) else Outcome.DENY

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "decisions": [d.as_dict() for d in self.decisions],
        }


def format_instant(at: datetime) -> str:
    """`2026-03-01T14:00:00Z`."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class _Candidate:
    agreement: Agreement
    flow: Flow
    flow_index: int


class AgreementIndex:
    """Agreements pre-indexed by (holder, recipient), so one decision is a few dict lookups."""

    def __init__(self, agreements: Iterable[Agreement]) -> None:
        self.agreements: tuple[Agreement, ...] = tuple(
            sorted(agreements, key=lambda a: (a.id, -a.version))
        )
        pairs: dict[tuple[str, str], list[_Candidate]] = {}
        versions: dict[str, list[Agreement]] = {}
        seen: set[tuple[str, int]] = set()
        for agreement in self.agreements:
            if (agreement.id, agreement.version) in seen:
                raise ValidationError(
                    f"{agreement.ref} is given twice", field=f"agreements.{agreement.id}"
                )
            seen.add((agreement.id, agreement.version))
            versions.setdefault(agreement.id, []).append(agreement)
            for i, flow in enumerate(agreement.flows):
                for holder in flow.from_orgs:
                    for recipient in flow.to_orgs:
                        if holder != recipient:
                            pairs.setdefault((holder, recipient), []).append(
                                _Candidate(agreement, flow, i)
                            )
        # Candidates stay in (id, newest version first, flow order): the tie-break order.
        self._pairs = {k: tuple(v) for k, v in pairs.items()}
        self._versions = {k: tuple(v) for k, v in versions.items()}

    def candidates(self, holder: str, recipient: str) -> tuple[_Candidate, ...]:
        return self._pairs.get((holder, recipient), ())

    def effective(
        self, agreement_id: str, at: datetime, day: date | None = None
    ) -> Agreement | None:
        """The version of `agreement_id` in force at `at`: the newest one that is in force.

        An amendment is a new version; the old one stays in force until the new one is.
        """
        if day is None:
            day = london_date(at)
        for agreement in self._versions.get(agreement_id, ()):
            if agreement.in_force(at, day):
                return agreement
        return None

    def superseded(self, agreement: Agreement, at: datetime) -> bool:
        """True when a newer version of the same agreement is in force at `at`."""
        current = self.effective(agreement.id, at)
        return current is not None and current.version > agreement.version


class _Context:
    """What one request needs, worked out at most once however many holders and categories."""

    __slots__ = (
        "_consent",
        "_consent_done",
        "_effective",
        "_relationship",
        "at",
        "day",
        "index",
        "practitioner",
        "purpose",
        "subject",
    )

    def __init__(
        self,
        index: AgreementIndex,
        practitioner: Practitioner,
        subject: Subject,
        purpose: Purpose,
        at: datetime,
    ) -> None:
        self.index = index
        self.practitioner = practitioner
        self.subject = subject
        self.purpose = purpose
        self.at = at
        self.day: date = london_date(at)
        self._effective: dict[str, int | None] = {}
        self._relationship: bool | None = None
        self._consent: ConsentStatus | None = None
        self._consent_done = False

    def in_force(self, agreement: Agreement) -> bool:
        version = self._effective.get(agreement.id, -1)
        if version == -1:
            current = self.index.effective(agreement.id, self.at, self.day)
            version = None if current is None else current.version
            self._effective[agreement.id] = version
        return version == agreement.version

    def has_relationship(self) -> bool:
        if self._relationship is None:
            self._relationship = any(
                r.in_force(self.day) and r.links(self.practitioner)
                for r in self.subject.relationships
            )
        return self._relationship

    def consent(self) -> ConsentStatus | None:
        if not self._consent_done:
            record = self.subject.consents.latest(self.purpose, self.practitioner.org_code, self.at)
            self._consent = None if record is None else record.status_at(self.at)
            self._consent_done = True
        return self._consent


_CONSENT_DENIAL = {
    ConsentStatus.REFUSED: Reason.CONSENT_REFUSED,
    ConsentStatus.WITHDRAWN: Reason.CONSENT_WITHDRAWN,
    ConsentStatus.EXPIRED: Reason.CONSENT_EXPIRED,
}
_REFUSALS = (ConsentStatus.REFUSED, ConsentStatus.WITHDRAWN)


def _denials(ctx: _Context, agreement: Agreement, flow: Flow, sealed: bool) -> list[Reason]:
    """Rules 4-9 for a flow that is in force and covers the purpose and category.

    Every failing rule is listed, not only the first, so that an override can be refused when
    any reason it may not overcome is present.
    """
    reasons: list[Reason] = []
    practitioner = ctx.practitioner
    if practitioner.role not in flow.recipient_roles:
        reasons.append(Reason.ROLE_NOT_PERMITTED)
    training = agreement.training
    if training is not None:
        done = practitioner.training.get(training.module)
        if done is None or done > ctx.day:
            reasons.append(Reason.TRAINING_MISSING)
        elif ctx.day >= training.valid_until(done):
            reasons.append(Reason.TRAINING_EXPIRED)
    if flow.requires_relationship and not ctx.has_relationship():
        reasons.append(Reason.NO_LEGITIMATE_RELATIONSHIP)
    model = flow.consent
    if model is not ConsentModel.NOT_REQUIRED:
        status = ctx.consent()
        if model is ConsentModel.EXPLICIT:
            if status is None:
                reasons.append(Reason.CONSENT_REQUIRED)
            elif status is not ConsentStatus.GIVEN:
                reasons.append(_CONSENT_DENIAL[status])
        elif status in _REFUSALS:
            assert status is not None
            reasons.append(_CONSENT_DENIAL[status])
    if flow.national_opt_out_applies and ctx.subject.national_opt_out:
        reasons.append(Reason.NATIONAL_OPT_OUT)
    if sealed:
        reasons.append(Reason.SEALED)
    return reasons


def _deny(
    ctx: _Context, holder: str, category: DataCategory, reasons: tuple[Reason, ...]
) -> Decision:
    return Decision(holder, ctx.practitioner.org_code, category, ctx.purpose, Outcome.DENY, reasons)


def _decide(
    ctx: _Context,
    holder: str,
    category: DataCategory,
    sealed: bool,
    override: Override | None,
) -> Decision:
    practitioner = ctx.practitioner
    recipient = practitioner.org_code
    if holder == recipient:
        return Decision(
            holder,
            recipient,
            category,
            ctx.purpose,
            Outcome.PERMIT,
            (Reason.OWN_RECORD,),
            fields=None,
        )
    if not practitioner.active:
        return _deny(ctx, holder, category, (Reason.PRACTITIONER_INACTIVE,))
    candidates = ctx.index.candidates(holder, recipient)
    if not candidates:
        return _deny(ctx, holder, category, (Reason.NO_AGREEMENT,))

    purpose = ctx.purpose
    overridable = override.overridable(holder) if override is not None else frozenset()
    permit: tuple[int, _Candidate, bool] | None = None
    overridden: tuple[int, _Candidate, tuple[Reason, ...]] | None = None
    denial: tuple[tuple[bool, int, int], _Candidate, tuple[Reason, ...]] | None = None
    for candidate in candidates:
        agreement, flow = candidate.agreement, candidate.flow
        if not ctx.in_force(agreement):
            reasons: tuple[Reason, ...] = (Reason.AGREEMENT_NOT_IN_FORCE,)
        elif purpose not in flow.purposes:
            reasons = (Reason.PURPOSE_NOT_COVERED,)
        elif category not in flow.categories:
            reasons = (Reason.CATEGORY_NOT_COVERED,)
        else:
            reasons = tuple(_denials(ctx, agreement, flow, sealed))
            if not reasons:
                size = len(flow.categories[category])
                if permit is None or size > permit[0]:
                    refused = (
                        flow.consent is ConsentModel.NOT_REQUIRED and ctx.consent() in _REFUSALS
                    )
                    permit = (size, candidate, refused)
                continue
            if overridable and overridable.issuperset(reasons):
                size = len(flow.categories[category])
                if overridden is None or size > overridden[0]:
                    overridden = (size, candidate, reasons)
                continue
        # Rank denials: one an emergency override could overcome first (the closest to a
        # lawful share), then the furthest-reaching, then the fewest reasons (ADR 0003).
        key = (
            EMERGENCY_OVERRIDABLE.issuperset(reasons),
            _STAGE[reasons[0]],
            -len(reasons),
        )
        if denial is None or key > denial[0]:
            denial = (key, candidate, reasons)

    if permit is not None:
        _size, candidate, refused = permit
        flow = candidate.flow
        return Decision(
            holder,
            recipient,
            category,
            purpose,
            Outcome.PERMIT,
            (Reason.AGREEMENT, Reason.CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY)
            if refused
            else (Reason.AGREEMENT,),
            agreement=candidate.agreement.ref,
            legal_basis=flow.legal_basis.as_dict(),
            fields=flow.categories[category],
            obligations=(Obligation.RECORD_DECISION,) if refused else (),
            consent_model=flow.consent,
        )
    if overridden is not None:
        assert override is not None
        _size, candidate, reasons = overridden
        flow = candidate.flow
        basis = flow.legal_basis.as_dict()
        basis["override_basis"] = override.basis.value
        return Decision(
            holder,
            recipient,
            category,
            purpose,
            Outcome.PERMIT,
            (Reason.OVERRIDE,),
            agreement=candidate.agreement.ref,
            legal_basis=basis,
            fields=flow.categories[category],
            obligations=(Obligation.IG_REVIEW,),
            expires_at=ctx.at + OVERRIDE_DURATION,
            consent_model=flow.consent,
            overridden=reasons,
            override_basis=override.basis,
        )
    assert denial is not None
    key, candidate, reasons = denial
    return Decision(
        holder,
        recipient,
        category,
        purpose,
        Outcome.DENY,
        reasons,
        agreement=candidate.agreement.ref,
        override_available=key[0],
        consent_model=candidate.flow.consent,
    )


def decide(
    index: AgreementIndex,
    practitioner: Practitioner,
    subject: Subject,
    request: AccessRequest,
    at: datetime,
) -> AccessDecision:
    """Decide a request for every holder x category, in the order asked. Pure: no I/O.

    Without a new override in the request, an override the practitioner used earlier for the
    same person, purpose, holder and category, still in force, permits what it overcame then
    (and nothing it could not overcome), until it expires.
    """
    ctx = _Context(index, practitioner, subject, request.purpose, at)
    override = request.override
    in_force = (
        {}
        if override is not None
        else _overrides_in_force(subject, practitioner.id, request.purpose, at)
    )
    decisions: list[Decision] = []
    for holder in request.holders:
        sealed = holder in request.sealed
        for category in request.categories:
            decision = _decide(ctx, holder, category, sealed, override)
            used = in_force.get((holder, category)) if not decision.permitted else None
            if used is not None:
                again = _decide(ctx, holder, category, sealed, used.override)
                if again.permitted:
                    # Still the override used then: its own expiry, and its review to link to.
                    decision = replace(
                        again, expires_at=used.expires_at, override_review=used.review_id
                    )
            decisions.append(decision)
    return AccessDecision(tuple(decisions))


def _overrides_in_force(
    subject: Subject, practitioner_id: str, purpose: Purpose, at: datetime
) -> dict[tuple[str, DataCategory], OverrideInForce]:
    """The practitioner's overrides for this purpose in force at `at`, by holder and category
    (the latest-expiring where several cover the same)."""
    found: dict[tuple[str, DataCategory], OverrideInForce] = {}
    for o in subject.overrides:
        if o.practitioner_id != practitioner_id or o.purpose is not purpose or at >= o.expires_at:
            continue
        key = (o.holder, o.category)
        if key not in found or o.expires_at > found[key].expires_at:
            found[key] = o
    return found


def decide_one(
    index: AgreementIndex,
    practitioner: Practitioner,
    subject: Subject,
    purpose: Purpose,
    holder: str,
    category: DataCategory,
    at: datetime,
    *,
    sealed: bool = False,
    override: Override | None = None,
) -> Decision:
    """One holder and one category: the unit the benchmark times."""
    return _decide(
        _Context(index, practitioner, subject, purpose, at), holder, category, sealed, override
    )


# --- Plain English ------------------------------------------------------------------------------


def _name(code: str, names: Mapping[str, str]) -> str:
    return names.get(code, code)


def _basis_text(basis: Mapping[str, str]) -> str:
    for key in ("gateway", "condition", "article9", "article6"):
        code = basis.get(key)
        if code:
            return f"the {code}" if key == "gateway" else LEGAL_BASES[code].citation
    return "the agreement"


_WHY_NO_CONSENT = {
    ConsentModel.EXPLICIT: "only because the person has given explicit consent",
    ConsentModel.IMPLIED: "under implied consent for their care, as the person has not refused",
    ConsentModel.NOT_REQUIRED: "without needing consent because a statutory gateway applies",
}


def _role_words(role: str) -> str:
    """A role as it reads mid-sentence: "designated safeguarding lead", "GP", "MASH officer"."""
    try:
        label = Role(role).label
    except ValueError:
        return role.replace("_", " ")
    return label if label[:2].isupper() else label[0].lower() + label[1:]


def explain(
    decision: Decision, names: Mapping[str, str] | None = None, *, role: str | None = None
) -> str:
    """One or two plain-English sentences a practitioner or citizen can read."""
    names = names or {}
    holder = _name(decision.holder, names)
    recipient = _name(decision.recipient, names)
    who = f"{recipient}'s {_role_words(role)}" if role else recipient
    what = decision.category.label
    purpose = decision.purpose.label
    if Reason.OWN_RECORD in decision.reasons:
        return f"{holder} is your own organisation: you may see its {what} records."
    if decision.permitted:
        fields = ", ".join(f.replace("_", " ") for f in decision.fields or ())
        basis = _basis_text(decision.legal_basis or {})
        if Reason.OVERRIDE in decision.reasons:
            assert decision.override_basis is not None and decision.expires_at is not None
            overcome = "; ".join(r.explanation for r in decision.overridden)
            return (
                f"{holder} shares with {who} the {fields} of its {what} records for {purpose} "
                f"by an override on the grounds of {decision.override_basis.label}, although "
                f"{overcome}. It lasts until {london(decision.expires_at)} and "
                "information governance will review it."
            )
        consent = _WHY_NO_CONSENT.get(decision.consent_model or ConsentModel.EXPLICIT, "")
        text = (
            f"{holder} shares with {who} the {fields} of its {what} records for {purpose}, "
            f"under {basis} ({decision.agreement}), {consent}."
        )
        if Reason.CONSENT_REFUSAL_OVERRIDDEN_BY_GATEWAY in decision.reasons:
            text += (
                " The person refused consent; the refusal is recorded and shown, and the "
                "decision to share must be recorded."
            )
        return text
    reasons = "; ".join(r.explanation for r in decision.reasons)
    text = f"{holder} does not share its {what} records with {who} for {purpose}: {reasons}."
    if decision.override_available:
        text += (
            " In an emergency you may override this with a basis and a justification; the "
            "override lasts four hours and is reviewed."
        )
    return text
