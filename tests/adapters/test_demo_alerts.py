"""The demo's early alerts: the built-in rules and people in watched situations, planted once."""

from __future__ import annotations

from datetime import date

from sharewell.adapters.synthetic.alerts import HOW_MANY, _people_known_to, plant_demo_alerts
from sharewell.config import Settings
from sharewell.domain.alerts import TEMPLATES, Situation
from tests.disclosure_fixtures import demo_partnership


def test_demo_alert_rules_and_situations_are_planted_once(settings: Settings) -> None:
    container, _ = demo_partnership(settings)
    try:
        planted = plant_demo_alerts(
            container.engine, container.alerts, container.audit, since=date(2026, 1, 5)
        )
        assert 0 < planted <= 2 * HOW_MANY
        assert len(container.alerts.rules()) == len(TEMPLATES)
        again = plant_demo_alerts(
            container.engine, container.alerts, container.audit, since=date(2026, 1, 5)
        )
        assert again == planted
        assert len(container.alerts.rules()) == len(TEMPLATES)
    finally:
        container.close()


def test_children_on_a_plan_are_allocated_to_the_demo_social_worker(settings: Settings) -> None:
    container, _ = demo_partnership(settings)
    try:
        since = date(2026, 1, 5)
        plant_demo_alerts(container.engine, container.alerts, container.audit, since=since)
        child = _people_known_to(container.engine, "ACU", born_after=since.year - 17)[0]
        [entry] = [
            e
            for e in container.alerts.situations_of(child)
            if e.situation is Situation.CHILD_PROTECTION_PLAN
        ]
        assert entry.practitioner_id == "demo-sw-cscn" and entry.org_code == "CSCN"
    finally:
        container.close()
