"""Records in the form linkage compares: folded names, nickname groups, phonetic keys, tokens."""

from __future__ import annotations

import csv
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import jellyfish

from sharewell.domain import nhs_numbers
from sharewell.domain.identity import match_key
from sharewell.domain.people import SourceRecord, postcode_district, postcode_sector

_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
_TOKEN = re.compile(r"[a-z0-9]+")

# Blocking keys: a pair is only scored when it shares one of these (each is indexed in SQL too,
# so real-time matching finds the same candidates).
# Each rule is a tuple of (left column, right column) equalities.
# Surname sound + postcode sector was dropped: on the 100,000-person partnership it blocked 2.1
# million pairs (a third of all) and was the only rule to find none of the true pairs.
PREDICTION_BLOCKS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("nhs_number", "nhs_number"),),
    (("shared_id", "shared_id"),),
    (("dob", "dob"),),
    (("family_phonetic", "family_phonetic"), ("given_canonical", "given_canonical")),
    (("given_canonical", "given_canonical"), ("dob_year", "dob_year")),
    (("family_phonetic", "family_phonetic"), ("dob_year", "dob_year")),
    (("postcode", "postcode"), ("given_canonical", "given_canonical")),
    (("postcode", "postcode"), ("family_phonetic", "family_phonetic")),
    (("given_name", "family_name"), ("family_name", "given_name")),  # names swapped
    # Same address (postcode and house number; or every word of it, postcode aside): finds
    # records whose names are both mistyped and date of birth missing or wrong, which no name or
    # date rule reaches.
    (("address_key", "address_key"),),
    (("address_tokens", "address_tokens"),),
)


def blocking_rule_sql(rule: tuple[tuple[str, str], ...]) -> str:
    """A blocking rule as Splink's SQL over the l and r records."""
    return " AND ".join(f"l.{a} = r.{b}" for a, b in rule)


# Rules that can match many records in a large partnership (common names): real-time lookup caps
# what each returns.
BROAD_BLOCKS = frozenset(
    {
        (("given_canonical", "given_canonical"), ("dob_year", "dob_year")),
        (("family_phonetic", "family_phonetic"), ("dob_year", "dob_year")),
    }
)

MATCH_COLUMNS = (
    "record_id",
    "org_code",
    "content_hash",
    "given_name",
    "given_canonical",
    "middle_names",
    "family_name",
    "family_phonetic",
    "dob",
    "dob_year",
    "sex",
    "nhs_number",
    "shared_id",
    "postcode",
    "postcode_sector",
    "postcode_district",
    "address_tokens",
    "address_key",
)


@cache
def nicknames() -> dict[str, str]:
    """Each known name or nickname -> the name its group is known by (shipped CSV)."""
    canon: dict[str, str] = {}
    text = resources.files("sharewell.adapters.linkage").joinpath("nicknames.csv").read_text()
    for row in csv.DictReader(text.splitlines()):
        name = row["name"].strip()
        group = canon.setdefault(name, name)
        for alias in row["aliases"].split():
            canon.setdefault(alias, group)
    return canon


@lru_cache(maxsize=100_000)
def canonical_forename(key: str | None) -> str | None:
    """The nickname group of a folded forename's first word ("bill" -> "william")."""
    if not key:
        return None
    first = key.split(" ")[0].split("-")[0]
    return nicknames().get(first, first)


@lru_cache(maxsize=100_000)
def phonetic(key: str | None) -> str | None:
    """A sounds-alike key of a folded surname (Metaphone), for blocking."""
    if not key:
        return None
    letters = key.replace("-", "").replace(" ", "")
    return jellyfish.metaphone(letters)[:20] or None


def address_tokens(address: str | None, postcode: str | None) -> str | None:
    """The distinct words of an address, postcode removed, space separated and sorted."""
    if not address:
        return None
    text = address.lower()
    if postcode:
        text = text.replace(postcode.lower(), " ")
    tokens = sorted(set(_TOKEN.findall(text)))
    return " ".join(tokens)[:300] or None


def address_key(postcode: str | None, tokens: str | None) -> str | None:
    """Postcode and house numbers (the address tokens that are numbers): the same dwelling, as a
    blocking key. None without a postcode or a number (a street alone is too broad)."""
    if not postcode or not tokens:
        return None
    numbers = [t for t in tokens.split(" ") if t.isdigit()]
    if not numbers:
        return None
    return f"{postcode} {' '.join(numbers)}"[:40]


# Names repeat across a partnership's records: fold each distinct one once in a bulk load.
_fold = lru_cache(maxsize=100_000)(match_key)


def match_row(
    record_id: int, record: SourceRecord, content_hash: str, shared_id: str | None
) -> dict[str, Any]:
    """The match_records row for a stored source record."""
    given = _fold(record.given_name)
    family = _fold(record.family_name)
    postcode = record.postcode
    uk = bool(postcode and _UK_POSTCODE.match(postcode))
    tokens = address_tokens(record.address, postcode)
    nhs = (
        record.nhs_number if record.nhs_number and nhs_numbers.is_valid(record.nhs_number) else None
    )
    return {
        "record_id": record_id,
        "org_code": record.org_code,
        "content_hash": content_hash,
        "given_name": given,
        "given_canonical": canonical_forename(given),
        "middle_names": _fold(record.middle_names),
        "family_name": family,
        "family_phonetic": phonetic(family),
        "dob": record.date_of_birth.isoformat() if record.date_of_birth else None,
        "dob_year": record.date_of_birth.year if record.date_of_birth else None,
        "sex": None if record.sex.value == "unknown" else record.sex.value,
        "nhs_number": nhs,
        "shared_id": shared_id.strip().lower() if shared_id else None,
        "postcode": postcode,
        "postcode_sector": postcode_sector(postcode) if postcode and uk else None,
        "postcode_district": postcode_district(postcode) if postcode and uk else None,
        "address_tokens": tokens,
        "address_key": address_key(postcode, tokens),
    }
