import random

import pytest

from sharewell.domain import nhs_numbers
from sharewell.domain.errors import ValidationError


def _nine_digits_with_check_digit_ten() -> str:
    for n in range(100_000_000, 100_010_000):
        first_nine = str(n)
        if nhs_numbers.check_digit(first_nine) is None:
            return first_nine
    raise AssertionError("no nine digits with check digit 10 in range")


def test_accepts_a_number_with_the_right_check_digit() -> None:
    assert nhs_numbers.is_valid("9434765919")
    assert nhs_numbers.problem("9434765919") is None
    assert nhs_numbers.validate("9434765919") == "9434765919"


def test_accepts_spaces_and_hyphens_as_people_write_them() -> None:
    assert nhs_numbers.is_valid("943 476 5919")
    assert nhs_numbers.is_valid("943-476-5919")
    assert nhs_numbers.validate(" 943 476 5919 ") == "9434765919"


def test_refuses_a_wrong_check_digit() -> None:
    assert not nhs_numbers.is_valid("9434765918")
    assert "check digit is wrong" in (nhs_numbers.problem("9434765918") or "")


@pytest.mark.parametrize("raw", ["943476591", "94347659190", "", "9"])
def test_refuses_the_wrong_number_of_digits(raw: str) -> None:
    assert not nhs_numbers.is_valid(raw)
    with pytest.raises(ValidationError) as caught:
        nhs_numbers.validate(raw)
    assert caught.value.field == "nhs_number"


@pytest.mark.parametrize("raw", ["94347659I9", "abcdefghij", "943.476.5919"])
def test_refuses_anything_but_digits(raw: str) -> None:
    assert nhs_numbers.problem(raw) == "an NHS number has digits only"


def test_refuses_a_number_whose_check_digit_would_be_ten() -> None:
    first_nine = _nine_digits_with_check_digit_ten()
    assert nhs_numbers.check_digit(first_nine) is None
    for last in "0123456789":
        reason = nhs_numbers.problem(first_nine + last)
        assert reason is not None and "works out as 10" in reason
        assert not nhs_numbers.is_valid(first_nine + last)


def test_check_digit_eleven_becomes_zero() -> None:
    # Weighted sum divisible by 11 -> 11 - 0 = 11 -> check digit 0.
    assert nhs_numbers.check_digit("000000000") == 0
    assert nhs_numbers.is_valid("0000000000")


def test_check_digit_needs_exactly_nine_digits() -> None:
    with pytest.raises(ValidationError):
        nhs_numbers.check_digit("12345678")


def test_generated_numbers_are_valid_test_range_numbers() -> None:
    rng = random.Random(7)
    numbers = [nhs_numbers.generate(rng) for _ in range(500)]
    assert all(nhs_numbers.is_valid(n) and n.startswith("9") for n in numbers)
    again = random.Random(7)
    assert numbers == [nhs_numbers.generate(again) for _ in range(500)]
