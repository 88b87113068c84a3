"""The real container end to end: governance changes land in the real Merkle audit log."""

from datetime import UTC, datetime

from sharewell.adapters.crypto.signing import load_signer
from sharewell.adapters.db.migrate import upgrade
from sharewell.bootstrap import build
from sharewell.config import Settings
from sharewell.domain.consent import ConsentRecord, ConsentState
from sharewell.domain.vocabulary import Purpose
from sharewell.services import governance
from sharewell.services.audit import verify_audit_log
from sharewell.verify import tree_head_is_signed


def test_a_consent_change_is_stored_and_audited_in_the_verifiable_log(
    settings: Settings,
) -> None:
    settings = settings.model_copy(update={"audit_head_interval_seconds": 0.05})
    container = build(settings)
    try:
        upgrade(container.engine)
        at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
        record = ConsentRecord("person-1", Purpose.EARLY_HELP, "all", ConsentState.GIVEN, at)
        governance.record_consent(
            container.governance, container.audit, record, actor=governance.Actor("p1", "EHN")
        )
        assert governance.consent_history(container.governance, "person-1") == [record]
    finally:
        container.close()
    reopened = build(settings)
    try:
        key = load_signer(settings).public_key
        report = verify_audit_log(reopened.audit_reader, lambda h: tree_head_is_signed(h, key))
        assert report.intact, report.summary()
        assert report.entries == 1
    finally:
        reopened.close()
