"""Agencies' files as streams of rows, and mapping files read from YAML."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from sharewell.domain.errors import ValidationError
from sharewell.services.identity_ports import RawRow
from sharewell.services.ingest import ColumnMapping, FactMapping

_CHUNK = 1 << 20


def load_mapping(path: Path) -> ColumnMapping | FactMapping:
    """A people or facts mapping from its YAML file; a clear error when it cannot be read."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"Mapping file {path} does not exist", field="mapping") from None
    except yaml.YAMLError as exc:
        raise ValidationError(
            f"Mapping file {path} is not valid YAML: {exc}", field="mapping"
        ) from None
    if isinstance(data, dict) and data.get("kind") == "facts":
        return FactMapping.from_dict(data)
    return ColumnMapping.from_dict(data)


def check_encoding(path: Path, encoding: str) -> None:
    """Decode the whole file once, so a wrong encoding is refused before anything is stored."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise ValidationError(f"Unknown encoding {encoding!r}", field="encoding") from None
    offset = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"{path.name} is not valid {encoding} (byte {offset + exc.start}); save it "
                    f"as {encoding} or set 'encoding:' in the mapping",
                    field="encoding",
                ) from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ValidationError(
                f"{path.name} is not valid {encoding} (it ends part-way through a character)",
                field="encoding",
            ) from None


class FileRows:
    """A CSV, JSON (array of objects) or JSON Lines file of rows, streamed."""

    def __init__(self, path: Path, *, encoding: str = "utf-8") -> None:
        self.path = path
        self.name = path.name
        self._encoding = encoding
        self._binary: io.BufferedReader | None = None
        if not path.exists():
            raise ValidationError(f"File {path} does not exist", field="file")
        suffix = path.suffix.lower()
        self._kind = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffix, "csv")
        self._checked = False

    def _check(self) -> None:
        if not self._checked:
            check_encoding(self.path, self._encoding)
            self._checked = True

    def size(self) -> int:
        return self.path.stat().st_size

    def position(self) -> int:
        return self._binary.tell() if self._binary is not None else 0

    def columns(self) -> Sequence[str]:
        self._check()
        if self._kind == "csv":
            with self.path.open(encoding=self._encoding, newline="") as handle:
                header = next(csv.reader(handle), None)
            if not header:
                raise ValidationError(f"{self.name} is empty", field="file", line=1)
            return [h.strip().lstrip("\ufeff") for h in header]
        names: dict[str, None] = {}
        for row in self._json_rows():
            names.update(dict.fromkeys(row.values))
            break
        return list(names)

    def rows(self) -> Iterator[RawRow]:
        self._check()
        if self._kind == "csv":
            yield from self._csv_rows()
        else:
            yield from self._json_rows()

    def _open_text(self) -> io.TextIOWrapper:
        self._binary = self.path.open("rb")
        return io.TextIOWrapper(self._binary, encoding=self._encoding, newline="")

    def _csv_rows(self) -> Iterator[RawRow]:
        with self._open_text() as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                return
            names = [h.strip().lstrip("\ufeff") for h in header]
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                row: dict[str, Any] = dict(zip(names, values, strict=False))
                if len(values) != len(names):
                    row["__shape__"] = f"{len(values)} values for {len(names)} columns"
                yield RawRow(reader.line_num, row)

    def _json_rows(self) -> Iterator[RawRow]:
        if self._kind == "jsonl":
            with self._open_text() as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    yield RawRow(number, _object(line))
            return
        with self._open_text() as handle:
            try:
                data = json.load(handle)
            except json.JSONDecodeError as exc:
                raise ValidationError(
                    f"{self.name} is not valid JSON: {exc.msg}", field="file", line=exc.lineno
                ) from None
        if isinstance(data, dict) and isinstance(data.get("records"), list):
            data = data["records"]
        if not isinstance(data, list):
            raise ValidationError(
                f"{self.name} must hold a list of records (or {{'records': [...]}})", field="file"
            )
        for number, item in enumerate(data, start=1):
            yield RawRow(number, item if isinstance(item, dict) else {"__value__": item})


def _object(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return {"__unreadable__": line[:200]}
    return value if isinstance(value, dict) else {"__value__": value}
