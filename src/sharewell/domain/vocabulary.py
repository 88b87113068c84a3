"""The partnership's shared vocabulary: codes are stable, labels are plain English.

Never rename a code once used: agreements, audit entries and API clients depend on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from sharewell.domain.errors import ValidationError


class OrganisationKind(StrEnum):
    """What sort of organisation a partner is."""

    LOCAL_AUTHORITY_CHILDRENS = "local_authority_childrens"
    LOCAL_AUTHORITY_ADULTS = "local_authority_adults"
    EARLY_HELP = "early_help"
    POLICE = "police"
    GP_PRACTICE = "gp_practice"
    ACUTE_TRUST = "acute_trust"
    MENTAL_HEALTH_TRUST = "mental_health_trust"
    COMMUNITY_HEALTH = "community_health"
    AMBULANCE = "ambulance"
    SCHOOL = "school"
    HOUSING = "housing"
    PROBATION = "probation"
    YOUTH_JUSTICE = "youth_justice"
    VOLUNTARY_SECTOR = "voluntary_sector"

    @property
    def label(self) -> str:
        return _ORG_KIND_LABELS[self]


_ORG_KIND_LABELS = {
    OrganisationKind.LOCAL_AUTHORITY_CHILDRENS: "Children's social care",
    OrganisationKind.LOCAL_AUTHORITY_ADULTS: "Adult social care",
    OrganisationKind.EARLY_HELP: "Early help",
    OrganisationKind.POLICE: "Police",
    OrganisationKind.GP_PRACTICE: "GP practice",
    OrganisationKind.ACUTE_TRUST: "Hospital (acute trust)",
    OrganisationKind.MENTAL_HEALTH_TRUST: "Mental health trust",
    OrganisationKind.COMMUNITY_HEALTH: "Community health",
    OrganisationKind.AMBULANCE: "Ambulance service",
    OrganisationKind.SCHOOL: "School",
    OrganisationKind.HOUSING: "Housing provider",
    OrganisationKind.PROBATION: "Probation service",
    OrganisationKind.YOUTH_JUSTICE: "Youth justice service",
    OrganisationKind.VOLUNTARY_SECTOR: "Voluntary organisation",
}


class Role(StrEnum):
    """A practitioner's role, as agreements name recipients."""

    DESIGNATED_SAFEGUARDING_LEAD = "designated_safeguarding_lead"
    TEACHER = "teacher"
    SOCIAL_WORKER = "social_worker"
    TEAM_MANAGER = "team_manager"
    EARLY_HELP_PRACTITIONER = "early_help_practitioner"
    GP = "gp"
    PRACTICE_NURSE = "practice_nurse"
    HOSPITAL_CLINICIAN = "hospital_clinician"
    SAFEGUARDING_NURSE = "safeguarding_nurse"
    MENTAL_HEALTH_PRACTITIONER = "mental_health_practitioner"
    CARE_COORDINATOR = "care_coordinator"
    PARAMEDIC = "paramedic"
    POLICE_OFFICER = "police_officer"
    PUBLIC_PROTECTION_OFFICER = "public_protection_officer"
    HOUSING_OFFICER = "housing_officer"
    PROBATION_OFFICER = "probation_officer"
    YOUTH_JUSTICE_WORKER = "youth_justice_worker"
    SUPPORT_WORKER = "support_worker"
    MASH_OFFICER = "mash_officer"
    IG_LEAD = "ig_lead"
    ANALYST = "analyst"
    PARTNERSHIP_LEAD = "partnership_lead"

    @property
    def label(self) -> str:
        return (
            self.value.replace("_", " ")
            .capitalize()
            .replace("Gp", "GP")
            .replace("Ig lead", "Information governance lead")
            .replace("Mash", "MASH")
        )


class Purpose(StrEnum):
    """Why information is asked for; every request and audit entry carries one."""

    DIRECT_CARE = "direct_care"
    SAFEGUARDING_CHILDREN = "safeguarding_children"
    SAFEGUARDING_ADULTS = "safeguarding_adults"
    EARLY_HELP = "early_help"
    CARE_COORDINATION = "care_coordination"
    MENTAL_HEALTH_CRISIS = "mental_health_crisis"
    CRIME_PREVENTION = "crime_prevention"
    PLANNING_RESEARCH = "planning_research"

    @property
    def label(self) -> str:
        return _PURPOSE_LABELS[self]


_PURPOSE_LABELS = {
    Purpose.DIRECT_CARE: "direct care",
    Purpose.SAFEGUARDING_CHILDREN: "safeguarding children",
    Purpose.SAFEGUARDING_ADULTS: "safeguarding adults",
    Purpose.EARLY_HELP: "early help",
    Purpose.CARE_COORDINATION: "care coordination",
    Purpose.MENTAL_HEALTH_CRISIS: "a mental health crisis",
    Purpose.CRIME_PREVENTION: "preventing crime",
    Purpose.PLANNING_RESEARCH: "planning and research",
}


class DataCategory(StrEnum):
    """A kind of information an agency holds about a person."""

    DEMOGRAPHICS = "demographics"
    CONTACT = "contact"
    HOUSEHOLD = "household"
    HEALTH = "health"
    MENTAL_HEALTH = "mental_health"
    SOCIAL_CARE = "social_care"
    EDUCATION = "education"
    CRIMINAL_OFFENCE = "criminal_offence"
    POLICE_INTELLIGENCE = "police_intelligence"
    HOUSING = "housing"
    FINANCIAL = "financial"
    RISK_TO_STAFF = "risk_to_staff"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")

    @property
    def special_category(self) -> bool:
        """UK GDPR Article 9 special category data."""
        return self in (DataCategory.HEALTH, DataCategory.MENTAL_HEALTH)

    @property
    def criminal_offence(self) -> bool:
        """UK GDPR Article 10 criminal offence data."""
        return self in (DataCategory.CRIMINAL_OFFENCE, DataCategory.POLICE_INTELLIGENCE)


class IncidentType(StrEnum):
    """What kind of incident the police attended, as recorded on an incident report."""

    DOMESTIC_ABUSE = "domestic_abuse"
    ANTI_SOCIAL_BEHAVIOUR = "anti_social_behaviour"
    CONCERN_FOR_WELFARE = "concern_for_welfare"
    MISSING_PERSON = "missing_person"
    CRIME = "crime"

    @property
    def label(self) -> str:
        return _INCIDENT_LABELS[self]


_INCIDENT_LABELS = {
    IncidentType.DOMESTIC_ABUSE: "Domestic abuse",
    IncidentType.ANTI_SOCIAL_BEHAVIOUR: "Anti-social behaviour",
    IncidentType.CONCERN_FOR_WELFARE: "Concern for someone's welfare",
    IncidentType.MISSING_PERSON: "Missing person",
    IncidentType.CRIME: "A crime",
}


class ConsentModel(StrEnum):
    """How an agreement flow treats the person's consent."""

    EXPLICIT = "explicit"
    IMPLIED = "implied"
    NOT_REQUIRED = "not_required"

    @property
    def label(self) -> str:
        return _CONSENT_LABELS[self]


_CONSENT_LABELS = {
    ConsentModel.EXPLICIT: "only with the person's explicit consent for this purpose and recipient",
    ConsentModel.IMPLIED: "under implied consent for direct care, unless the person has refused",
    ConsentModel.NOT_REQUIRED: "without needing consent, because a statutory gateway applies",
}


class LegalBasisKind(StrEnum):
    """Which part of the law a basis comes from."""

    ARTICLE6 = "article6"
    ARTICLE9 = "article9"
    CONDITION = "condition"
    GATEWAY = "gateway"


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """One lawful basis, condition or statutory gateway, with its citation text."""

    kind: LegalBasisKind
    code: str
    label: str
    citation: str


_BASES = [
    LegalBasis(
        LegalBasisKind.ARTICLE6,
        "6(1)(a)",
        "consent",
        "UK GDPR Article 6(1)(a): the data subject has given consent",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE6,
        "6(1)(b)",
        "contract",
        "UK GDPR Article 6(1)(b): necessary for a contract with the data subject",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE6,
        "6(1)(c)",
        "legal obligation",
        "UK GDPR Article 6(1)(c): necessary for compliance with a legal obligation",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE6,
        "6(1)(d)",
        "vital interests",
        "UK GDPR Article 6(1)(d): necessary to protect someone's vital interests",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE6,
        "6(1)(e)",
        "public task",
        "UK GDPR Article 6(1)(e): necessary for a task in the public interest or in the "
        "exercise of official authority",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE6,
        "6(1)(f)",
        "legitimate interests",
        "UK GDPR Article 6(1)(f): necessary for legitimate interests",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE6,
        "6(1)(ea)",
        "recognised legitimate interest",
        "UK GDPR Article 6(1)(ea) and Annex 1: the recognised legitimate interest in "
        "safeguarding vulnerable individuals",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE9,
        "9(2)(a)",
        "explicit consent",
        "UK GDPR Article 9(2)(a): explicit consent",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE9,
        "9(2)(b)",
        "employment and social protection",
        "UK GDPR Article 9(2)(b): obligations in employment, social security and social "
        "protection law",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE9,
        "9(2)(c)",
        "vital interests",
        "UK GDPR Article 9(2)(c): vital interests where the person cannot consent",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE9,
        "9(2)(g)",
        "substantial public interest",
        "UK GDPR Article 9(2)(g): reasons of substantial public interest",
    ),
    LegalBasis(
        LegalBasisKind.ARTICLE9,
        "9(2)(h)",
        "health or social care",
        "UK GDPR Article 9(2)(h): preventive or occupational medicine, medical diagnosis, "
        "the provision of health or social care or treatment",
    ),
    LegalBasis(
        LegalBasisKind.CONDITION,
        "DPA2018 Sch1 para 2",
        "health or social care purposes",
        "Data Protection Act 2018 Schedule 1 paragraph 2: health or social care purposes",
    ),
    LegalBasis(
        LegalBasisKind.CONDITION,
        "DPA2018 Sch1 para 6",
        "statutory purposes",
        "Data Protection Act 2018 Schedule 1 paragraph 6: statutory and government purposes",
    ),
    LegalBasis(
        LegalBasisKind.CONDITION,
        "DPA2018 Sch1 para 10",
        "preventing or detecting crime",
        "Data Protection Act 2018 Schedule 1 paragraph 10: preventing or detecting unlawful acts",
    ),
    LegalBasis(
        LegalBasisKind.CONDITION,
        "DPA2018 Sch1 para 18",
        "safeguarding",
        "Data Protection Act 2018 Schedule 1 paragraph 18: safeguarding of children and of "
        "individuals at risk",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Children Act 1989 s.17",
        "children in need",
        "Children Act 1989 section 17: the duty to safeguard and promote the welfare of "
        "children in need",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Children Act 1989 s.47",
        "child protection enquiries",
        "Children Act 1989 section 47: the duty to make enquiries where a child may be "
        "suffering significant harm",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Children Act 2004 s.10",
        "co-operation for well-being",
        "Children Act 2004 section 10: co-operation to improve the well-being of children",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Children Act 2004 s.11",
        "safeguarding duty",
        "Children Act 2004 section 11: the duty to safeguard and promote the welfare of children",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Care Act 2014 s.42",
        "adult safeguarding enquiries",
        "Care Act 2014 section 42: enquiries by a local authority into abuse or neglect of "
        "an adult at risk",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Care Act 2014 s.45",
        "safeguarding adults boards",
        "Care Act 2014 section 45: the duty to supply information to a Safeguarding Adults Board",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Crime and Disorder Act 1998 s.115",
        "crime and disorder",
        "Crime and Disorder Act 1998 section 115: disclosure of information to reduce crime "
        "and disorder",
    ),
    LegalBasis(
        LegalBasisKind.GATEWAY,
        "Health and Social Care Act 2012 s.251B",
        "duty to share for individual care",
        "Health and Social Care Act 2012 section 251B: the duty to share information for "
        "an individual's direct care",
    ),
]

LEGAL_BASES: dict[str, LegalBasis] = {b.code: b for b in _BASES}


def legal_basis(
    code: str, *, kind: LegalBasisKind | None = None, field: str = "legal_basis"
) -> LegalBasis:
    """Look up a legal basis by its code, or raise a ValidationError naming the field."""
    basis = LEGAL_BASES.get(code)
    if basis is None or (kind is not None and basis.kind is not kind):
        known = ", ".join(b.code for b in _BASES if kind is None or b.kind is kind)
        raise ValidationError(f"Unknown legal basis {code!r}. Known: {known}", field=field)
    return basis


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum: type[E], value: object, *, field: str) -> E:
    """Turn a code into its enum member, or raise a ValidationError naming field and choices."""
    try:
        return enum(str(value))
    except ValueError:
        choices = ", ".join(m.value for m in enum)
        raise ValidationError(
            f"Unknown {field.rsplit('.', 1)[-1].replace('_', ' ')} {value!r}. "
            f"Choose one of: {choices}",
            field=field,
        ) from None
