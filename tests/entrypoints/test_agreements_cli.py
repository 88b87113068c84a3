"""`sharewell agreements import|export|show|propose|sign|terminate`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from sharewell.adapters.db.engine import make_engine
from sharewell.adapters.db.repositories import SqlOrganisations
from sharewell.adapters.db.tables_governance import AgreementVersionRow
from sharewell.domain.organisations import Organisation
from sharewell.domain.vocabulary import OrganisationKind
from sharewell.entrypoints.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agreements" / "anyshire-charter.yaml"
ORGS = [
    "POL",
    "ACU",
    "MHT",
    "AMB",
    "GP1",
    "GP2",
    "GP3",
    "GP4",
    "GP5",
    "GP6",
    "SCH1",
    "SCH2",
    "SCH3",
    "SCH4",
    "SCH5",
    "SCH6",
    "SCH7",
    "SCH8",
    "HSG1",
    "HSG2",
    "YJS",
    "VOL",
    "CSCN",
    "CSCS",
    "ASCN",
    "ASCS",
    "EHN",
    "EHS",
]


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    assert main(["init"]) == 0
    engine = make_engine(database_url)
    orgs = SqlOrganisations(engine)
    for code in ORGS:
        name = "Anyshire Police" if code == "POL" else f"Partner {code}"
        orgs.add(Organisation(code, name, OrganisationKind.VOLUNTARY_SECTOR))
    engine.dispose()
    return database_url


def _versions(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(AgreementVersionRow)).scalar_one()
    engine.dispose()
    return int(count)


def test_import_show_sign_export_terminate(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agreements", "import", str(EXAMPLE)]) == 0
    assert "Imported anyshire-charter@1" in capsys.readouterr().out
    assert main(["agreements", "show", "anyshire-charter"]) == 0
    shown = capsys.readouterr().out
    assert "Anyshire Police share with the designated safeguarding leads" in shown
    assert "Children Act 2004 s.11" in shown
    out = tmp_path / "exported.yaml"
    assert main(["agreements", "export", "anyshire-charter", "--out", str(out)]) == 0
    assert "signed_at: 2025-12-01T10:00:00Z" in out.read_text()
    assert main(["agreements", "propose", "anyshire-charter"]) == 0
    assert (
        main(
            ["agreements", "sign", "anyshire-charter", "--org", "POL", "--name", "X", "--role", "Y"]
        )
        == 2
    )
    assert "already signed" in capsys.readouterr().err
    assert main(["agreements", "terminate", "anyshire-charter", "--reason", "Replaced"]) == 0
    assert "Terminated anyshire-charter@1" in capsys.readouterr().out


def test_amendment_then_signing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agreements", "import", str(EXAMPLE)]) == 0
    amended = tmp_path / "v2.yaml"
    amended.write_text(
        EXAMPLE.read_text()
        .replace("version: 1", "version: 2")
        .replace(
            '  - org: POL\n    signed_by: {name: "Signatory for POL", '
            'role: "Deputy Chief Constable", signed_at: 2025-12-01T10:00:00Z}',
            "  - org: POL\n    signed_by: null",
        )
    )
    assert main(["agreements", "import", str(amended)]) == 0
    assert main(["agreements", "propose", "anyshire-charter"]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "agreements",
                "sign",
                "anyshire-charter",
                "--org",
                "POL",
                "--name",
                "A. Chief",
                "--role",
                "Deputy Chief Constable",
            ]
        )
        == 0
    )
    assert "every party has signed" in capsys.readouterr().out


def test_malformed_file_names_field_and_line_and_changes_nothing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE.read_text()
        .replace("to: [SCH1, SCH2, SCH3", "to: [SCH99, SCH2, SCH3", 1)
        .replace("purposes: [early_help]", "purposes: [early_hlp]")
    )
    assert main(["agreements", "import", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert any("flows[0].to[0]" in line and "line " in line and "SCH99" in line for line in err)
    assert any("flows[4].purposes[0]" in line and "line " in line for line in err)
    assert _versions(database) == 0


def test_unknown_agreement_is_a_clear_error(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["agreements", "show", "nope"]) == 1
    assert "There is no agreement 'nope'" in capsys.readouterr().err
