"""The YAML agreement file: load with the line of every problem, dump, and nothing else.

PyYAML's node tree (`yaml.compose`) keeps each value's position, so every field path the domain
parser complains about (`flows[0].categories.criminal_offence.fields`) is mapped back to the
line the IG lead has to change.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import yaml

from sharewell.domain.agreements import Agreement, AgreementInvalid, Problem, parse_agreement
from sharewell.domain.errors import ValidationError


def _lines(node: yaml.Node, path: str, out: dict[str, int], problems: list[Problem]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            if key in seen:
                problems.append(
                    Problem(
                        child, f"The field {key!r} is given twice", key_node.start_mark.line + 1
                    )
                )
            seen.add(key)
            out[child] = key_node.start_mark.line + 1
            _lines(value_node, child, out, problems)
            # A value on its own line (a list or mapping) is better pointed at by its key's line,
            # which `out[child]` already holds; items inside keep their own lines.
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, f"{path}[{i}]", out, problems)


def line_of(path: str, lines: dict[str, int]) -> int | None:
    """The line of `path`, or of its nearest parent present in the file (for missing fields)."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return lines.get("")


def read_document(text: str, *, source: str = "agreement file") -> tuple[Any, dict[str, int]]:
    """Parse YAML text into plain data and a map from field path to line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise ValidationError(
            f"{source} is not valid YAML: {exc.problem}", field=source, line=line
        ) from None
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source} is not valid YAML: {exc}", field=source) from None
    if node is None:
        raise ValidationError(f"{source} is empty", field=source, line=1)
    lines: dict[str, int] = {}
    duplicates: list[Problem] = []
    _lines(node, "", lines, duplicates)
    if duplicates:
        raise AgreementInvalid(duplicates)
    loader = yaml.SafeLoader("")
    try:
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ValidationError(
            f"{source} has a value YAML cannot read: {exc.problem}",
            field=source,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    finally:
        loader.dispose()
    return data, lines


def load_agreement(
    text: str,
    *,
    known_orgs: Collection[str] | None = None,
    minimum_term_months: int | None = None,
    source: str = "agreement file",
) -> Agreement:
    """An `Agreement` from YAML; `AgreementInvalid` names the field and line of each problem."""
    data, lines = read_document(text, source=source)
    try:
        return parse_agreement(data, known_orgs=known_orgs, minimum_term_months=minimum_term_months)
    except AgreementInvalid as exc:
        raise AgreementInvalid(
            [Problem(p.field, p.message, line_of(p.field, lines)) for p in exc.problems]
        ) from None


class _Dumper(yaml.SafeDumper):
    """Writes instants as 2025-12-01T10:00:00Z, the way the agreement file shows them."""


def _instant(dumper: yaml.SafeDumper, value: datetime) -> yaml.Node:
    text = value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", text)


_Dumper.add_representer(datetime, _instant)


def dump_agreement(agreement: Agreement) -> str:
    """The agreement file for `agreement`, in the order IG leads read it."""
    return yaml.dump(
        agreement.to_document(json_safe=False),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
