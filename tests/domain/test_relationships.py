"""Who may end a legitimate relationship (ADR 0019): the practitioner or team it is with, or a team
manager or designated safeguarding lead of the practitioner's own organisation; never another
agency."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sharewell.domain.organisations import Practitioner
from sharewell.domain.relationships import Relationship, RelationshipKind, why_not_end
from sharewell.domain.vocabulary import Role

SOCIAL_WORKER = Practitioner(
    "sw", "CSCN", "Sam Okafor", "sw@cscn", Role.SOCIAL_WORKER, team="Assessment team"
)
TEAM_MANAGER = Practitioner(
    "tm", "CSCN", "Helen Brooks", "tm@cscn", Role.TEAM_MANAGER, team="Assessment team"
)
MASH_OFFICER = Practitioner("mash", "CSCN", "Lena Kowalski", "m@cscn", Role.MASH_OFFICER)
OTHER_AGENCY_DSL = Practitioner(
    "dsl", "SCH1", "Dana Shah", "dsl@sch1", Role.DESIGNATED_SAFEGUARDING_LEAD
)
CASE = Relationship("P1", RelationshipKind.OPEN_CASE, date(2026, 1, 5), practitioner_id="sw")
TEAM_CASE = Relationship("P1", RelationshipKind.OPEN_CASE, date(2026, 1, 5), team="Assessment team")


def test_the_practitioner_may_end_their_own_relationship() -> None:
    assert why_not_end(CASE, SOCIAL_WORKER, None) is None


def test_a_managing_role_in_the_same_organisation_may_end_a_colleagues() -> None:
    assert why_not_end(CASE, TEAM_MANAGER, SOCIAL_WORKER) is None


def test_a_colleague_without_a_managing_role_may_not() -> None:
    why = why_not_end(CASE, MASH_OFFICER, SOCIAL_WORKER)
    assert why is not None and "colleague" in why


def test_another_agency_may_not_even_with_a_managing_role() -> None:
    why = why_not_end(CASE, OTHER_AGENCY_DSL, SOCIAL_WORKER)
    assert why is not None and "practitioner at CSCN" in why


def test_a_teams_relationship_is_ended_only_by_a_member_of_the_team() -> None:
    assert why_not_end(TEAM_CASE, SOCIAL_WORKER, None) is None
    why = why_not_end(TEAM_CASE, MASH_OFFICER, None)
    assert why is not None and "team 'Assessment team'" in why


def test_an_inactive_account_may_not_end_even_its_own() -> None:
    why = why_not_end(CASE, replace(SOCIAL_WORKER, active=False), None)
    assert why == "Your account is not active"


def test_a_relationship_whose_practitioner_has_no_account_is_left_to_operators() -> None:
    why = why_not_end(CASE, TEAM_MANAGER, None)
    assert why is not None and "no longer has an account" in why
