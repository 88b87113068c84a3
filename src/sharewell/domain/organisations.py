"""Partner organisations and the practitioners who work for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import OrganisationKind, Role


def check_org_code(code: str, *, field: str = "org") -> str:
    """Organisation codes are short upper-case tokens (POL, SCH1)."""
    if not code or len(code) > 16 or not code.replace("_", "").isalnum() or code != code.upper():
        raise ValidationError(
            f"Organisation code {code!r} must be 1-16 upper-case letters, digits or underscores",
            field=field,
        )
    return code


@dataclass(frozen=True, slots=True)
class Organisation:
    """A partner in the information sharing partnership."""

    code: str
    name: str
    kind: OrganisationKind
    council_area: str | None = None
    contact_email: str | None = None

    def __post_init__(self) -> None:
        check_org_code(self.code, field="code")
        if not self.name.strip():
            raise ValidationError("An organisation needs a name", field="name")


@dataclass(frozen=True, slots=True)
class Practitioner:
    """A person who works for a partner and may ask for or share information."""

    id: str
    org_code: str
    name: str
    email: str
    role: Role
    active: bool = True
    team: str | None = None
    manager_id: str | None = None
    training: dict[str, date] = field(default_factory=dict)

    def completed(self, module: str) -> date | None:
        """When the practitioner last completed a training module, if ever."""
        return self.training.get(module)
