"""The citizen portal's use cases: sign-in and identity verification, what is held about me, who
has looked (with proofs), my choices, my requests, and our commitments.

Facts about a person reach a citizen only through the disclosure gate's citizen methods; the audit
log's entries about the person are read here (they hold references and reason codes, never the
content shared) and filtered by the withholding policy before they are counted or paged.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sharewell.domain.agreement_text import describe_flow
from sharewell.domain.agreements import AgreementStatus, Flow
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.citizens import (
    ActingFor,
    ActingRelation,
    CitizenAccount,
    CitizenActor,
    CitizenRequest,
    IdentityVerification,
    LoggedAccess,
    OneTimeCode,
    RequestKind,
    VerificationLevel,
    VerificationMethod,
    WithholdingRule,
    check_request_details,
    code_digest,
    new_code,
    statutory_deadline,
)
from sharewell.domain.consent import ALL_PARTNERS, ConsentHistory, ConsentRecord, ConsentState
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.merkle import PROOF_FORMAT, inclusion_proof
from sharewell.domain.organisations import Organisation
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import LEGAL_BASES, ConsentModel, DataCategory, Purpose, Role
from sharewell.services import governance as gov
from sharewell.services.audit import AuditLogReader
from sharewell.services.disclosure import (
    NOT_FOUND_MESSAGE,
    DisclosureGate,
    FactView,
    Holding,
    IdentityRecord,
    PersonQuery,
)
from sharewell.services.governance import Actor
from sharewell.services.governance_ports import GovernanceStore
from sharewell.services.ports import AuditLog, PractitionerRepository

PAGE_SIZE = 20
IN_FORCE = frozenset({AgreementStatus.IN_FORCE, AgreementStatus.REVIEW_DUE})


class PortalStore(Protocol):
    """What the portal keeps: accounts, codes, verification, acting-for, requests, outbox."""

    def account_for_login(self, login: str, *, new_id: str, at: datetime) -> CitizenAccount: ...

    def account(self, account_id: str) -> CitizenAccount | None: ...

    def acting_for(self, account_id: str) -> list[ActingFor]: ...

    def bind(self, verification: IdentityVerification, acting: ActingFor) -> None: ...

    def verifications(self, account_id: str) -> list[IdentityVerification]: ...

    def add_code(self, code: OneTimeCode) -> None: ...

    def codes_since(self, login: str, since: datetime) -> int: ...

    def latest_code(self, login: str) -> OneTimeCode | None: ...

    def code(self, code_id: str) -> OneTimeCode | None: ...

    def count_attempt(self, code_id: str) -> None: ...

    def use_code(self, code_id: str, at: datetime) -> bool: ...

    def send(self, recipient: str, body: str, at: datetime) -> None: ...

    def outbox(self, limit: int = 20) -> list[tuple[str, str, datetime]]: ...

    def add_request(self, request: CitizenRequest) -> None: ...

    def requests_of(self, person_id: str) -> list[CitizenRequest]: ...

    def requests_to(self, org_code: str) -> list[CitizenRequest]: ...

    def request(self, request_id: str) -> CitizenRequest | None: ...

    def mark_answered(self, request_id: str) -> None: ...

    def accesses(
        self,
        person_id: str,
        rules: Sequence[WithholdingRule],
        *,
        at: datetime,
        offset: int,
        limit: int,
    ) -> tuple[list[LoggedAccess], int]: ...

    def access_entry(
        self, person_id: str, index: int, rules: Sequence[WithholdingRule], *, at: datetime
    ) -> LoggedAccess | None: ...


@dataclass(frozen=True, slots=True)
class PortalPolicy:
    """The partnership's portal settings."""

    code_minutes: int = 10
    code_attempts: int = 5
    codes_per_hour: int = 5
    withholding: tuple[WithholdingRule, ...] = ()
    copy_withheld: frozenset[DataCategory] = frozenset()
    demo_mode: bool = False
    storage_location: str = ""
    retention: str = ""
    security: tuple[str, ...] = ()
    contact: str = ""


@dataclass(frozen=True, slots=True)
class HolderView:
    """One organisation that holds information about me: what, under which agreements, whom to
    contact."""

    org_code: str
    name: str
    contact: str | None
    categories: tuple[tuple[str, int], ...]
    explanations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccessView:
    """One entry of "who has looked", in plain words, with its proof."""

    index: int
    at: str
    kind: str
    organisation: str
    role: str
    purpose: str
    outcome: str
    legal_basis: str
    reasons: tuple[str, ...]
    override: str | None
    proof: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class AccessPage:
    """A page of "who has looked"; `total` counts only what is shown."""

    entries: tuple[AccessView, ...]
    total: int
    page: int
    pages: int
    withholding: tuple[WithholdingRule, ...]


@dataclass(frozen=True, slots=True)
class PurposeChoice:
    """For one purpose: whether consent is asked, the current answer, or the law that applies."""

    purpose: Purpose
    consent_asked: bool
    state: str | None
    gateways: tuple[str, ...]
    opt_out_applies: bool


@dataclass(frozen=True, slots=True)
class Commitments:
    """What the partnership promises, from settings and agreements."""

    partnership: str
    storage_location: str
    retention: str
    security: tuple[str, ...]
    contact: str
    agreements: tuple[tuple[str, tuple[str, ...]], ...]
    contacts: tuple[tuple[str, str], ...]


@dataclass
class Portal:
    """The citizen portal's use cases, wired with their ports."""

    store: PortalStore
    gate: DisclosureGate
    governance: GovernanceStore
    audit: AuditLog
    reader: AuditLogReader
    practitioners: PractitionerRepository
    organisations: Callable[[], Sequence[Organisation]]
    policy: PortalPolicy
    clock: Callable[[], datetime] = utcnow

    # --- sign-in ------------------------------------------------------------------------------

    def _event(self, kind: AuditKind, actor: str, outcome: str, **extra: Any) -> None:
        self.audit.append(AuditEvent(kind, self.clock(), actor, None, outcome=outcome, **extra))

    def send_code(self, email: str) -> str:
        """Send a one-time code to the address (in demo mode, to the demo outbox); the code's
        reference, a random id that says nothing about the address (kept in the browser's
        session to sign in with, so the cookie holds no personal data)."""
        if not self.policy.demo_mode:
            # Production sign-in is OpenID Connect; emailed codes are a demo convenience only.
            raise PermissionDenied("Sign in with your account provider", field="email")
        address = email.strip().lower()
        if "@" not in address or len(address) > 200 or " " in address:
            raise ValidationError("Enter an email address, like name@example.com", field="email")
        login = f"email:{address}"
        at = self.clock()
        if self.store.codes_since(login, at - timedelta(hours=1)) >= self.policy.codes_per_hour:
            raise PermissionDenied(
                "Too many codes were sent to this address in the last hour; try again later",
                field="email",
            )
        code = new_code()
        salt = secrets.token_hex(16)
        reference = uuid.uuid4().hex
        self.store.add_code(
            OneTimeCode(
                reference,
                login,
                code_digest(code, salt=salt),
                salt,
                at,
                at + timedelta(minutes=self.policy.code_minutes),
            )
        )
        self.store.send(
            address,
            f"Your {self.policy.code_minutes}-minute sign-in code is {code}. "
            "Nobody from the partnership will ask you for it.",
            at,
        )
        return reference

    def sign_in_with_code(self, reference: str, code: str) -> CitizenAccount:
        """The account for the address the code `reference` (from `send_code`) was sent to, if
        the code is right, unused, in time and within the attempt limit; a failed attempt counts
        against the code. A newer code sent to the address stops this one working."""
        at = self.clock()
        found = self.store.code(reference)
        wrong = ValidationError("The code is wrong or has expired: ask for a new one", field="code")
        if found is None or not found.usable(at, self.policy.code_attempts):
            self._event(AuditKind.SIGN_IN_FAILED, "citizen", "code_unusable")
            raise wrong
        if not found.matches(code):
            self.store.count_attempt(found.id)
            self._event(AuditKind.SIGN_IN_FAILED, "citizen", "code_wrong")
            raise wrong
        if not self.store.use_code(found.id, at):
            raise wrong
        account = self.store.account_for_login(found.login, new_id=uuid.uuid4().hex, at=at)
        self._event(AuditKind.CITIZEN_SIGN_IN, f"citizen:{account.id}", "signed_in:code")
        return account

    def sign_in_with_oidc(self, issuer: str, subject: str) -> CitizenAccount:
        """The account for a verified ID token's issuer and subject (made on first sign-in)."""
        at = self.clock()
        account = self.store.account_for_login(
            f"oidc:{issuer}|{subject}", new_id=uuid.uuid4().hex, at=at
        )
        self._event(AuditKind.CITIZEN_SIGN_IN, f"citizen:{account.id}", "signed_in:oidc")
        return account

    def account(self, account_id: str) -> CitizenAccount | None:
        return self.store.account(account_id)

    def citizen(self, account_id: str) -> CitizenActor:
        """Who the account may act for now (only themself until proxies are added)."""
        return CitizenActor.of(account_id, self.store.acting_for(account_id), self.clock())

    def verify_identity(
        self,
        account: CitizenAccount,
        *,
        name: str,
        date_of_birth: date | None,
        postcode: str = "",
        nhs_number: str = "",
        method: VerificationMethod = VerificationMethod.DEMO_DIRECTORY_MATCH,
        level: VerificationLevel = VerificationLevel.LOW,
    ) -> IdentityVerification:
        """Bind the account to the one person whose records match the details given."""
        if account.person_id is not None:
            raise ValidationError("Your account is already linked to your record", field="name")
        if len(name.split()) < 2:
            raise ValidationError("Enter your first name and last name", field="name")
        if date_of_birth is None:
            raise ValidationError("Enter your date of birth", field="date_of_birth")
        if not postcode.strip() and not nhs_number.strip():
            raise ValidationError("Enter your postcode or your NHS number", field="postcode")
        matched = self.gate.match_citizen(
            account_id=account.id,
            query=PersonQuery(
                name=name, date_of_birth=date_of_birth, nhs_number=nhs_number, postcode=postcode
            ),
            at=self.clock(),
        )
        if matched is None:
            raise NotFound(
                "We could not find one record that matches all these details. Check them, or "
                "contact us to prove who you are another way",
                field="name",
            )
        person_id, evidence = matched
        at = self.clock()
        verification = IdentityVerification(
            uuid.uuid4().hex, account.id, person_id, method, level, evidence, at
        )
        self.store.bind(
            verification,
            ActingFor(account.id, person_id, ActingRelation.SELF, at, None, verification.id),
        )
        return verification

    # --- what is held about me ----------------------------------------------------------------

    def _org_names(self) -> dict[str, str]:
        return {o.code: o.name for o in self.organisations()}

    def _in_force_flows(self) -> list[tuple[str, Flow]]:
        at = self.clock()
        return [
            (s.stored.agreement.ref, flow)
            for s in gov.list_agreements(self.governance, at=at)
            if s.status in IN_FORCE
            for flow in s.stored.agreement.flows
        ]

    def holdings(self, citizen: CitizenActor, person_id: str) -> list[HolderView]:
        """Who holds what about me, counts per category, the agreements that let them share it
        in plain language, and whom to contact."""
        holdings = self.gate.citizen_holdings(citizen=citizen, person_id=person_id, at=self.clock())
        orgs = {o.code: o for o in self.organisations()}
        names = {code: o.name for code, o in orgs.items()}
        by_org: dict[str, list[Holding]] = {}
        for h in holdings:
            by_org.setdefault(h.org_code, []).append(h)
        flows = self._in_force_flows()
        views = []
        for code, items in sorted(by_org.items()):
            explanations = tuple(
                f"Under {ref}: {describe_flow(flow, names)}"
                for ref, flow in flows
                if code in flow.from_orgs
            )
            org = orgs.get(code)
            views.append(
                HolderView(
                    code,
                    names.get(code, code),
                    org.contact_email if org else None,
                    tuple((h.category.label, h.count) for h in items),
                    explanations,
                )
            )
        return views

    # --- who has looked -----------------------------------------------------------------------

    def _check(self, citizen: CitizenActor, person_id: str) -> None:
        if not citizen.may_act_for(person_id):
            raise NotFound(NOT_FOUND_MESSAGE, field="person")

    def accesses(self, citizen: CitizenActor, person_id: str, page: int = 1) -> AccessPage:
        """Every access to the person's record that is shown now, newest first, a page at a
        time, each with an inclusion proof against the newest signed tree head."""
        self._check(citizen, person_id)
        at = self.clock()
        rules = self.policy.withholding
        page = max(page, 1)
        entries, total = self.store.accesses(
            person_id, rules, at=at, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        pages = max(1, -(-total // PAGE_SIZE))
        proofs = self._proofs([e.index for e in entries])
        names = self._org_names()
        return AccessPage(
            tuple(self._view(e, proofs.get(e.index), names) for e in entries),
            total,
            page,
            pages,
            rules,
        )

    def proof(self, citizen: CitizenActor, person_id: str, index: int) -> dict[str, Any]:
        """The inclusion proof of one entry shown to the citizen (NotFound for any other)."""
        self._check(citizen, person_id)
        entry = self.store.access_entry(person_id, index, self.policy.withholding, at=self.clock())
        proof = self._proofs([index]).get(index) if entry is not None else None
        if proof is None:
            raise NotFound(
                "There is no proof for that entry yet: it may not be signed yet", field="entry"
            )
        return proof

    def _proofs(self, indexes: list[int]) -> dict[int, dict[str, Any]]:
        head = self.reader.latest_head()
        if head is None or not indexes:
            return {}
        covered = [i for i in indexes if i < head.tree_size]
        if not covered:
            return {}
        leaves = self.reader.tree(head.tree_size)
        proofs = {}
        for index in covered:
            found = self.reader.entry(index)
            if found is None:
                continue
            body, leaf = found
            proofs[index] = {
                "format": PROOF_FORMAT,
                "index": index,
                "leaf_hash": leaf.hex(),
                "entry": body,
                "audit_path": [node.hex() for node in inclusion_proof(index, leaves)],
                "tree_head": head.to_json(),
            }
        return proofs

    def _view(
        self, entry: LoggedAccess, proof: dict[str, Any] | None, names: Mapping[str, str]
    ) -> AccessView:
        fields = entry.fields
        refs = fields.get("refs") if isinstance(fields.get("refs"), dict) else {}
        assert isinstance(refs, dict)
        actor_id = str(fields.get("actor_id") or "")
        org = str(fields.get("actor_org") or "")
        practitioner = self.practitioners.get(actor_id) if actor_id else None
        purpose_code = str(fields.get("purpose") or "")
        try:
            purpose = Purpose(purpose_code).label
        except ValueError:
            purpose = purpose_code or "not stated"
        at = str(fields.get("at") or "")
        return AccessView(
            index=entry.index,
            at=at,
            kind=str(fields.get("kind") or ""),
            organisation=names.get(org, org or "unknown"),
            role=practitioner.role.label if practitioner else "not recorded",
            purpose=purpose,
            outcome=str(fields.get("outcome") or ""),
            legal_basis=self._basis(refs, org, purpose_code),
            reasons=tuple(str(r) for r in fields.get("reasons") or ()),  # type: ignore[attr-defined]
            override=self._override(refs),
            proof=proof,
        )

    def _basis(self, refs: Mapping[str, Any], org: str, purpose: str) -> str:
        """The law each holder relied on: from the agreement flow that let `org` see a category
        ("HOLDER/category" refs: a decision's "permit:...@agreement", a disclosure's count)."""
        bases: list[str] = []
        flows = self._in_force_flows()
        for key, value in refs.items():
            if "/" not in key or key.startswith("withheld:") or not isinstance(value, str):
                continue
            holder, category = key.split("/", 1)
            if value.startswith("permit:OWN_RECORD"):
                text = "Their own organisation's record"
                if text not in bases:
                    bases.append(text)
                continue
            if not (value.startswith("permit") or value.isdigit()):
                continue
            relied = value.split("@", 1)[1] if "@" in value else None
            for flow_ref, flow in flows:
                if (
                    (relied is None or flow_ref == relied)
                    and holder in flow.from_orgs
                    and org in flow.to_orgs
                    and purpose in {p.value for p in flow.purposes}
                    and category in {c.value for c in flow.categories}
                ):
                    law = flow.legal_basis
                    parts = [LEGAL_BASES[law.article6].citation]
                    parts += [
                        LEGAL_BASES[c].citation if c in LEGAL_BASES else c
                        for c in (law.article9, law.gateway)
                        if c
                    ]
                    text = "; ".join(parts)
                    if text not in bases:
                        bases.append(text)
        return " | ".join(bases) if bases else "None: nothing was shared under an agreement"

    def _override(self, refs: Mapping[str, Any]) -> str | None:
        review_id = refs.get("override_review")
        if not isinstance(review_id, str):
            return None
        with self.governance.transaction() as tx:
            review = tx.overrides.get(review_id)
        if review is None:
            return "Emergency override"
        if review.outcome is None:
            return "Emergency override, waiting for review by information governance"
        return f"Emergency override, reviewed: {review.outcome.value.replace('_', ' ')}"

    # --- my choices ---------------------------------------------------------------------------

    def choices(self, citizen: CitizenActor, person_id: str) -> tuple[list[PurposeChoice], bool]:
        """Per purpose: whether consent is asked (and my answer) or which law applies without
        it; and whether I have a national data opt-out."""
        self._check(citizen, person_id)
        at = self.clock()
        with self.governance.transaction() as tx:
            history = ConsentHistory(list(tx.consents.history(person_id)))
            opted_out = tx.opt_outs.current(person_id)
        flows = [flow for _ref, flow in self._in_force_flows()]
        result = []
        for purpose in Purpose:
            relevant = [f for f in flows if purpose in f.purposes]
            if not relevant:
                continue
            asked = any(f.consent is not ConsentModel.NOT_REQUIRED for f in relevant)
            latest = history.latest(purpose, ALL_PARTNERS, at)
            gateways = tuple(
                sorted(
                    {
                        f.legal_basis.gateway or LEGAL_BASES[f.legal_basis.article6].citation
                        for f in relevant
                        if f.consent is ConsentModel.NOT_REQUIRED
                    }
                )
            )
            result.append(
                PurposeChoice(
                    purpose,
                    asked,
                    latest.status_at(at).value if latest else None,
                    gateways,
                    any(f.national_opt_out_applies for f in relevant),
                )
            )
        return result, opted_out

    def set_consent(
        self, citizen: CitizenActor, person_id: str, purpose: Purpose, *, give: bool
    ) -> ConsentRecord:
        """Give or withdraw consent for a purpose, to every partner; the next decision anywhere
        reads it. Audited by the governance service."""
        self._check(citizen, person_id)
        choices, _ = self.choices(citizen, person_id)
        if not any(c.purpose is purpose and c.consent_asked for c in choices):
            raise ValidationError(
                f"Consent is not what {purpose.label} relies on: the law allows it without",
                field="purpose",
            )
        return gov.record_consent(
            self.governance,
            self.audit,
            ConsentRecord(
                person_id,
                purpose,
                ALL_PARTNERS,
                ConsentState.GIVEN if give else ConsentState.WITHDRAWN,
                self.clock(),
                obtained_how="citizen portal",
                recorded_by=citizen.audit_id,
            ),
            actor=Actor(citizen.audit_id),
        )

    def set_opt_out(self, citizen: CitizenActor, person_id: str, *, opted_out: bool) -> None:
        """Set or clear the national data opt-out; audited by the governance service."""
        self._check(citizen, person_id)
        gov.set_national_opt_out(
            self.governance,
            self.audit,
            person_id,
            opted_out,
            actor=Actor(citizen.audit_id),
            at=self.clock(),
        )

    # --- my requests --------------------------------------------------------------------------

    def submit_request(
        self,
        citizen: CitizenActor,
        person_id: str,
        *,
        org_code: str,
        kind: RequestKind,
        details: str,
    ) -> CitizenRequest:
        """Send a copy, correction or concern request to an organisation that holds my data."""
        self._check(citizen, person_id)
        holders = {
            h.org_code
            for h in self.gate.citizen_holdings(
                citizen=citizen, person_id=person_id, at=self.clock()
            )
        }
        if org_code not in holders:
            raise ValidationError(
                "Choose one of the organisations that hold information about you",
                field="org_code",
            )
        at = self.clock()
        request = CitizenRequest(
            uuid.uuid4().hex,
            citizen.account_id,
            person_id,
            org_code,
            kind,
            check_request_details(kind, details),
            at,
            statutory_deadline(at),
        )
        self.audit.append(
            AuditEvent(
                AuditKind.CITIZEN_REQUEST,
                at,
                citizen.audit_id,
                None,
                subject_id=person_id,
                outcome=kind.value,
                refs={"request": request.id, "org": org_code},
            )
        )
        self.store.add_request(request)
        return request

    def requests(self, citizen: CitizenActor, person_id: str) -> list[CitizenRequest]:
        self._check(citizen, person_id)
        return self.store.requests_of(person_id)

    def queue(self, *, actor: Actor) -> list[CitizenRequest]:
        """The citizens' requests to the IG lead's organisation, oldest first."""
        if actor.role is not Role.IG_LEAD or actor.org is None:
            raise PermissionDenied("Only an information governance lead sees these", field="actor")
        return self.store.requests_to(actor.org)

    def answer(self, request_id: str, *, actor: Actor) -> None:
        """The IG lead marks a request answered."""
        found = self.store.request(request_id)
        if found is None or actor.role is not Role.IG_LEAD or found.org_code != actor.org:
            raise NotFound("There is no such request in your queue", field="request")
        self.audit.append(
            AuditEvent(
                AuditKind.CITIZEN_REQUEST,
                self.clock(),
                actor.id,
                actor.org,
                subject_id=found.person_id,
                outcome="answered",
                refs={"request": request_id},
            )
        )
        self.store.mark_answered(request_id)

    def copy(
        self, citizen: CitizenActor, person_id: str
    ) -> tuple[tuple[IdentityRecord, ...], tuple[FactView, ...], tuple[Holding, ...]]:
        """A copy of my information through the gate (some categories by request only)."""
        return self.gate.citizen_copy(
            citizen=citizen,
            person_id=person_id,
            withheld=self.policy.copy_withheld,
            at=self.clock(),
        )

    # --- our commitments ----------------------------------------------------------------------

    def commitments(self, partnership: str) -> Commitments:
        """The partnership's promises, from settings and the agreements in force."""
        names = self._org_names()
        agreements: dict[str, list[str]] = {}
        for ref, flow in self._in_force_flows():
            agreements.setdefault(ref, []).append(describe_flow(flow, names))
        return Commitments(
            partnership,
            self.policy.storage_location,
            self.policy.retention,
            self.policy.security,
            self.policy.contact,
            tuple((ref, tuple(texts)) for ref, texts in sorted(agreements.items())),
            tuple(
                (o.name, o.contact_email)
                for o in sorted(self.organisations(), key=lambda o: o.name)
                if o.contact_email
            ),
        )
