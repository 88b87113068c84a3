"""Audit search for IG leads: entries about a person, by a practitioner, of a kind, in a period.

A search about a person reads only that person's entries (the reader uses an index on the
subject); other searches scan the stored entries in order (the log is append-only and entries
hold only ids and codes). The results are capped."""

from __future__ import annotations

import json
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sharewell.domain.times import parse_instant
from sharewell.services.audit import AuditLogReader


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What to look for; every criterion given must match."""

    subject_id: str | None = None
    actor_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditHit:
    """One matching entry: its index (for an inclusion proof) and its content."""

    index: int
    entry: dict[str, Any]
    at: datetime


def search_audit(
    reader: AuditLogReader, query: AuditQuery, *, limit: int = 200
) -> tuple[list[AuditHit], bool]:
    """Matching entries, newest first, at most `limit`; and whether more matched."""
    hits: list[AuditHit] = []
    source = reader.entries_about(query.subject_id) if query.subject_id else reader.entries()
    with closing(source) as entries:
        for index, body, _leaf in entries:
            entry = json.loads(body)
            if query.subject_id and entry.get("subject_id") != query.subject_id:
                continue
            if query.actor_id and entry.get("actor_id") != query.actor_id:
                continue
            if query.kind and entry.get("kind") != query.kind:
                continue
            at = parse_instant(entry["at"], field="at")
            if query.since and at < query.since:
                continue
            if query.until and at >= query.until:
                continue
            hits.append(AuditHit(index, entry, at))
    hits.reverse()
    return hits[:limit], len(hits) > limit
