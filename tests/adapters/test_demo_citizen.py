"""The demo prints a citizen's details that the portal's identity check matches to one person."""

from __future__ import annotations

from sharewell.adapters.synthetic.citizens import demo_citizen
from sharewell.config import Settings
from sharewell.services.disclosure import PersonQuery
from tests.disclosure_fixtures import demo_partnership


def test_the_demo_citizen_is_matched_to_exactly_one_person(settings: Settings) -> None:
    container, _ = demo_partnership(settings)
    try:
        citizen = demo_citizen(container.engine)
        assert citizen is not None
        matched = container.disclosure.match_citizen(
            account_id="demo-test",
            query=PersonQuery(
                name=f"{citizen.given_name} {citizen.family_name}",
                date_of_birth=citizen.date_of_birth,
                postcode=citizen.postcode,
            ),
        )
        assert matched is not None
        person_id, details = matched
        assert details == ("family_name", "date_of_birth", "postcode")
        assert person_id
    finally:
        container.close()
