"""/api/v1/organisations: the partnership's organisations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from sharewell.bootstrap import Container
from sharewell.domain.errors import NotFound
from sharewell.domain.organisations import Organisation
from sharewell.domain.vocabulary import OrganisationKind
from sharewell.entrypoints.api.deps import Reader, container
from sharewell.entrypoints.api.errors import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["organisations"], responses=ERROR_RESPONSES)


class OrganisationOut(BaseModel):
    """A partner organisation."""

    code: str
    name: str
    kind: OrganisationKind
    kind_label: str
    council_area: str | None

    @classmethod
    def of(cls, organisation: Organisation) -> OrganisationOut:
        return cls(
            code=organisation.code,
            name=organisation.name,
            kind=organisation.kind,
            kind_label=organisation.kind.label,
            council_area=organisation.council_area,
        )


class OrganisationList(BaseModel):
    """The partnership's organisations, by name."""

    organisations: list[OrganisationOut]


@router.get("/organisations", response_model=OrganisationList)
def list_organisations(
    wiring: Annotated[Container, Depends(container)],
    _practitioner: Reader,
    kind: Annotated[OrganisationKind | None, Query(description="Only this kind")] = None,
) -> OrganisationList:
    """Every organisation in the partnership, optionally of one kind."""
    found = [o for o in wiring.organisations.list() if kind is None or o.kind == kind]
    return OrganisationList(organisations=[OrganisationOut.of(o) for o in found])


@router.get("/organisations/{code}", response_model=OrganisationOut)
def get_organisation(
    code: str,
    wiring: Annotated[Container, Depends(container)],
    _practitioner: Reader,
) -> OrganisationOut:
    """One organisation by its code."""
    organisation = wiring.organisations.get(code)
    if organisation is None:
        raise NotFound(f"There is no organisation with code {code!r}", field="code")
    return OrganisationOut.of(organisation)
