"""A review pair in the demo partnership: a police record and a school record, queued with a
waterfall as the linkage engine writes it."""

from __future__ import annotations

from sqlalchemy import select

from sharewell.adapters.db.tables import SourceRecordRow
from sharewell.bootstrap import Container
from sharewell.services.identity_ports import ScoredPair

WATERFALL = (
    {"comparison": "prior", "level": "two random records match", "match_weight": -12.5},
    {"comparison": "given_name", "level": "Same name via nickname or alias", "match_weight": 6.2},
    {"comparison": "family_name", "level": "Exact match on family_name", "match_weight": 9.8},
    {"comparison": "dob", "level": "Day and month swapped", "match_weight": 3.1},
    {"comparison": "sex", "level": "All other comparisons", "match_weight": -2.4},
    {"comparison": "location", "level": "Same district", "match_weight": 0.7},
)


def queue_pair(container: Container, left_org: str = "POL", right_org: str = "SCH1") -> int:
    """Queue one pair (a `left_org` record and a `right_org` record); its review pair id."""
    with container.engine.connect() as conn:
        left, right = (
            conn.execute(
                select(SourceRecordRow.id)
                .where(SourceRecordRow.org_code == org)
                .order_by(SourceRecordRow.id)
                .limit(1)
            ).scalar_one()
            for org in (left_org, right_org)
        )
    queue = container.identity_review
    queue.add_pending([ScoredPair(left, right, 0.83, 2.3, WATERFALL)])
    pending = queue.pending(100)
    return int(next(p["id"] for p in pending if {p["record_l"], p["record_r"]} == {left, right}))
