"""`sharewell ingest` and `sharewell identity export` from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine

from sharewell.adapters.db.repositories import SqlOrganisations
from sharewell.domain.organisations import Organisation
from sharewell.domain.vocabulary import OrganisationKind
from sharewell.entrypoints.cli.main import main

MAPPING = """\
columns:
  ID: local_id
  Forename: given_name
  Surname: family_name
  DOB: date_of_birth
date_formats: ["%d/%m/%Y"]
"""


@pytest.fixture
def cli_env(
    engine: Engine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    SqlOrganisations(engine).add(Organisation("SCH1", "Anyshire Academy", OrganisationKind.SCHOOL))
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", database_url)
    monkeypatch.setenv("SHAREWELL_MODEL_DIR", str(tmp_path / "models"))
    (tmp_path / "map.yaml").write_text(MAPPING, encoding="utf-8")
    return tmp_path


def test_ingest_reports_bad_rows_and_export_lists_every_record(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = cli_env / "pupils.csv"
    data.write_text("ID,Forename,Surname,DOB\n1,Ann,Lee,02/03/2010\n2,Bo,Ng,31/02/2011\n")
    code = main(["ingest", "--org", "SCH1", "--mapping", str(cli_env / "map.yaml"), str(data)])
    out = capsys.readouterr().out
    assert code == 0
    assert "1 added" in out and "1 quarantined" in out
    assert "row 3 (date_of_birth)" in out
    assert main(["identity", "export", "--out", str(cli_env / "links.csv")]) == 0
    with (cli_env / "links.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [["org_code", "local_id", "person_id"], ["SCH1", "1", ""]]


def test_missing_required_column_is_one_line_and_exit_2(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = cli_env / "pupils.csv"
    data.write_text("ID,Forename,DOB\n1,Ann,02/03/2010\n")
    code = main(["ingest", "--org", "SCH1", "--mapping", str(cli_env / "map.yaml"), str(data)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "Surname" in err[0]


def test_wrong_encoding_is_one_line_and_exit_2(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = cli_env / "pupils.csv"
    data.write_bytes("ID,Forename,Surname,DOB\n1,Zoë,Brontë,02/03/2010\n".encode("utf-16"))
    code = main(["ingest", "--org", "SCH1", "--mapping", str(cli_env / "map.yaml"), str(data)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "utf-8" in err[0]
