from pathlib import Path

import pytest

from sharewell.domain.errors import ValidationError
from sharewell.domain.vocabulary import (
    LEGAL_BASES,
    ConsentModel,
    DataCategory,
    LegalBasisKind,
    OrganisationKind,
    Purpose,
    Role,
    legal_basis,
    parse_enum,
)

GLOSSARY = (Path(__file__).parents[2] / "docs" / "glossary.md").read_text()


def test_special_category_and_criminal_offence_flags_follow_uk_gdpr() -> None:
    special = {c for c in DataCategory if c.special_category}
    criminal = {c for c in DataCategory if c.criminal_offence}
    assert special == {DataCategory.HEALTH, DataCategory.MENTAL_HEALTH}
    assert criminal == {DataCategory.CRIMINAL_OFFENCE, DataCategory.POLICE_INTELLIGENCE}


def test_every_code_has_a_human_label() -> None:
    for enum in (OrganisationKind, Purpose, DataCategory, ConsentModel, Role):
        for member in enum:
            assert member.label.strip(), member


def test_every_legal_basis_cites_the_law() -> None:
    for code, basis in LEGAL_BASES.items():
        assert basis.code == code
        assert any(word in basis.citation for word in ("UK GDPR", "Act", "Schedule"))


def test_the_glossary_lists_every_code() -> None:
    codes = [
        m.value for e in (Purpose, DataCategory, OrganisationKind, ConsentModel, Role) for m in e
    ]
    codes += list(LEGAL_BASES)
    missing = [code for code in codes if f"`{code}`" not in GLOSSARY]
    assert missing == []


def test_legal_basis_lookup_names_the_field_when_unknown() -> None:
    assert legal_basis("Children Act 2004 s.11").kind is LegalBasisKind.GATEWAY
    with pytest.raises(ValidationError) as caught:
        legal_basis("Children Act 2099 s.1", field="flows[0].legal_basis.gateway")
    assert caught.value.field == "flows[0].legal_basis.gateway"
    with pytest.raises(ValidationError):
        legal_basis("6(1)(e)", kind=LegalBasisKind.GATEWAY)


def test_parse_enum_lists_the_choices() -> None:
    assert parse_enum(Purpose, "early_help", field="purpose") is Purpose.EARLY_HELP
    with pytest.raises(ValidationError, match="Choose one of: direct_care") as caught:
        parse_enum(Purpose, "gossip", field="request.purpose")
    assert caught.value.field == "request.purpose"
