from datetime import UTC, date, datetime

import pytest

from sharewell.domain.errors import ValidationError
from sharewell.domain.facts import Fact, Location
from sharewell.domain.organisations import Organisation
from sharewell.domain.people import (
    PartialDate,
    SourceRecord,
    format_postcode,
    postcode_district,
    postcode_sector,
)
from sharewell.domain.vocabulary import DataCategory, OrganisationKind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1987", PartialDate(1987)),
        ("1987-03", PartialDate(1987, 3)),
        ("1987-03-14", PartialDate(1987, 3, 14)),
        (" 2001-1-2 ", PartialDate(2001, 1, 2)),
    ],
)
def test_partial_dates_parse(text: str, expected: PartialDate) -> None:
    assert PartialDate.parse(text) == expected
    assert PartialDate.parse(expected.isoformat()) == expected


@pytest.mark.parametrize("text", ["14/03/1987", "1987-02-30", "1987-13", "87", "", "1700-01-01"])
def test_bad_partial_dates_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        PartialDate.parse(text, field="row 3: dob")
    assert caught.value.field == "row 3: dob"


def test_a_complete_partial_date_knows_it() -> None:
    assert PartialDate.of(date(2010, 5, 1)).complete
    assert not PartialDate(2010, 5).complete


@pytest.mark.parametrize(
    ("raw", "formatted"),
    [("ay12ab", "AY1 2AB"), ("AY10 3CD", "AY10 3CD"), (" sw1a 1aa ", "SW1A 1AA")],
)
def test_postcodes_are_formatted(raw: str, formatted: str) -> None:
    assert format_postcode(raw) == formatted


def test_postcode_sector_and_district() -> None:
    assert postcode_sector("AY12 3CD") == "AY12 3"
    assert postcode_district("AY12 3CD") == "AY12"


@pytest.mark.parametrize("raw", ["", "12345", "AY1", "AYY 2AB"])
def test_bad_postcodes_name_the_field(raw: str) -> None:
    with pytest.raises(ValidationError) as caught:
        format_postcode(raw)
    assert caught.value.field == "postcode"


def test_an_invalid_nhs_number_is_kept_but_flagged() -> None:
    record = SourceRecord("GP1", "123", "Ann", "Smith", nhs_number="9434765918")
    assert record.nhs_number == "9434765918"
    assert not record.nhs_number_valid
    assert SourceRecord("GP1", "124", "Ann", "Smith", nhs_number="943 476 5919").nhs_number_valid


def test_a_record_needs_an_identifier_and_a_name() -> None:
    with pytest.raises(ValidationError, match="identifier"):
        SourceRecord("GP1", "", "Ann", "Smith")
    with pytest.raises(ValidationError) as caught:
        SourceRecord("GP1", "1", " ", "")
    assert caught.value.field == "name"


def test_organisation_codes_are_checked() -> None:
    Organisation("SCH1", "Anyshire Primary", OrganisationKind.SCHOOL)
    with pytest.raises(ValidationError):
        Organisation("sch 1", "Anyshire Primary", OrganisationKind.SCHOOL)


def test_fact_fields_are_limited_to_the_minimum_data_set() -> None:
    fact = Fact(
        "POL:1",
        "POL",
        "P1",
        DataCategory.CRIMINAL_OFFENCE,
        "domestic_abuse",
        datetime(2026, 3, 1, 22, 0, tzinfo=UTC),
        "Domestic incident attended",
        {"incident_type": "domestic_abuse", "officer_notes": "private"},
        location=Location(52.1, -1.5),
    )
    assert fact.fields(frozenset({"occurred_at", "incident_type"})) == {
        "occurred_at": "2026-03-01T22:00:00+00:00",
        "incident_type": "domestic_abuse",
    }
    assert "officer_notes" in fact.fields()


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError):
        Fact("X:1", "POL", "P1", DataCategory.CRIMINAL_OFFENCE, "x", datetime(2026, 1, 1), "s")  # noqa: DTZ001
