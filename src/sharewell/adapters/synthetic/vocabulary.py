"""Word lists for the synthetic agencies' facts: what they record and how they phrase it.

Fact codes are stable (the partnership's agreements, risk maps and tests name them).
"""

from __future__ import annotations

# code -> (data category, plain summary). Summaries never name the person.
FACT_CODES: dict[str, tuple[str, str]] = {
    "domestic_abuse_incident": ("criminal_offence", "Domestic abuse incident attended"),
    "anti_social_behaviour": ("police_intelligence", "Anti-social behaviour incident"),
    "concern_for_welfare": ("police_intelligence", "Concern for welfare call attended"),
    "missing_person": ("police_intelligence", "Reported missing; since found"),
    "crime_report": ("criminal_offence", "Victim of a reported crime"),
    "arrest": ("criminal_offence", "Arrested"),
    "drug_offence": ("criminal_offence", "Drug offence"),
    "ae_attendance": ("health", "Attended the emergency department"),
    "inpatient_admission": ("health", "Admitted to hospital"),
    "ambulance_callout": ("health", "Ambulance called"),
    "gp_consultation": ("health", "GP practice consultation"),
    "was_not_brought": ("health", "Child not brought to an appointment"),
    "mental_health_contact": ("mental_health", "Contact with mental health services"),
    "mental_health_crisis_assessment": ("mental_health", "Mental health crisis assessment"),
    "attendance_summary": ("education", "School attendance this academic year"),
    "exclusion": ("education", "Excluded from school"),
    "safeguarding_concern": ("education", "Safeguarding concern logged by school"),
    "referral": ("social_care", "Referral to children's social care"),
    "child_in_need_plan": ("social_care", "Child in need plan"),
    "child_protection_plan": ("social_care", "Child protection plan"),
    "care_assessment": ("social_care", "Adult social care needs assessment"),
    "adult_safeguarding_concern": ("social_care", "Adult safeguarding concern"),
    "early_help_assessment": ("social_care", "Early help assessment"),
    "tenancy_start": ("housing", "Tenancy started"),
    "rent_arrears": ("financial", "Rent arrears action"),
    "anti_social_behaviour_report": ("housing", "Anti-social behaviour report"),
    "youth_justice_disposal": ("criminal_offence", "Youth justice outcome"),
    "support_contact": ("social_care", "Support from a voluntary organisation"),
}

DA_NOTES = (
    "Neighbour reported shouting and banging. Both adults spoken to separately.",
    "999 call from the home; caller disconnected. Officers attended within 20 minutes.",
    "Verbal argument escalated; victim reports being pushed. Safety advice given.",
    "Ex-partner attended the address in breach of a non-molestation order.",
    "Third-party report from a family member. DASH risk assessment completed.",
    "Victim disclosed previous unreported incidents. Referral made to outreach.",
)
ASB_NOTES = (
    "Group of young people causing a nuisance and damaging property.",
    "Repeated noise complaints from neighbours.",
    "Verbal abuse directed at passers-by; dispersal notice considered.",
    "Fireworks thrown at a bus shelter.",
)
WELFARE_NOTES = (
    "Relative unable to contact the person for several days.",
    "Person found in distress in a public place; taken home safely.",
    "Call from a neighbour worried about an elderly resident.",
)
OFFENCES = ("theft", "burglary", "assault", "criminal damage", "shoplifting", "public order")
ARREST_OUTCOMES = ("charged", "released under investigation", "no further action", "cautioned")
DRUG_OFFENCES = ("possession of a class A drug", "possession with intent to supply")
COMPLAINTS = (
    "fall",
    "head injury",
    "chest pain",
    "breathing difficulty",
    "abdominal pain",
    "self-harm",
    "overdose",
    "fracture",
    "alcohol intoxication",
    "assault injury",
    "burn",
    "fever",
)
SPECIALTIES = ("general medicine", "orthopaedics", "paediatrics", "surgery", "elderly care")
CALL_REASONS = (
    "fall",
    "breathing problems",
    "chest pain",
    "mental health crisis",
    "injury",
    "overdose",
    "unconscious",
)
GP_REASONS = (
    "review of a long-term condition",
    "respiratory infection",
    "medication review",
    "low mood",
    "back pain",
    "immunisation",
    "skin problem",
    "anxiety",
    "blood pressure check",
    "child development check",
)
MH_TEAMS = ("Crisis team", "Community mental health team", "Talking therapies")
EXCLUSION_REASONS = (
    "persistent disruptive behaviour",
    "physical assault against a pupil",
    "verbal abuse against an adult",
    "drug and alcohol related",
)
SCHOOL_CONCERNS = (
    "child arrived hungry",
    "unexplained bruising",
    "disclosure of an argument at home",
    "worrying online contact",
)
REFERRAL_SOURCES = ("police", "school", "health", "family member", "anonymous")
ABUSE_CATEGORIES = ("neglect", "emotional abuse", "physical abuse", "sexual abuse")
CARE_NEEDS = ("personal care", "mobility", "dementia", "learning disability", "carer breakdown")
ADULT_ABUSE = ("neglect", "financial abuse", "physical abuse", "self-neglect")
ASB_TYPES = ("noise", "harassment", "vandalism", "drug dealing", "rubbish dumping")
DISPOSALS = (
    "youth caution",
    "youth conditional caution",
    "referral order",
    "youth rehabilitation order",
)
SUPPORT_SERVICES = (
    "domestic abuse outreach",
    "family support",
    "food bank",
    "debt advice",
    "young carers",
)
