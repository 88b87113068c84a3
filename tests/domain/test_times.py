"""Times shown to people: London wall-clock time, saying GMT or BST."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sharewell.domain.errors import ValidationError
from sharewell.domain.times import london


def test_winter_times_say_gmt() -> None:
    assert london(datetime(2026, 3, 1, 10, 0, tzinfo=UTC)) == "1 Mar 2026, 10:00 GMT"


def test_summer_times_say_bst_and_are_an_hour_ahead_of_utc() -> None:
    assert london(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "1 Jul 2026, 11:00 BST"


def test_the_zone_follows_the_instant_across_the_change() -> None:
    # Clocks go forward at 01:00 UTC on 29 March 2026.
    assert london(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) == "29 Mar 2026, 00:59 GMT"
    assert london(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "29 Mar 2026, 02:00 BST"


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError):
        london(datetime(2026, 3, 1, 10, 0))  # noqa: DTZ001
