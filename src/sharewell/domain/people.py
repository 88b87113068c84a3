"""One agency's record of a person's identity, partial dates, households."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sharewell.domain import nhs_numbers
from sharewell.domain.errors import ValidationError


class Sex(StrEnum):
    """Sex as agencies record it; `unknown` when not recorded."""

    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A date where the month or day may be unknown ("1987", "1987-03", "1987-03-14")."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1850 <= self.year <= 2200:
            raise ValidationError(f"Year {self.year} is out of range", field="date_of_birth")
        if self.month is None and self.day is not None:
            raise ValidationError("A day needs a month", field="date_of_birth")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValidationError(f"Month {self.month} is not 1-12", field="date_of_birth")
        if self.day is not None:
            assert self.month is not None
            try:
                date(self.year, self.month, self.day)
            except ValueError:
                raise ValidationError(
                    f"{self.year:04d}-{self.month:02d}-{self.day:02d} is not a real date",
                    field="date_of_birth",
                ) from None

    @classmethod
    def parse(cls, text: str, *, field: str = "date_of_birth") -> PartialDate:
        """Parse ISO-style partial dates: YYYY, YYYY-MM or YYYY-MM-DD."""
        match = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text.strip())
        if match is None:
            raise ValidationError(
                f"{text!r} is not a date like 1987-03-14, 1987-03 or 1987", field=field
            )
        year, month, day = match.groups()
        try:
            return cls(int(year), int(month) if month else None, int(day) if day else None)
        except ValidationError as exc:
            raise ValidationError(exc.message, field=field) from None

    @classmethod
    def of(cls, value: date) -> PartialDate:
        """A complete partial date."""
        return cls(value.year, value.month, value.day)

    @property
    def complete(self) -> bool:
        return self.day is not None

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def __str__(self) -> str:
        return self.isoformat()


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def format_postcode(raw: str) -> str:
    """A UK postcode in its standard form ("ay12ab" -> "AY1 2AB"), or a ValidationError."""
    compact = re.sub(r"\s+", "", raw).upper()
    match = _POSTCODE.match(compact)
    if match is None:
        raise ValidationError(f"{raw!r} is not a UK postcode like AY1 2AB", field="postcode")
    return f"{match.group(1)} {match.group(2)}"


def postcode_sector(postcode: str) -> str:
    """The sector of a formatted postcode ("AY1 2AB" -> "AY1 2")."""
    return postcode[:-2]


def postcode_district(postcode: str) -> str:
    """The district of a formatted postcode ("AY1 2AB" -> "AY1")."""
    return postcode.split(" ", 1)[0]


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One agency's record of a person's identity, as that agency holds it."""

    org_code: str
    local_id: str
    given_name: str
    family_name: str
    date_of_birth: PartialDate | None = None
    sex: Sex = Sex.UNKNOWN
    nhs_number: str | None = None
    address: str | None = None
    postcode: str | None = None
    middle_names: str | None = None

    def __post_init__(self) -> None:
        if not self.local_id:
            raise ValidationError("A record needs the agency's own identifier", field="local_id")
        if not (self.given_name.strip() or self.family_name.strip()):
            raise ValidationError("A record needs a given name or a family name", field="name")

    @property
    def nhs_number_valid(self) -> bool:
        """Only valid NHS numbers take part in matching; invalid ones are kept but flagged."""
        return self.nhs_number is not None and nhs_numbers.is_valid(self.nhs_number)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class HouseholdRelationship(StrEnum):
    """How a member relates to the household."""

    ADULT = "adult"
    PARENT = "parent"
    PARTNER = "partner"
    CHILD = "child"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    LODGER = "lodger"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class HouseholdMember:
    """A person living in a household and how they relate to it."""

    person_key: str
    relationship: HouseholdRelationship
    moved_in: date | None = None
    moved_out: date | None = None


@dataclass(frozen=True, slots=True)
class Household:
    """People living at one address."""

    id: str
    address: str
    postcode: str
    latitude: float
    longitude: float
    council_area: str
    members: tuple[HouseholdMember, ...] = ()
