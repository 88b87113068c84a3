"""The one place that wires settings -> engine -> repositories -> services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from sharewell.adapters.calendar_files import load_calendar
from sharewell.adapters.crypto.passwords import Argon2Passwords
from sharewell.adapters.crypto.signing import load_signer
from sharewell.adapters.db.alerts import SqlAlerts
from sharewell.adapters.db.area_reads import SqlAreaReads
from sharewell.adapters.db.audit_log import SqlAuditLog, SqlAuditReader
from sharewell.adapters.db.changes import PRACTITIONERS_CHANNEL, ChangeListener
from sharewell.adapters.db.engine import check_reachable, make_engine, one_read_connection
from sharewell.adapters.db.fact_reads import SqlFactReader
from sharewell.adapters.db.governance import SqlGovernance
from sharewell.adapters.db.identity import SqlPeople, SqlReviewQueue, SqlSourceRecords
from sharewell.adapters.db.leadership import Leadership
from sharewell.adapters.db.mash import SqlMash
from sharewell.adapters.db.people_reads import SqlPersonDirectory
from sharewell.adapters.db.portal import SqlPortal
from sharewell.adapters.db.repositories import SqlOrganisations, SqlPractitioners
from sharewell.adapters.db.risk_repositories import SqlCalibrationStore, SqlRiskRecords
from sharewell.adapters.db.sharing import SqlApiTokens, SqlSharing
from sharewell.adapters.db.sign_in_attempts import SqlSignInThrottle
from sharewell.adapters.db.sign_in_failures import SqlSignInFailures
from sharewell.adapters.geo.engine import H3GiStarEngine
from sharewell.adapters.linkage.features import canonical_forename, phonetic
from sharewell.config import Settings
from sharewell.domain.access import AccessDecision, AccessRequest
from sharewell.domain.accounts import LockoutPolicy
from sharewell.domain.alerts import SchoolCalendar
from sharewell.domain.audit import AuditEvent
from sharewell.domain.citizens import parse_rule
from sharewell.domain.identity import match_key
from sharewell.domain.mash import RagTimes
from sharewell.domain.sharing import ResponseTimes
from sharewell.domain.vocabulary import DataCategory
from sharewell.services import governance as governance_service
from sharewell.services import sharing as sharing_service
from sharewell.services.accounts import Accounts
from sharewell.services.alerts import Dispatcher
from sharewell.services.disclosure import DisclosureGate
from sharewell.services.governance import Actor
from sharewell.services.hotspots import Hotspots
from sharewell.services.joint_risk import JointRisk, RiskCalibrations
from sharewell.services.portal import Portal, PortalPolicy

if TYPE_CHECKING:
    from sharewell.adapters.linkage.engine import SplinkLinkage


@dataclass
class Container:
    """Everything a request, a command or a test needs, built from settings."""

    settings: Settings
    engine: Engine
    organisations: SqlOrganisations
    practitioners: SqlPractitioners
    accounts: Accounts
    sign_in_throttle: SqlSignInThrottle
    hotspots: Hotspots
    risk_calibrations: RiskCalibrations
    risk_records: SqlRiskRecords
    joint_risk: JointRisk
    governance: SqlGovernance
    audit: SqlAuditLog
    audit_reader: SqlAuditReader
    disclosure: DisclosureGate
    sharing: SqlSharing
    response_times: ResponseTimes
    api_tokens: SqlApiTokens
    portal: Portal
    alerts: SqlAlerts
    school_calendar: SchoolCalendar
    mash: SqlMash
    rag_times: RagTimes

    def alert_dispatcher(self) -> Dispatcher:
        """The alert dispatcher (this process appends its disclosures to the audit log)."""
        return make_dispatcher(self)

    def alert_dispatch_leadership(self) -> Leadership:
        """Which process dispatches alerts, when several run a dispatcher (server workers)."""
        return Leadership(self.engine, "alert-dispatcher")

    identity_review: SqlReviewQueue  # pairs the linkage model was unsure about

    def close(self) -> None:
        # The sequencer first: it commits what is queued and signs a last tree head.
        self.audit.close()
        self.practitioners.close()
        self.engine.dispose()


def build(settings: Settings, *, check: bool = True) -> Container:
    """Wire the application for `settings`; StorageUnavailable if the database is not there."""
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    if check:
        check_reachable(engine)
    # On PostgreSQL the session check's practitioner, and which people each practitioner has
    # sharing grants about, are kept until the database says they changed (one listener).
    changes = (
        ChangeListener(engine, PRACTITIONERS_CHANNEL)
        if engine.dialect.name == "postgresql"
        else None
    )
    practitioners = SqlPractitioners(engine, changes=changes)
    organisations = SqlOrganisations(engine)
    governance = SqlGovernance(engine)
    sharing_store = SqlSharing(engine, changes=changes)
    # Started on first append (or audit.start()), so commands that never write to the log
    # neither need the signing key nor take the sequencer lock.
    audit = SqlAuditLog(
        engine,
        lambda: load_signer(settings),
        head_interval=settings.audit_head_interval_seconds,
    )

    def decide(
        *, actor: Actor, person_id: str, request: AccessRequest, at: datetime
    ) -> tuple[AccessDecision, AuditEvent]:
        # The gate appends the decision's entry with its own disclosure entry, in one commit.
        return governance_service.decide_unrecorded(
            governance, practitioners, actor=actor, person_id=person_id, request=request, at=at
        )

    risk_calibrations = RiskCalibrations(store=SqlCalibrationStore(engine), audit=audit)
    disclosure = DisclosureGate(
        directory=SqlPersonDirectory(
            engine,
            forename_group=lambda word: canonical_forename(match_key(word)),
            surname_key=lambda word: phonetic(match_key(word)),
        ),
        facts=SqlFactReader(engine),
        decide=decide,
        audit=audit,
        org_names=organisations.names,
        grants=lambda practitioner_id, person_id, at: sharing_service.active_grants(
            sharing_store, practitioner_id=practitioner_id, person_id=person_id, at=at
        ),
        reading=lambda: one_read_connection(engine),
    )
    audit_reader = SqlAuditReader(engine)

    return Container(
        settings=settings,
        engine=engine,
        organisations=organisations,
        practitioners=practitioners,
        accounts=Accounts(
            practitioners=practitioners,
            passwords=Argon2Passwords(),
            lockout=LockoutPolicy(settings.lockout_attempts, settings.lockout_minutes),
            failures=SqlSignInFailures(
                engine,
                secret=settings.secret_key.get_secret_value(),
                window=timedelta(minutes=settings.lockout_minutes),
            ),
            audit=audit,
        ),
        sign_in_throttle=SqlSignInThrottle(
            engine,
            attempts=settings.sign_in_attempts_per_ip,
            window=timedelta(minutes=settings.sign_in_window_minutes),
            secret=settings.secret_key.get_secret_value(),
        ),
        hotspots=Hotspots(reads=SqlAreaReads(engine), engine=H3GiStarEngine()),
        risk_calibrations=risk_calibrations,
        risk_records=SqlRiskRecords(engine),
        # Profiles read agencies' assessments only through the disclosure gate.
        joint_risk=JointRisk(
            calibrations=risk_calibrations,
            visible=disclosure,
            calibration_id=settings.risk_calibration_id,
        ),
        governance=governance,
        audit=audit,
        audit_reader=audit_reader,
        disclosure=disclosure,
        sharing=sharing_store,
        response_times=ResponseTimes(
            settings.share_immediate_hours,
            settings.share_urgent_hours,
            settings.share_routine_working_days,
        ),
        api_tokens=SqlApiTokens(engine),
        portal=Portal(
            store=SqlPortal(engine),
            gate=disclosure,
            governance=governance,
            audit=audit,
            reader=audit_reader,
            practitioners=practitioners,
            organisations=organisations.list,
            policy=portal_policy(settings),
        ),
        alerts=SqlAlerts(engine),
        school_calendar=load_calendar(
            settings.alerts_terms_file, settings.alerts_bank_holidays_file
        ),
        mash=SqlMash(engine),
        rag_times=RagTimes(
            settings.mash_red_hours, settings.mash_amber_hours, settings.mash_green_hours
        ),
        identity_review=SqlReviewQueue(engine),
    )


def portal_policy(settings: Settings) -> PortalPolicy:
    """The citizen portal's settings as the service takes them."""
    return PortalPolicy(
        code_minutes=settings.portal_code_minutes,
        code_attempts=settings.portal_code_attempts,
        codes_per_hour=settings.portal_codes_per_hour,
        withholding=tuple(parse_rule(rule) for rule in settings.portal_withholding),
        copy_withheld=frozenset(DataCategory(c) for c in settings.portal_copy_withheld),
        demo_mode=settings.demo_mode,
        storage_location=settings.portal_storage_location,
        retention=settings.portal_retention,
        security=(
            "Every request to see someone's information is decided against the signed "
            "agreements, consent and the practitioner's role, and is refused by default.",
            "Every decision, disclosure and change is written to a tamper-evident log, signed "
            "with the partnership's key, that anyone can check.",
            "Only named, trained practitioners with a working relationship with you can see "
            "information shared about you.",
        ),
        contact=settings.portal_contact,
    )


def make_dispatcher(container: Container) -> Dispatcher:
    """The alert dispatcher with its channels: inbox (always), signed webhooks, email if an
    SMTP server is configured."""
    from datetime import timedelta

    from sharewell.adapters.delivery.email import SmtpTransport
    from sharewell.adapters.delivery.webhooks import WebhookTransport
    from sharewell.domain.alerts import Channel
    from sharewell.services.alerts import Transport

    settings = container.settings
    transports: dict[Channel, Transport] = {
        Channel.WEBHOOK: WebhookTransport(
            container.alerts.webhook, timeout_seconds=settings.alerts_webhook_timeout_seconds
        )
    }
    if settings.smtp_host:
        transports[Channel.EMAIL] = SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            base_url=settings.public_base_url,
            starttls=settings.smtp_starttls,
        )
    return Dispatcher(
        store=container.alerts,
        gate=container.disclosure,
        practitioners=container.practitioners,
        transports=transports,
        audit=container.audit,
        max_attempts=settings.alerts_max_attempts,
        backoff_base=timedelta(seconds=settings.alerts_backoff_seconds),
        workers=settings.alerts_workers,
    )


@dataclass
class Identity:
    """The identity services' adapters: records, people, review queue and the linkage engine."""

    records: SqlSourceRecords
    people: SqlPeople
    review: SqlReviewQueue
    linkage: SplinkLinkage


def build_identity(settings: Settings, engine: Engine, *, backend: str = "duckdb") -> Identity:
    """Wire identity (Splink is imported only here, when a command needs it)."""
    from sharewell.adapters.linkage.engine import SplinkLinkage

    records = SqlSourceRecords(engine)
    return Identity(
        records=records,
        people=SqlPeople(engine),
        review=SqlReviewQueue(engine),
        linkage=SplinkLinkage(records, settings.model_dir, backend=backend),
    )
