"""A small, deterministic run of the benchmark's differential test: Sharewell's evaluator and the
independent Cedar reference must agree on every decision (the full run is benchmarks/decisions.py).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sharewell.domain.access import decide_one

pytest.importorskip("cedarpy")

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "decisions.py"


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("decisions_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.parametrize("seed", [7, 2026])
def test_evaluator_agrees_with_the_cedar_reference(seed: int) -> None:
    bench = _benchmark()
    world = bench.generate(seed, consents=3000, subjects=600)
    requests = bench.requests_for(world, 600, seed + 1)
    index, practitioners, subjects = bench.build_ours(world)
    ours = [
        decide_one(
            index,
            practitioners[r["practitioner"]],
            subjects[r["subject"]],
            bench.Purpose(r["purpose"]),
            r["holder"],
            bench.DataCategory(r["category"]),
            r["at"],
            sealed=r["sealed"],
            override=bench._override(r["override"]),
        ).as_dict()
        for r in requests
    ]
    theirs = bench.CedarReference(world).decide_many(requests)
    disagreements = [(o, t) for o, t in zip(ours, theirs, strict=True) if o != t]
    assert disagreements == []
    # The sample reaches permits, overrides and denials alike.
    reasons = {reason for d in ours for reason in d["reasons"]}
    assert {"AGREEMENT", "OVERRIDE", "OWN_RECORD", "NO_LEGITIMATE_RELATIONSHIP"} <= reasons


@pytest.mark.slow
def test_adding_an_agreement_never_turns_a_permit_into_a_denial() -> None:
    import random

    from sharewell.domain.access import AgreementIndex
    from sharewell.domain.agreements import parse_agreement

    bench = _benchmark()
    world = bench.generate(11, consents=3000, subjects=600)
    requests = bench.requests_for(world, 600, 12)
    index, practitioners, subjects = bench.build_ours(world)
    rng = random.Random(13)
    extra = [parse_agreement(bench._agreement(rng, f"extra-{i}", 1)) for i in range(5)]
    wider = AgreementIndex([*index.agreements, *extra])
    changed = 0
    for r in requests:
        args = (
            practitioners[r["practitioner"]],
            subjects[r["subject"]],
            bench.Purpose(r["purpose"]),
            r["holder"],
            bench.DataCategory(r["category"]),
            r["at"],
        )
        kwargs = {"sealed": r["sealed"], "override": bench._override(r["override"])}
        before = decide_one(index, *args, **kwargs)
        after = decide_one(wider, *args, **kwargs)
        if before.permitted:
            assert after.permitted
        changed += before != after
    assert changed > 0  # the extra agreements did matter somewhere
