"""Identity across agencies: name normalisation, record fingerprints, stable person IDs."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from sharewell.domain.people import SourceRecord

K = TypeVar("K", bound=Hashable)

_SPACES = re.compile(r"\s+")


def normalise_name(raw: str) -> str:
    """A name as people write it, tidied: NFC, single spaces, and SHOUTED or lower case fixed.

    Accents are kept (José stays José) because they are part of the name; matching uses
    `match_key` instead, which folds them. Mixed case is left alone so McDonald stays McDonald.
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    text = re.sub(r"\s*-\s*", "-", text)
    if text and (text.isupper() or text.islower()):
        text = "-".join(
            " ".join(w[:1].upper() + w[1:].lower() for w in part.split(" "))
            for part in text.split("-")
        )
        text = re.sub(r"\b(Mc|O')([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)
    return text


def match_key(raw: str | None) -> str | None:
    """The form a name or word is compared in: lower case, accents folded, letters and hyphens."""
    if raw is None:
        return None
    folded = unicodedata.normalize("NFKD", raw)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    folded = re.sub(r"[^a-z\- ]", "", folded)
    folded = _SPACES.sub(" ", re.sub(r"\s*-\s*", "-", folded)).strip()
    return folded or None


def content_hash(record: SourceRecord) -> str:
    """A fingerprint of everything an agency told us about a person, to spot unchanged rows."""
    data = record_fields(record)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_fields(record: SourceRecord) -> dict[str, str | None]:
    """A record as plain strings (for history, hashing and side-by-side review)."""
    return {
        "org_code": record.org_code,
        "local_id": record.local_id,
        "given_name": record.given_name,
        "middle_names": record.middle_names,
        "family_name": record.family_name,
        "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else None,
        "sex": record.sex.value,
        "nhs_number": record.nhs_number,
        "address": record.address,
        "postcode": record.postcode,
    }


class PersonEventKind(StrEnum):
    """What happened to a person ID."""

    CREATED = "created"
    MERGED = "merged"  # this ID was folded into another; it now resolves to that one
    SPLIT = "split"  # some of this ID's records now belong to new people
    RECORD_LINKED = "record_linked"
    REVIEW_DECIDED = "review_decided"


@dataclass(frozen=True, slots=True)
class PersonEvent:
    """A change to the people register, kept so old person IDs keep resolving."""

    kind: PersonEventKind
    person_id: str
    other_ids: tuple[str, ...] = ()
    detail: str = ""


@dataclass(slots=True)
class Assignment(Generic[K]):
    """New clusters given person IDs, and the merges and splits that came with them."""

    ids: dict[K, str] = field(default_factory=dict)  # record key -> person ID
    created: list[str] = field(default_factory=list)
    events: list[PersonEvent] = field(default_factory=list)
    merged_into: dict[str, str] = field(default_factory=dict)  # absorbed ID -> surviving ID


def assign_stable_ids(
    previous: Mapping[K, str],
    clusters: Iterable[Sequence[K]],
    new_id: Callable[[], str],
) -> Assignment[K]:
    """Give each new cluster the old person ID it overlaps most, so IDs survive re-runs.

    Greedy maximum overlap: the largest (cluster, old ID) overlaps are matched first, each old ID
    to at most one cluster, ties broken by the smaller old ID so the result is deterministic.
    Clusters left without an old ID get a new one. An old ID whose records all went to a cluster
    that kept another ID is recorded as merged into it; an old ID whose records now lie in
    several clusters keeps the largest part and records a split naming the others.
    """
    cluster_list = [list(c) for c in clusters]
    overlaps: list[tuple[int, str, int]] = []
    for index, members in enumerate(cluster_list):
        counts = Counter(previous[m] for m in members if m in previous)
        overlaps.extend((-n, old, index) for old, n in counts.items())
    overlaps.sort()
    cluster_id: dict[int, str] = {}
    taken: set[str] = set()
    for _neg, old, index in overlaps:
        if index in cluster_id or old in taken:
            continue
        cluster_id[index] = old
        taken.add(old)
    result: Assignment[K] = Assignment()
    for index in range(len(cluster_list)):
        if index not in cluster_id:
            person = new_id()
            cluster_id[index] = person
            result.created.append(person)
            result.events.append(PersonEvent(PersonEventKind.CREATED, person))
    for index, members in enumerate(cluster_list):
        for member in members:
            result.ids[member] = cluster_id[index]
    # Where did each old ID's records go?
    destinations: dict[str, Counter[str]] = {}
    for key, old in previous.items():
        if key in result.ids:
            destinations.setdefault(old, Counter())[result.ids[key]] += 1
    for old in sorted(destinations):
        places = set(destinations[old])
        if old in taken:
            others = sorted(places - {old})
            if others:
                result.events.append(
                    PersonEvent(PersonEventKind.SPLIT, old, tuple(others), "re-clustered")
                )
            continue
        # Not kept: all its records sit in clusters that carry other IDs.
        counts = destinations[old]
        survivor = min(counts, key=lambda pid: (-counts[pid], pid))
        result.merged_into[old] = survivor
        result.events.append(PersonEvent(PersonEventKind.MERGED, old, (survivor,), "re-clustered"))
    return result


def resolve(person_id: str, merged_into: Mapping[str, str]) -> str:
    """Follow merges from an old person ID to the one in use now (cycles are refused)."""
    seen = {person_id}
    current = person_id
    while current in merged_into:
        current = merged_into[current]
        if current in seen:
            raise ValueError(f"Merge history loops at {current}")
        seen.add(current)
    return current
