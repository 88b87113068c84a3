"""NHS number validation (Modulus 11), as the NHS Data Dictionary defines it."""

from __future__ import annotations

import random

from sharewell.domain.errors import ValidationError

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(first_nine: str) -> int | None:
    """The Modulus 11 check digit for nine digits, or None when it would be 10 (never issued)."""
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValidationError("A check digit needs exactly nine digits", field="nhs_number")
    total = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True))
    digit = 11 - (total % 11)
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def normalise(raw: str) -> str:
    """Strip the spaces and hyphens people write NHS numbers with ("943 476 5919")."""
    return "".join(ch for ch in raw if ch not in " -")


def problem(raw: str) -> str | None:
    """Why an NHS number is invalid, in plain English, or None when it is valid."""
    value = normalise(raw)
    if not value.isdigit():
        return "an NHS number has digits only"
    if len(value) != 10:
        return f"an NHS number has 10 digits, not {len(value)}"
    expected = check_digit(value[:9])
    if expected is None:
        return "the check digit works out as 10, so this number cannot have been issued"
    if expected != int(value[9]):
        return "the check digit is wrong (a digit may have been mistyped)"
    return None


def is_valid(raw: str) -> bool:
    """True when `raw` is a well-formed NHS number with a correct Modulus 11 check digit."""
    return problem(raw) is None


def validate(raw: str) -> str:
    """The normalised NHS number, or a ValidationError naming what is wrong."""
    reason = problem(raw)
    if reason is not None:
        raise ValidationError(f"NHS number {raw!r} is not valid: {reason}", field="nhs_number")
    return normalise(raw)


def generate(rng: random.Random) -> str:
    """A valid NHS number drawn from `rng` in the 9xx test range (never issued to real people)."""
    while True:
        first_nine = "9" + "".join(str(rng.randrange(10)) for _ in range(8))
        digit = check_digit(first_nine)
        if digit is not None:
            return first_nine + str(digit)
