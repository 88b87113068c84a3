"""Risk scales, the partnership's calibration onto a common scale, evidence, joint risk profiles.

Each agency keeps its own scale ("high" on the police DASH scale is not "high" for a hospital).
The partners agree, in a versioned and signed calibration, which common level (1 to 4) each of
their levels means, how evidence is weighted and for how long it counts, and how the agencies'
levels combine. A calibration, like an agreement, is in force only when every party has signed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import DataCategory

COMMON_LEVELS: dict[int, str] = {1: "low", 2: "medium", 3: "high", 4: "very high"}
DISAGREEMENT_GAP = 2
"""Agencies whose common levels differ by this much or more are flagged as disagreeing."""


class EvidenceKind(StrEnum):
    """Factual (a recorded incident) or anecdotal (a concern raised by a neighbour, a witness)."""

    FACTUAL = "factual"
    ANECDOTAL = "anecdotal"


class CombineRule(StrEnum):
    """How the agencies' common levels combine into one."""

    HIGHEST = "highest"
    """The highest current level of any agency: no agency's concern is averaged away."""
    WEIGHTED_MEAN = "weighted_mean"
    """The mean of the current levels, rounded up; used only if the partners choose it."""


@dataclass(frozen=True, slots=True)
class RiskScale:
    """One agency's own scale: its levels from lowest to highest, and any indicator threshold.

    `indicator_threshold`/`threshold_level`: for a checklist such as DASH, that many indicators
    ticked means at least `threshold_level` (14 of the 27 DASH questions mean "high").
    """

    id: str
    owner: str
    name: str
    levels: tuple[str, ...]
    indicator_threshold: int | None = None
    threshold_level: str | None = None

    def level_for_indicators(self, ticked: int) -> str | None:
        """The level the checklist alone gives, or None where professional judgement decides."""
        if self.indicator_threshold is None or self.threshold_level is None:
            return None
        return self.threshold_level if ticked >= self.indicator_threshold else None

    def rank(self, level: str) -> int:
        return self.levels.index(level)


@dataclass(frozen=True, slots=True)
class EvidenceRule:
    """Agreed weight and recency for one kind of evidence.

    Full weight for `full_weight_days`, then half weight until `counts_for_days`, then none.
    """

    kind: EvidenceKind
    weight: float
    full_weight_days: int
    counts_for_days: int

    def weight_at(self, occurred_at: datetime, at: datetime) -> float:
        age = (at - occurred_at).days
        if age < 0 or age >= self.counts_for_days:
            return 0.0
        if age < self.full_weight_days:
            return self.weight
        return self.weight / 2


@dataclass(frozen=True, slots=True)
class Signature:
    """A party's signature on a calibration version."""

    org: str
    name: str
    role: str
    signed_at: datetime


@dataclass(frozen=True, slots=True)
class Calibration:
    """The partnership's agreed mapping of every agency's levels onto the common scale."""

    id: str
    version: int
    title: str
    parties: tuple[str, ...]
    scales: Mapping[str, RiskScale]
    mapping: Mapping[str, Mapping[str, int]]
    evidence: Mapping[EvidenceKind, EvidenceRule]
    combine: CombineRule = CombineRule.HIGHEST
    assessment_valid_days: int = 365
    signatures: tuple[Signature, ...] = ()

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def unsigned_parties(self) -> tuple[str, ...]:
        signed = {s.org for s in self.signatures}
        return tuple(p for p in self.parties if p not in signed)

    def in_force(self, at: datetime) -> bool:
        """Signed by every party by `at`."""
        return all(
            any(s.org == p and s.signed_at <= at for s in self.signatures) for p in self.parties
        )

    def common_level(self, scale_id: str, level: str) -> int:
        try:
            return self.mapping[scale_id][level]
        except KeyError:
            raise ValidationError(
                f"Level {level!r} is not on scale {scale_id!r} in calibration {self.ref}",
                field=f"scales.{scale_id}.levels",
            ) from None

    def with_signature(self, signature: Signature) -> Calibration:
        if signature.org not in self.parties:
            raise ValidationError(
                f"{signature.org} is not a party to calibration {self.ref}", field="org"
            )
        if any(s.org == signature.org for s in self.signatures):
            raise ValidationError(
                f"{signature.org} has already signed calibration {self.ref}", field="org"
            )
        return Calibration(
            id=self.id,
            version=self.version,
            title=self.title,
            parties=self.parties,
            scales=self.scales,
            mapping=self.mapping,
            evidence=self.evidence,
            combine=self.combine,
            assessment_valid_days=self.assessment_valid_days,
            signatures=(*self.signatures, signature),
        )


def calibration_in_force(versions: Sequence[Calibration], at: datetime) -> Calibration | None:
    """The highest version signed by every party; an unsigned amendment leaves the old in force."""
    signed = [c for c in versions if c.in_force(at)]
    return max(signed, key=lambda c: c.version) if signed else None


# ---- reading a calibration document (YAML/JSON as a dict) ----------------------------------


def _need(doc: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(doc, Mapping) or key not in doc or doc[key] in (None, ""):
        raise ValidationError(f"{where}{key} is missing", field=f"{where}{key}")
    return doc[key]


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{where} must be a whole number, not {value!r}", field=where)
    return value


def parse_calibration(doc: Mapping[str, Any]) -> Calibration:
    """A calibration from its document; any mistake is a ValidationError naming the field.

    The document has `id`, `version`, `title`, `parties`, `scales` (each with `owner`, `name`,
    `levels` lowest first, optional `indicator_threshold`/`threshold_level`), `mapping` (per
    scale, a list of `{level, common}`), `evidence` (factual/anecdotal with `weight`,
    `full_weight_days`, `counts_for_days`), optional `combine` and `assessment_valid_days`.
    """
    if not isinstance(doc, Mapping):
        raise ValidationError("A calibration must be a mapping of fields", field="calibration")
    cid = str(_need(doc, "id", ""))
    version = _int(_need(doc, "version", ""), "version")
    if version < 1:
        raise ValidationError("version must be 1 or more", field="version")
    parties = _need(doc, "parties", "")
    if not isinstance(parties, list) or not all(isinstance(p, str) for p in parties):
        raise ValidationError("parties must be a list of organisation codes", field="parties")
    if len(set(parties)) != len(parties):
        raise ValidationError("A party is listed twice", field="parties")

    scales: dict[str, RiskScale] = {}
    raw_scales = _need(doc, "scales", "")
    if not isinstance(raw_scales, Mapping):
        raise ValidationError("scales must map scale ids to scales", field="scales")
    for sid, raw in raw_scales.items():
        where = f"scales.{sid}."
        levels = _need(raw, "levels", where)
        if not isinstance(levels, list) or len(levels) < 2:
            raise ValidationError(
                f"{where}levels must list at least two levels", field=f"{where}levels"
            )
        names = [str(level) for level in levels]
        if len(set(names)) != len(names):
            raise ValidationError(f"{where}levels lists a level twice", field=f"{where}levels")
        threshold = raw.get("indicator_threshold")
        threshold_level = raw.get("threshold_level")
        if threshold is not None:
            _int(threshold, f"{where}indicator_threshold")
            if threshold_level not in names:
                raise ValidationError(
                    f"{where}threshold_level must be one of the scale's levels",
                    field=f"{where}threshold_level",
                )
        scales[str(sid)] = RiskScale(
            id=str(sid),
            owner=str(_need(raw, "owner", where)),
            name=str(_need(raw, "name", where)),
            levels=tuple(names),
            indicator_threshold=threshold,
            threshold_level=threshold_level,
        )

    mapping: dict[str, dict[str, int]] = {}
    raw_mapping = _need(doc, "mapping", "")
    if not isinstance(raw_mapping, Mapping):
        raise ValidationError("mapping must map scale ids to level lists", field="mapping")
    for sid, entries in raw_mapping.items():
        where = f"mapping.{sid}"
        if sid not in scales:
            raise ValidationError(
                f"{where}: there is no scale {sid!r} (known: {', '.join(sorted(scales))})",
                field=where,
            )
        if not isinstance(entries, list):
            raise ValidationError(f"{where} must be a list of {{level, common}}", field=where)
        mapped: dict[str, int] = {}
        for n, entry in enumerate(entries):
            level = str(_need(entry, "level", f"{where}[{n}]."))
            common = _int(_need(entry, "common", f"{where}[{n}]."), f"{where}[{n}].common")
            if level not in scales[sid].levels:
                raise ValidationError(
                    f"{where}: {level!r} is not a level of {scales[sid].name}",
                    field=f"{where}[{n}].level",
                )
            if level in mapped:
                raise ValidationError(
                    f"{where}: level {level!r} is mapped twice", field=f"{where}.{level}"
                )
            if common not in COMMON_LEVELS:
                raise ValidationError(
                    f"{where}[{n}].common must be 1 to 4, not {common}",
                    field=f"{where}[{n}].common",
                )
            mapped[level] = common
        missing = [level for level in scales[sid].levels if level not in mapped]
        if missing:
            raise ValidationError(
                f"{where}: level {missing[0]!r} of {scales[sid].name} is not mapped",
                field=f"{where}.{missing[0]}",
            )
        ordered = [mapped[level] for level in scales[sid].levels]
        if ordered != sorted(ordered):
            raise ValidationError(
                f"{where}: a higher level of {scales[sid].name} maps below a lower one",
                field=where,
            )
        mapping[str(sid)] = mapped
    unmapped = [sid for sid in scales if sid not in mapping]
    if unmapped:
        raise ValidationError(
            f"Scale {unmapped[0]!r} has no mapping to the common scale",
            field=f"mapping.{unmapped[0]}",
        )

    evidence: dict[EvidenceKind, EvidenceRule] = {}
    raw_evidence = _need(doc, "evidence", "")
    for kind in EvidenceKind:
        where = f"evidence.{kind.value}."
        raw = _need(raw_evidence, kind.value, "evidence.")
        weight = raw.get("weight") if isinstance(raw, Mapping) else None
        if not isinstance(weight, int | float) or isinstance(weight, bool) or not weight >= 0:
            raise ValidationError(f"{where}weight must be 0 or more", field=f"{where}weight")
        full = _int(_need(raw, "full_weight_days", where), f"{where}full_weight_days")
        counts = _int(_need(raw, "counts_for_days", where), f"{where}counts_for_days")
        if not 0 < full <= counts:
            raise ValidationError(
                f"{where}full_weight_days must be between 1 and counts_for_days",
                field=f"{where}full_weight_days",
            )
        evidence[kind] = EvidenceRule(kind, float(weight), full, counts)
    unknown = set(raw_evidence) - {k.value for k in EvidenceKind}
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationError(
            f"evidence.{name}: evidence is factual or anecdotal", field=f"evidence.{name}"
        )

    combine_text = str(doc.get("combine", CombineRule.HIGHEST.value))
    try:
        combine = CombineRule(combine_text)
    except ValueError:
        raise ValidationError(
            f"combine must be 'highest' or 'weighted_mean', not {combine_text!r}",
            field="combine",
        ) from None
    valid_days = _int(doc.get("assessment_valid_days", 365), "assessment_valid_days")
    return Calibration(
        id=cid,
        version=version,
        title=str(doc.get("title", cid)),
        parties=tuple(parties),
        scales=scales,
        mapping=mapping,
        evidence=evidence,
        combine=combine,
        assessment_valid_days=valid_days,
    )


# ---- assessments, evidence and the joint profile -------------------------------------------


@dataclass(frozen=True, slots=True)
class Assessment:
    """An agency's assessment of a person on its own scale.

    `category` is the kind of data it is in the agreements' vocabulary (police: criminal_offence
    or police_intelligence; children's social care: social_care; a hospital: health...). The
    disclosure gate decides on it like any other fact; storage refuses an assessment without one.
    """

    id: str
    org_code: str
    org_name: str
    scale_id: str
    level: str
    person_id: str
    assessed_at: datetime
    household_id: str | None = None
    indicators: int | None = None
    category: DataCategory | None = None


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """Something behind an assessment: a recorded incident or a concern raised.

    `category` as for `Assessment`: what the access decision governs it by.
    """

    id: str
    org_code: str
    kind: EvidenceKind
    summary: str
    occurred_at: datetime
    person_id: str | None = None
    household_id: str | None = None
    category: DataCategory | None = None


@dataclass(frozen=True, slots=True)
class VisibleRisk:
    """What the disclosure gate lets a viewer see, and how many items it withheld.

    `withheld` is None when the rules do not allow even saying that something is withheld.
    """

    assessments: tuple[Assessment, ...]
    evidence: tuple[EvidenceItem, ...]
    withheld: int | None = None


@dataclass(frozen=True, slots=True)
class AgencyView:
    """One agency's level side by side with the others."""

    org_code: str
    org_name: str
    scale: str
    level: str
    common: int
    assessed_at: datetime
    current: bool
    person_id: str

    @property
    def common_label(self) -> str:
        return COMMON_LEVELS[self.common]


@dataclass(frozen=True, slots=True)
class WeightedEvidence:
    """An evidence item with the weight the calibration gives it today."""

    item: EvidenceItem
    weight: float


@dataclass(frozen=True, slots=True)
class JointRiskProfile:
    """Every agency's level, mapped to common, combined by the agreed rule, with evidence."""

    subject: str
    calibration: str
    combine: CombineRule
    agencies: tuple[AgencyView, ...]
    combined: int | None
    evidence: tuple[WeightedEvidence, ...]
    evidence_score: float
    disagreement: bool
    disagreement_text: str | None
    withheld: int | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def combined_label(self) -> str | None:
        return None if self.combined is None else COMMON_LEVELS[self.combined]


def joint_profile(
    subject: str, visible: VisibleRisk, calibration: Calibration, *, at: datetime
) -> JointRiskProfile:
    """The joint risk profile from what the viewer may see, by `calibration`, as at `at`.

    Per agency and person only the latest assessment counts; assessments older than the
    calibration's `assessment_valid_days` are shown as out of date and do not contribute.
    """
    latest: dict[tuple[str, str, str], Assessment] = {}
    for a in visible.assessments:
        key = (a.org_code, a.scale_id, a.person_id)
        if a.assessed_at <= at and (key not in latest or a.assessed_at > latest[key].assessed_at):
            latest[key] = a
    valid_from = at - timedelta(days=calibration.assessment_valid_days)
    notes: list[str] = []
    views: list[AgencyView] = []
    for a in sorted(latest.values(), key=lambda a: (a.org_name, a.scale_id, a.person_id)):
        scale = calibration.scales.get(a.scale_id)
        if scale is None or a.level not in calibration.mapping.get(a.scale_id, {}):
            # Not on the signed calibration (a scale or level the partners have not agreed):
            # shown as a note, never guessed onto the common scale.
            notes.append(
                f"{a.org_name}: level {a.level!r} on {a.scale_id!r} is not on calibration "
                f"{calibration.ref}, so it is not mapped to the common scale."
            )
            continue
        level = a.level
        if a.indicators is not None:
            # A checklist threshold (DASH: 14 indicators mean "high") raises the level; it never
            # lowers a professional's judgement.
            floor = scale.level_for_indicators(a.indicators)
            if floor is not None and scale.rank(floor) > scale.rank(level):
                notes.append(
                    f"{a.org_name}: {a.indicators} {scale.name} indicators mean at least "
                    f"{floor}, above the recorded {level}."
                )
                level = floor
        views.append(
            AgencyView(
                org_code=a.org_code,
                org_name=a.org_name,
                scale=scale.name,
                level=level,
                common=calibration.common_level(a.scale_id, level),
                assessed_at=a.assessed_at,
                current=a.assessed_at >= valid_from,
                person_id=a.person_id,
            )
        )
    agencies = tuple(sorted(views, key=lambda v: (-v.common, v.org_name, v.person_id)))
    current = [v for v in agencies if v.current]
    combined: int | None = None
    if current:
        if calibration.combine is CombineRule.HIGHEST:
            combined = max(v.common for v in current)
        else:
            combined = math.ceil(sum(v.common for v in current) / len(current))
    # Disagreement is about the same person: in a household profile, a police "high" for one
    # adult and a school "low" for a child are different people, not a disagreement.
    disagreement = False
    text = None
    widest = 0
    for person in sorted({v.person_id for v in current}):
        theirs = [v for v in current if v.person_id == person]
        top = max(theirs, key=lambda v: (v.common, v.org_name))
        bottom = min(theirs, key=lambda v: (v.common, v.org_name))
        gap = top.common - bottom.common
        if gap >= DISAGREEMENT_GAP and gap > widest:
            widest = gap
            disagreement = True
            text = f"{top.org_name}: {top.level}. {bottom.org_name}: {bottom.level}."
    weighted = tuple(
        sorted(
            (
                WeightedEvidence(e, calibration.evidence[e.kind].weight_at(e.occurred_at, at))
                for e in visible.evidence
            ),
            key=lambda w: (-w.weight, w.item.occurred_at),
        )
    )
    stale = [v for v in agencies if not v.current]
    if stale:
        notes.append(
            f"{len(stale)} assessment(s) older than {calibration.assessment_valid_days} days "
            "are shown but do not count."
        )
    if visible.withheld:
        notes.append(f"{visible.withheld} item(s) exist that you may not see.")
    return JointRiskProfile(
        subject=subject,
        calibration=calibration.ref,
        combine=calibration.combine,
        agencies=agencies,
        combined=combined,
        evidence=weighted,
        evidence_score=round(sum(w.weight for w in weighted), 6),
        disagreement=disagreement,
        disagreement_text=text,
        withheld=visible.withheld,
        notes=tuple(notes),
    )
