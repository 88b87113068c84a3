"""`sharewell hotspots`: the table and every export suppress small numbers; bad input exits 2."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from sharewell.entrypoints.cli.main import main


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    assert main(["demo-data", "--people", "500", "--seed", "9", "--as-of", "2026-11-01"]) == 0
    return tmp_path


def small_words(text: str) -> list[str]:
    return [n for n in re.findall(r"\b(\d+) incidents", text) if int(n) < 5]


def test_hotspots_writes_suppressed_svg_png_and_geojson(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    svg, png, geo = demo_db / "m.svg", demo_db / "m.png", demo_db / "m.geojson"
    args = ["hotspots", "--resolution", "9", "--permutations", "99"]
    args += ["--out-svg", str(svg), "--out-png", str(png), "--out-geojson", str(geo)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "fewer than 5" in out
    assert "Counts under 5 are shown as 'fewer than 5'" in out
    assert small_words(svg.read_text()) == []
    described = Image.open(io.BytesIO(png.read_bytes())).text["Description"]  # type: ignore[attr-defined]
    assert "fewer than 5" in described and small_words(described) == []
    body = json.loads(geo.read_text())
    counts = [f["properties"].get("count") for f in body["features"]]
    assert all(c is None or c >= 5 for c in counts)
    assert None in counts


def test_unsuppressed_is_an_explicit_choice(
    demo_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    geo = demo_db / "all.geojson"
    args = ["hotspots", "--resolution", "9", "--permutations", "0", "--unsuppressed"]
    assert main([*args, "--out-geojson", str(geo)]) == 0
    counts = [f["properties"].get("count") for f in json.loads(geo.read_text())["features"]]
    assert any(c is not None and c < 5 for c in counts)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--resolution", "15"], "resolution"),
        (["--since", "yesterday"], "since"),
        (["--fdr", "2"], "fdr"),
    ],
)
def test_bad_options_exit_2_naming_the_field(
    demo_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    capsys.readouterr()
    assert main(["hotspots", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert f"({field})" in err[0]


def test_an_empty_database_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHAREWELL_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["hotspots"]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert "sharewell init" in captured.err
