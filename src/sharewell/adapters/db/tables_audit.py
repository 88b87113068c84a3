"""Tables of the tamper-evident audit log. Append-only: triggers refuse UPDATE and DELETE."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sharewell.adapters.db.tables import Base

# The person an entry is about, as the expression index on it is written (migration
# 0009_audit_subject_index): queries must write it exactly so for the database to use the index.
SUBJECT_OF_ENTRY = {
    "postgresql": '(substring(audit_entries.body from \'"subject_id":"([^"]*)"}$\'))',
    "sqlite": "(CASE WHEN json_valid(audit_entries.body) "
    "THEN json_extract(audit_entries.body, '$.subject_id') END)",
}


class AuditEntryRow(Base):
    """One log entry: `body` is the canonical JSON the leaf hash covers; `at`/`kind` for queries."""

    __tablename__ = "audit_entries"
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class TreeHeadRow(Base):
    """A signed tree head, with the compact range that lets the sequencer resume from it."""

    __tablename__ = "tree_heads"
    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    timestamp_ms: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    key_id: Mapped[str] = mapped_column(String(16))
    compact_range: Mapped[bytes] = mapped_column(LargeBinary)
