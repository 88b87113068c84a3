"""Ingest agencies' person records from files, with a column mapping; bad rows are quarantined."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sharewell.domain import nhs_numbers
from sharewell.domain.errors import NotFound, ValidationError
from sharewell.domain.facts import Fact, Location, Sensitivity
from sharewell.domain.identity import normalise_name, record_fields
from sharewell.domain.people import PartialDate, Sex, SourceRecord, format_postcode
from sharewell.domain.times import LONDON
from sharewell.domain.vocabulary import DataCategory
from sharewell.services.identity_ports import (
    BadRow,
    FactStore,
    IngestedRecord,
    RowSource,
    SourceRecordStore,
)

FIELDS = (
    "local_id",
    "given_name",
    "middle_names",
    "family_name",
    "date_of_birth",
    "sex",
    "nhs_number",
    "address",
    "postcode",
    "shared_id",
)
ON_INVALID_FIELDS = ("date_of_birth", "postcode")
BATCH = 2_000


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How one agency's file maps onto Sharewell's fields (read from the mapping YAML)."""

    columns: Mapping[str, tuple[str, ...]]  # Sharewell field -> source columns, joined in order
    date_formats: tuple[str, ...] = ("%Y-%m-%d", "%Y-%m", "%Y")
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    required: tuple[str, ...] = ("local_id", "family_name")
    encoding: str = "utf-8"
    postcode_style: str = "uk"
    on_invalid: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> ColumnMapping:
        """Check a mapping document; a mistake names the key at fault."""
        if not isinstance(data, dict):
            raise ValidationError("A mapping must be a YAML mapping of keys", field="mapping")
        kind = data.get("kind", "people")
        if kind != "people":
            raise ValidationError(f"Mapping kind {kind!r} is not supported", field="kind")
        raw_columns = data.get("columns")
        if not isinstance(raw_columns, dict) or not raw_columns:
            raise ValidationError(
                "The mapping needs 'columns': source column -> Sharewell field", field="columns"
            )
        columns: dict[str, list[str]] = {}
        for source, target in raw_columns.items():
            if target not in FIELDS:
                raise ValidationError(
                    f"Column {source!r} maps to {target!r}, which is not one of "
                    f"{', '.join(FIELDS)}",
                    field="columns",
                )
            columns.setdefault(str(target), []).append(str(source))
        if "local_id" not in columns:
            raise ValidationError("A column must map to local_id", field="columns")
        formats = tuple(_as_list(data.get("date_formats", ["%Y-%m-%d", "%Y-%m", "%Y"])))
        codes = data.get("codes", {}) or {}
        if not isinstance(codes, dict):
            raise ValidationError("'codes' must map a field to {code: value}", field="codes")
        required = tuple(_as_list(data.get("required", ["local_id", "family_name"])))
        for name in required:
            if name not in columns:
                raise ValidationError(f"Required field {name!r} has no column", field="required")
        style = str(data.get("postcode_style", "uk"))
        if style not in ("uk", "any"):
            raise ValidationError("postcode_style must be 'uk' or 'any'", field="postcode_style")
        on_invalid = data.get("on_invalid", {}) or {}
        for key, value in on_invalid.items():
            if key not in ON_INVALID_FIELDS or value not in ("quarantine", "blank"):
                raise ValidationError(
                    "on_invalid maps date_of_birth or postcode to quarantine or blank",
                    field="on_invalid",
                )
        return cls(
            columns={k: tuple(v) for k, v in columns.items()},
            date_formats=formats,
            codes={str(k): {str(a): str(b) for a, b in v.items()} for k, v in codes.items()},
            required=required,
            encoding=str(data.get("encoding", "utf-8")),
            postcode_style=style,
            on_invalid=dict(on_invalid),
        )

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        """Source columns of required fields that the file does not have."""
        present = set(header)
        return [
            source
            for name in self.required
            for source in self.columns[name]
            if source not in present
        ]

    def value(self, row: Mapping[str, Any], name: str) -> str | None:
        """The source value(s) for a Sharewell field, joined and trimmed; None when blank."""
        parts = []
        for source in self.columns.get(name, ()):
            raw = row.get(source)
            if raw is None:
                continue
            text = str(raw).strip()
            if text:
                parts.append(text)
        if not parts:
            return None
        text = ", ".join(parts) if name == "address" else " ".join(parts)
        mapped = self.codes.get(name, {})
        return mapped.get(text, text) if mapped else text

    def parse_date(self, text: str) -> PartialDate:
        """The first of the mapping's date formats that reads `text`."""
        for fmt in self.date_formats:
            try:
                parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - a date, no time zone
            except ValueError:
                continue
            has_day = "%d" in fmt or "%j" in fmt
            has_month = has_day or any(d in fmt for d in ("%m", "%b", "%B"))
            return PartialDate(
                parsed.year,
                parsed.month if has_month else None,
                parsed.day if has_day else None,
            )
        raise ValidationError(
            f"{text!r} is not a date in any of the formats {', '.join(self.date_formats)}",
            field="date_of_birth",
        )

    def to_record(self, org_code: str, row: Mapping[str, Any]) -> IngestedRecord:
        """One row as a record, or a ValidationError naming the field at fault."""
        notes: list[str] = []
        if "__shape__" in row:
            raise ValidationError(f"The row has {row['__shape__']}", field="row")
        if "__unreadable__" in row or "__value__" in row:
            raise ValidationError("The row is not a JSON object of fields", field="row")
        local_id = self.value(row, "local_id")
        if local_id is None:
            raise ValidationError("The record has no local identifier", field="local_id")
        for name in self.required:
            if self.value(row, name) is None:
                raise ValidationError(f"Required field {name} is blank", field=name)
        dob: PartialDate | None = None
        dob_text = self.value(row, "date_of_birth")
        if dob_text is not None:
            try:
                dob = self.parse_date(dob_text)
            except ValidationError:
                if self.on_invalid.get("date_of_birth", "quarantine") == "quarantine":
                    raise
                notes.append(f"date of birth {dob_text!r} unreadable, left blank")
        sex_text = self.value(row, "sex")
        try:
            sex = Sex(sex_text.lower()) if sex_text else Sex.UNKNOWN
        except ValueError:
            raise ValidationError(
                f"Sex {sex_text!r} is not female, male or unknown (add a code mapping)",
                field="sex",
            ) from None
        postcode = self.value(row, "postcode")
        if postcode is not None:
            if self.postcode_style == "uk":
                try:
                    postcode = format_postcode(postcode)
                except ValidationError:
                    if self.on_invalid.get("postcode", "quarantine") == "quarantine":
                        raise
                    notes.append(f"postcode {postcode!r} unreadable, left blank")
                    postcode = None
            else:
                postcode = postcode.upper()
        nhs = self.value(row, "nhs_number")
        if nhs is not None:
            nhs = nhs_numbers.normalise(nhs)
            if not nhs_numbers.is_valid(nhs):
                notes.append("NHS number invalid: kept, flagged, not used for matching")
        record = SourceRecord(
            org_code=org_code,
            local_id=local_id,
            given_name=normalise_name(self.value(row, "given_name") or ""),
            family_name=normalise_name(self.value(row, "family_name") or ""),
            middle_names=_name_or_none(self.value(row, "middle_names")),
            date_of_birth=dob,
            sex=sex,
            nhs_number=nhs,
            address=_spaces(self.value(row, "address")),
            postcode=postcode,
        )
        shared_id = self.value(row, "shared_id")
        return IngestedRecord(record, record_hash(record, shared_id), shared_id, tuple(notes))


def _name_or_none(text: str | None) -> str | None:
    return normalise_name(text) if text else None


def _spaces(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


def record_hash(record: SourceRecord, shared_id: str | None) -> str:
    """The content hash of a record (what an unchanged row is recognised by)."""
    data: dict[str, Any] = dict(record_fields(record))
    data["shared_id"] = shared_id
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class IngestReport:
    """What an ingest did: counts, and each bad row with its number and reason."""

    source_name: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    invalid_nhs_numbers: int = 0
    problems: list[BadRow] = field(default_factory=list)
    changed_record_ids: list[int] = field(default_factory=list)


def ingest_people(
    store: SourceRecordStore,
    source: RowSource,
    mapping: ColumnMapping,
    *,
    org_code: str,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Load an agency's file of people: good rows land, bad rows are quarantined and reported.

    Checks the organisation, the encoding and the required columns before storing anything.
    Unchanged rows (same content hash) are left alone, so ingesting a file twice changes nothing.
    """
    if not store.organisation_exists(org_code):
        raise NotFound(f"Organisation {org_code} is not known to Sharewell", field="org")
    header = source.columns()
    missing = mapping.missing_columns(header)
    if missing:
        raise ValidationError(
            f"{source.name} has no column {', '.join(repr(m) for m in missing)} "
            "that the mapping requires",
            field="columns",
            line=1,
        )
    known = store.current_hashes(org_code)
    report = IngestReport(source_name=source.name)
    pending: list[IngestedRecord] = []
    bad: list[BadRow] = []
    seen_in_file: set[str] = set()

    def flush() -> None:
        if pending:
            report.changed_record_ids.extend(store.save(pending, source_name=source.name))
            pending.clear()
        if bad:
            store.quarantine(org_code, source.name, bad)
            bad.clear()

    for raw in source.rows():
        report.rows += 1
        try:
            ingested = mapping.to_record(org_code, raw.values)
            if ingested.record.local_id in seen_in_file:
                raise ValidationError(
                    f"local identifier {ingested.record.local_id!r} appears twice in the file",
                    field="local_id",
                )
        except ValidationError as exc:
            problem = BadRow(raw.row_number, exc.message, exc.field, dict(raw.values))
            bad.append(problem)
            report.problems.append(problem)
            report.quarantined += 1
        else:
            local_id = ingested.record.local_id
            seen_in_file.add(local_id)
            if ingested.record.nhs_number and not ingested.record.nhs_number_valid:
                report.invalid_nhs_numbers += 1
            previous = known.get(local_id)
            if previous == ingested.content_hash:
                report.unchanged += 1
            else:
                if previous is None:
                    report.added += 1
                else:
                    report.updated += 1
                known[local_id] = ingested.content_hash
                pending.append(ingested)
        if len(pending) >= BATCH or len(bad) >= BATCH:
            flush()
        if progress is not None and report.rows % 1000 == 0:
            progress(source.position(), source.size())
    flush()
    if progress is not None:
        progress(source.size(), source.size())
    return report


DATETIME_FORMATS = ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")
FACT_FIELDS = (
    "fact_id",
    "local_id",
    "category",
    "code",
    "occurred_at",
    "summary",
    "sensitivity",
    "latitude",
    "longitude",
)


def fact_key(org_code: str, fact_id: str) -> str:
    """The stored id of an agency's fact: stable, and short whatever the agency's id."""
    return "F" + hashlib.sha256(f"{org_code}\x1f{fact_id}".encode()).hexdigest()[:32]


def fact_hash(fact: Fact) -> str:
    """The content hash of a fact (what an unchanged row is recognised by)."""
    data = {
        "category": fact.category.value,
        "code": fact.code,
        "occurred_at": fact.occurred_at.astimezone(UTC).isoformat(),
        "summary": fact.summary,
        "detail": dict(sorted(fact.detail.items())),
        "sensitivity": fact.sensitivity.value,
        "location": [fact.location.latitude, fact.location.longitude] if fact.location else None,
    }
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class FactMapping:
    """How one agency's file of facts maps onto Sharewell's fact fields (`kind: facts`)."""

    columns: Mapping[str, str]  # Sharewell field -> source column
    detail: tuple[str, ...] = ()  # source columns kept as the fact's detail
    datetime_formats: tuple[str, ...] = DATETIME_FORMATS
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    encoding: str = "utf-8"

    @classmethod
    def from_dict(cls, data: Any) -> FactMapping:
        """Check a facts mapping document; a mistake names the key at fault."""
        raw = data.get("columns") if isinstance(data, dict) else None
        if not isinstance(raw, dict) or not raw:
            raise ValidationError("The mapping needs 'columns'", field="columns")
        columns: dict[str, str] = {}
        for source, target in raw.items():
            if target not in FACT_FIELDS:
                raise ValidationError(
                    f"Column {source!r} maps to {target!r}, which is not one of "
                    f"{', '.join(FACT_FIELDS)}",
                    field="columns",
                )
            columns[str(target)] = str(source)
        for needed in ("fact_id", "local_id", "category", "occurred_at"):
            if needed not in columns:
                raise ValidationError(f"A column must map to {needed}", field="columns")
        formats = data.get("datetime_formats")
        return cls(
            columns=columns,
            detail=tuple(str(c) for c in data.get("detail", []) or []),
            datetime_formats=tuple(_as_list(formats)) if formats else DATETIME_FORMATS,
            codes={
                str(k): {str(a): str(b) for a, b in v.items()}
                for k, v in (data.get("codes", {}) or {}).items()
            },
            encoding=str(data.get("encoding", "utf-8")),
        )

    def missing_columns(self, header: Sequence[str]) -> list[str]:
        """Source columns of required fact fields that the file does not have."""
        present = set(header)
        needed = [self.columns[n] for n in ("fact_id", "local_id", "category", "occurred_at")]
        return [c for c in needed if c not in present]

    def _value(self, row: Mapping[str, Any], name: str) -> str | None:
        source = self.columns.get(name)
        raw = row.get(source) if source else None
        text = str(raw).strip() if raw is not None else ""
        if not text:
            return None
        return self.codes.get(name, {}).get(text, text)

    def _when(self, text: str) -> datetime:
        for fmt in self.datetime_formats:
            try:
                parsed = datetime.strptime(text, fmt)  # noqa: DTZ007 - zone added below
            except ValueError:
                continue
            # Agencies write local times: a time without a zone is London time.
            local = parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON)
            return local.astimezone(UTC)
        raise ValidationError(
            f"{text!r} is not a date and time in any of the formats "
            f"{', '.join(self.datetime_formats)}",
            field="occurred_at",
        )

    def to_fact(self, org_code: str, row: Mapping[str, Any]) -> Fact:
        """One row as a fact, or a ValidationError naming the field at fault."""
        if "__shape__" in row or "__unreadable__" in row or "__value__" in row:
            raise ValidationError("The row is not a record of fields", field="row")
        values = {n: self._value(row, n) for n in FACT_FIELDS}
        for needed in ("fact_id", "local_id", "category", "occurred_at"):
            if values[needed] is None:
                raise ValidationError(f"Required field {needed} is blank", field=needed)
        try:
            category = DataCategory(str(values["category"]).lower())
        except ValueError:
            raise ValidationError(
                f"Category {values['category']!r} is not a Sharewell data category",
                field="category",
            ) from None
        try:
            sensitivity = Sensitivity((values["sensitivity"] or "normal").lower())
        except ValueError:
            raise ValidationError(
                f"Sensitivity {values['sensitivity']!r} is not normal, sensitive or sealed",
                field="sensitivity",
            ) from None
        location = None
        if values["latitude"] and values["longitude"]:
            try:
                location = Location(float(values["latitude"]), float(values["longitude"]))
            except ValueError:
                raise ValidationError(
                    "Latitude or longitude is not a number", field="location"
                ) from None
        detail = {
            c: str(row[c]).strip()
            for c in self.detail
            if row.get(c) is not None and str(row[c]).strip()
        }
        return Fact(
            id=fact_key(org_code, str(values["fact_id"])),
            org_code=org_code,
            local_id=str(values["local_id"]),
            category=category,
            code=values["code"] or "",
            occurred_at=self._when(str(values["occurred_at"])),
            summary=values["summary"] or "",
            detail=detail,
            sensitivity=sensitivity,
            location=location,
        )


def ingest_facts(
    store: FactStore,
    source: RowSource,
    mapping: FactMapping,
    *,
    org_code: str,
    progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Load an agency's file of facts: good rows land, bad rows are quarantined and reported.

    Re-ingesting the same file changes nothing; a changed fact is updated in place.
    """
    if not store.organisation_exists(org_code):
        raise NotFound(f"Organisation {org_code} is not known to Sharewell", field="org")
    missing = mapping.missing_columns(source.columns())
    if missing:
        raise ValidationError(
            f"{source.name} has no column {', '.join(repr(m) for m in missing)} "
            "that the mapping requires",
            field="columns",
            line=1,
        )
    known = store.fact_hashes(org_code)
    report = IngestReport(source_name=source.name)
    pending: list[Fact] = []
    bad: list[BadRow] = []
    for raw in source.rows():
        report.rows += 1
        try:
            fact = mapping.to_fact(org_code, raw.values)
        except ValidationError as exc:
            problem = BadRow(raw.row_number, exc.message, exc.field, dict(raw.values))
            bad.append(problem)
            report.problems.append(problem)
            report.quarantined += 1
        else:
            digest = fact_hash(fact)
            previous = known.get(fact.id)
            if previous == digest:
                report.unchanged += 1
            else:
                report.added += previous is None
                report.updated += previous is not None
                known[fact.id] = digest
                pending.append(fact)
        if len(pending) >= BATCH:
            store.save_facts(pending)
            pending.clear()
        if progress is not None and report.rows % 1000 == 0:
            progress(source.position(), source.size())
    if pending:
        store.save_facts(pending)
    if bad:
        store.quarantine(org_code, source.name, bad)
    return report
