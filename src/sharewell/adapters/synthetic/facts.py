"""How each synthetic agency writes up one fact: its detail fields, place and sensitivity.

One small function per fact code. Each gets the context of the person and record (a seeded
`random.Random`, where they live, their age) plus anything the generator planned (a time, a
place, a role in a domestic abuse incident), and returns what the fact row needs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sharewell.adapters.synthetic import vocabulary as words
from sharewell.adapters.synthetic.geography import jitter

Point = tuple[float, float]


@dataclass(slots=True)
class Context:
    """The person and record a fact is about, as the fact writers need them."""

    rng: random.Random
    home: Point
    age: int
    flags: list[str]
    academic_year: str
    day_before_as_of: float  # timestamp
    moved_in: float  # timestamp

    def near_home(self) -> Point:
        """Half of incidents happen at home, the rest within a kilometre or so."""
        if self.rng.random() < 0.5:
            return self.home
        return jitter(self.rng, self.home[0], self.home[1], 0.6)

    def pick(self, options: tuple[str, ...]) -> str:
        # random() scaled is several times cheaper than randrange() and just as even here.
        return options[int(self.rng.random() * len(options))]


@dataclass(frozen=True, slots=True)
class Written:
    """A fact's detail, where it happened, how sensitive it is and (if fixed) when."""

    detail: dict[str, str]
    where: Point | None = None
    sensitivity: str = "normal"
    at: float | None = None


Writer = Callable[[Context, dict[str, Any]], Written]


def _domestic_abuse(c: Context, extra: dict[str, Any]) -> Written:
    role = extra.get("role") or c.pick(("victim", "victim", "perpetrator"))
    children = extra["children"] if "children" in extra else c.rng.random() < 0.4
    detail = {
        "incident_type": "domestic_abuse",
        "victim_role": role,
        "risk_level": extra.get("risk") or c.pick(("standard", "standard", "medium", "high")),
        "children_present": "yes" if children else "no",
        "officer_notes": c.pick(words.DA_NOTES),
        "crime_reference": extra.get("reference")
        or f"AY/{c.rng.randint(10000, 99999)}/{c.rng.randint(20, 26)}",
    }
    return Written(detail, extra.get("where") or c.home, "sensitive")


def _anti_social_behaviour(c: Context, extra: dict[str, Any]) -> Written:
    role = extra.get("role") or ("suspect" if c.rng.random() < 0.6 else "complainant")
    detail = {
        "incident_type": "anti_social_behaviour",
        "role": role,
        "officer_notes": c.pick(words.ASB_NOTES),
    }
    return Written(detail, extra.get("where") or c.near_home())


def _concern_for_welfare(c: Context, extra: dict[str, Any]) -> Written:
    detail = {"incident_type": "concern_for_welfare", "officer_notes": c.pick(words.WELFARE_NOTES)}
    return Written(detail, extra.get("where") or c.near_home())


def _missing_person(c: Context, extra: dict[str, Any]) -> Written:
    detail = {
        "incident_type": "missing_person",
        "risk_level": c.pick(("low", "medium", "high")),
        "found": "yes",
    }
    return Written(detail, extra.get("where") or c.near_home(), "sensitive")


def _crime_report(c: Context, extra: dict[str, Any]) -> Written:
    detail = {"incident_type": "crime", "offence": c.pick(words.OFFENCES), "victim_role": "victim"}
    return Written(detail, extra.get("where") or c.near_home())


def _arrest(c: Context, extra: dict[str, Any]) -> Written:
    detail = {
        "incident_type": "arrest",
        "offence": c.pick(words.OFFENCES),
        "outcome": c.pick(words.ARREST_OUTCOMES),
    }
    # A few arrests are sealed while an investigation is live.
    sensitivity = "sealed" if c.rng.random() < 0.03 else "normal"
    return Written(detail, extra.get("where") or c.near_home(), sensitivity)


def _drug_offence(c: Context, extra: dict[str, Any]) -> Written:
    detail = {
        "incident_type": "drugs",
        "offence": c.pick(words.DRUG_OFFENCES),
        "outcome": c.pick(words.ARREST_OUTCOMES),
    }
    return Written(detail, extra.get("where") or c.near_home())


def _ae_attendance(c: Context, _extra: dict[str, Any]) -> Written:
    return Written(
        {
            "presenting_complaint": c.pick(words.COMPLAINTS),
            "arrival_mode": "ambulance" if c.rng.random() < 0.3 else "walk-in",
            "discharge": c.pick(("home", "home", "admitted", "left before being seen")),
        }
    )


def _inpatient_admission(c: Context, _extra: dict[str, Any]) -> Written:
    return Written(
        {
            "specialty": c.pick(words.SPECIALTIES),
            "length_of_stay_days": str(c.rng.randint(1, 21)),
        }
    )


def _ambulance_callout(c: Context, extra: dict[str, Any]) -> Written:
    detail = {
        "call_category": c.pick(("C1", "C2", "C2", "C3", "C4")),
        "reason": extra.get("reason") or c.pick(words.CALL_REASONS),
        "outcome": c.pick(("conveyed to hospital", "treated at scene", "referred")),
    }
    return Written(detail, extra.get("where") or c.near_home())


def _gp_consultation(c: Context, _extra: dict[str, Any]) -> Written:
    return Written(
        {
            "reason": c.pick(words.GP_REASONS),
            "clinician": "GP" if c.rng.random() < 0.7 else "practice nurse",
        }
    )


def _was_not_brought(c: Context, _extra: dict[str, Any]) -> Written:
    return Written({"appointment_type": c.pick(("immunisation", "review", "dental"))})


def _mental_health_contact(c: Context, _extra: dict[str, Any]) -> Written:
    detail = {
        "team": "CAMHS" if c.age < 18 else c.pick(words.MH_TEAMS),
        "contact_type": c.pick(("face to face", "telephone", "video")),
        "risk_level": c.pick(("low", "low", "medium", "high")),
    }
    return Written(detail, sensitivity="sensitive")


def _crisis_assessment(c: Context, _extra: dict[str, Any]) -> Written:
    detail = {"outcome": c.pick(("home treatment", "informal admission", "detained"))}
    return Written(detail, sensitivity="sensitive")


def _attendance_summary(c: Context, _extra: dict[str, Any]) -> Written:
    if "low_attendance" in c.flags:
        percent = c.rng.uniform(62, 84.9)
    else:
        percent = min(100.0, c.rng.gauss(95, 3.5))
    detail = {
        "academic_year": c.academic_year,
        "attendance_percent": f"{percent:.1f}",
        "persistent_absence": "yes" if percent < 90 else "no",  # the DfE threshold
    }
    return Written(detail, at=c.day_before_as_of)


def _exclusion(c: Context, _extra: dict[str, Any]) -> Written:
    permanent = c.rng.random() < 0.05
    return Written(
        {
            "exclusion_type": "permanent" if permanent else "suspension",
            "days": "" if permanent else str(c.rng.randint(1, 5)),
            "reason": c.pick(words.EXCLUSION_REASONS),
        }
    )


def _school_concern(c: Context, _extra: dict[str, Any]) -> Written:
    detail = {
        "concern": c.pick(words.SCHOOL_CONCERNS),
        "action": c.pick(("monitoring", "referred to MASH", "early help offered")),
    }
    return Written(detail, sensitivity="sensitive")


def _referral(c: Context, extra: dict[str, Any]) -> Written:
    return Written(
        {
            "source": extra.get("source") or c.pick(words.REFERRAL_SOURCES),
            "outcome": c.pick(("assessment", "no further action", "early help")),
        }
    )


def _child_in_need_plan(c: Context, _extra: dict[str, Any]) -> Written:
    return Written({"status": "open" if c.rng.random() < 0.6 else "closed"})


def _child_protection_plan(c: Context, _extra: dict[str, Any]) -> Written:
    detail = {
        "status": "open" if c.rng.random() < 0.6 else "closed",
        "category_of_abuse": c.pick(words.ABUSE_CATEGORIES),
    }
    return Written(detail, sensitivity="sensitive")


def _care_assessment(c: Context, _extra: dict[str, Any]) -> Written:
    return Written(
        {
            "need": c.pick(words.CARE_NEEDS),
            "outcome": c.pick(("care package", "equipment", "signposted")),
        }
    )


def _adult_safeguarding(c: Context, _extra: dict[str, Any]) -> Written:
    detail = {
        "abuse_type": c.pick(words.ADULT_ABUSE),
        "section_42_enquiry": "yes" if c.rng.random() < 0.4 else "no",
    }
    return Written(detail, sensitivity="sensitive")


def _early_help_assessment(c: Context, _extra: dict[str, Any]) -> Written:
    return Written(
        {
            "needs": c.pick(("parenting", "school attendance", "housing", "finances")),
            "lead_professional": c.pick(("school", "health visitor", "family worker")),
        }
    )


def _tenancy_start(c: Context, _extra: dict[str, Any]) -> Written:
    return Written({"tenancy_type": c.pick(("secure", "assured", "starter"))}, at=c.moved_in)


def _rent_arrears(c: Context, _extra: dict[str, Any]) -> Written:
    return Written(
        {
            "arrears_gbp": str(c.rng.randint(150, 4200)),
            "stage": c.pick(("reminder letter", "notice of seeking possession", "court")),
        }
    )


def _asb_report(c: Context, extra: dict[str, Any]) -> Written:
    detail = {
        "asb_type": c.pick(words.ASB_TYPES),
        "role": extra.get("role") or c.pick(("perpetrator", "complainant")),
    }
    return Written(detail, c.home)


def _youth_justice(c: Context, _extra: dict[str, Any]) -> Written:
    detail = {"disposal": c.pick(words.DISPOSALS), "offence": c.pick(words.OFFENCES)}
    return Written(detail, c.near_home(), "sensitive")


def _support_contact(c: Context, extra: dict[str, Any]) -> Written:
    return Written(
        {
            "service": extra.get("service") or c.pick(words.SUPPORT_SERVICES),
            "contact_type": c.pick(("drop-in", "telephone", "home visit")),
        }
    )


WRITERS: dict[str, Writer] = {
    "domestic_abuse_incident": _domestic_abuse,
    "anti_social_behaviour": _anti_social_behaviour,
    "concern_for_welfare": _concern_for_welfare,
    "missing_person": _missing_person,
    "crime_report": _crime_report,
    "arrest": _arrest,
    "drug_offence": _drug_offence,
    "ae_attendance": _ae_attendance,
    "inpatient_admission": _inpatient_admission,
    "ambulance_callout": _ambulance_callout,
    "gp_consultation": _gp_consultation,
    "was_not_brought": _was_not_brought,
    "mental_health_contact": _mental_health_contact,
    "mental_health_crisis_assessment": _crisis_assessment,
    "attendance_summary": _attendance_summary,
    "exclusion": _exclusion,
    "safeguarding_concern": _school_concern,
    "referral": _referral,
    "child_in_need_plan": _child_in_need_plan,
    "child_protection_plan": _child_protection_plan,
    "care_assessment": _care_assessment,
    "adult_safeguarding_concern": _adult_safeguarding,
    "early_help_assessment": _early_help_assessment,
    "tenancy_start": _tenancy_start,
    "rent_arrears": _rent_arrears,
    "anti_social_behaviour_report": _asb_report,
    "youth_justice_disposal": _youth_justice,
    "support_contact": _support_contact,
}
