"""The risk calibration page: every agency's scale beside the common scale, and who signed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from sharewell.bootstrap import Container
from sharewell.domain.organisations import Practitioner
from sharewell.domain.risk import COMMON_LEVELS, Calibration
from sharewell.domain.times import LONDON
from sharewell.entrypoints.api.deps import container, current_practitioner
from sharewell.entrypoints.web.templating import render

router = APIRouter(include_in_schema=False)

Wiring = Annotated[Container, Depends(container)]
SignedIn = Annotated[Practitioner, Depends(current_practitioner)]


def _scale_rows(c: Calibration) -> list[list[dict[str, str]]]:
    rows = []
    for sid, scale in c.scales.items():
        for level in scale.levels:
            common = c.mapping[sid][level]
            rows.append(
                [
                    {"text": scale.name},
                    {"text": scale.owner},
                    {"text": level},
                    {"text": f"{common} ({COMMON_LEVELS[common]})"},
                ]
            )
    return rows


def _signature_rows(c: Calibration) -> list[list[dict[str, str]]]:
    signed = {s.org: s for s in c.signatures}
    return [
        [
            {"text": party},
            {"text": f"{signed[party].name}, {signed[party].role.replace('_', ' ')}"}
            if party in signed
            else {"text": "Not signed"},
            {"text": signed[party].signed_at.astimezone(LONDON).strftime("%d %B %Y %H:%M")}
            if party in signed
            else {"text": ""},
        ]
        for party in c.parties
    ]


@router.get("/risk/calibrations")
def calibrations_page(request: Request, wiring: Wiring, _viewer: SignedIn) -> Response:
    statuses = [wiring.risk_calibrations.status(cid) for cid in wiring.risk_calibrations.ids()]
    return render(
        request,
        "risk_calibrations.html",
        {
            "title": "Risk calibration",
            "nav": "risk",
            "statuses": statuses,
            "scale_rows": _scale_rows,
            "signature_rows": _signature_rows,
        },
    )
