"""What an agency holds about a person: dated facts in a data category."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import DataCategory


class Sensitivity(StrEnum):
    """How carefully a fact must be handled; `sealed` facts need an approved override."""

    NORMAL = "normal"
    SENSITIVE = "sensitive"
    SEALED = "sealed"


@dataclass(frozen=True, slots=True)
class Location:
    """Where something happened, WGS84 degrees."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValidationError("Latitude or longitude out of range", field="location")


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing an agency holds about a person (an incident, an attendance, a plan)."""

    id: str
    org_code: str
    local_id: str
    category: DataCategory
    code: str
    occurred_at: datetime
    summary: str
    detail: dict[str, str] = field(default_factory=dict)
    sensitivity: Sensitivity = Sensitivity.NORMAL
    location: Location | None = None

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValidationError("occurred_at must be timezone-aware", field="occurred_at")

    def fields(self, allowed: frozenset[str] | None = None) -> dict[str, str]:
        """The fact's fields, only those in `allowed` when given (the minimum data set)."""
        everything = {
            "occurred_at": self.occurred_at.isoformat(),
            "code": self.code,
            "summary": self.summary,
            **self.detail,
        }
        if allowed is None:
            return everything
        return {k: v for k, v in everything.items() if k in allowed}
