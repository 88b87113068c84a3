"""The demo sign-ins: the one list the CLI, the web app's demo mode and the tests read.

Every demo account shares DEMO_PASSWORD, printed by `sharewell demo` (demo mode only). A few
accounts are deliberately awkward (a leaver, out-of-date or missing training) so that the
access rules' denials can be shown as well as their permits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sharewell.domain.organisations import Practitioner
from sharewell.domain.vocabulary import Role

DEMO_PASSWORD = "anyshire-demo-2026"
TRAINING_MODULE = "golden-rules"
DEMO_DOMAIN = "anyshire.example"


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One demo practitioner; `trained_days_ago` None means never trained."""

    local: str
    org_code: str
    role: Role
    name: str
    team: str | None = None
    trained_days_ago: int | None = 21
    active: bool = True
    manager: str | None = None  # the `local@org` key of their manager
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.local}@{self.org_code.lower()}"

    @property
    def id(self) -> str:
        return f"demo-{self.local}-{self.org_code.lower()}"

    @property
    def email(self) -> str:
        return f"{self.local}@{self.org_code.lower()}.{DEMO_DOMAIN}"


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("dsl", "SCH1", Role.DESIGNATED_SAFEGUARDING_LEAD, "Dana Shah", "Safeguarding"),
    DemoAccount("teacher", "SCH1", Role.TEACHER, "Tom Ellis", "Year 4", manager="dsl@sch1"),
    DemoAccount("dsl", "SCH6", Role.DESIGNATED_SAFEGUARDING_LEAD, "Priya Nair", "Pastoral"),
    DemoAccount("tm", "CSCN", Role.TEAM_MANAGER, "Helen Brooks", "Assessment team"),
    DemoAccount(
        "sw", "CSCN", Role.SOCIAL_WORKER, "Sam Okafor", "Assessment team", manager="tm@cscn"
    ),
    DemoAccount("sw", "CSCS", Role.SOCIAL_WORKER, "Ayesha Khan", "Child protection team"),
    DemoAccount("mash", "CSCN", Role.MASH_OFFICER, "Lena Kowalski", "MASH"),
    DemoAccount("eh", "EHN", Role.EARLY_HELP_PRACTITIONER, "Rosie Marsh", "Family hub"),
    DemoAccount("gp", "GP1", Role.GP, "Dr Amir Rahman"),
    DemoAccount("officer", "POL", Role.POLICE_OFFICER, "PC Jo Lambert", "Neighbourhood policing"),
    DemoAccount(
        "ppu", "POL", Role.PUBLIC_PROTECTION_OFFICER, "DS Kerry Walsh", "Public protection unit"
    ),
    DemoAccount("clinician", "ACU", Role.HOSPITAL_CLINICIAN, "Dr Ruth Adeyemi", "Emergency dept"),
    DemoAccount("carecoord", "MHT", Role.CARE_COORDINATOR, "Mark Fenwick", "Community MH team"),
    DemoAccount("paramedic", "AMB", Role.PARAMEDIC, "Lee Dawson"),
    DemoAccount("housing", "HSG1", Role.HOUSING_OFFICER, "Neil Carter", "Tenancy services"),
    DemoAccount("yjs", "YJS", Role.YOUTH_JUSTICE_WORKER, "Kemi Ade"),
    DemoAccount("ig", "POL", Role.IG_LEAD, "Graham Hart", "Information management"),
    DemoAccount("ig", "SCH1", Role.IG_LEAD, "Anne Price", "School office"),
    DemoAccount("ig", "CSCN", Role.IG_LEAD, "Marcus Bell", "Information governance"),
    DemoAccount("ig", "GP1", Role.IG_LEAD, "Fiona Reid", "Practice management"),
    DemoAccount("analyst", "CSCS", Role.ANALYST, "Chloe Grant", "Partnership insight"),
    DemoAccount("lead", "CSCN", Role.PARTNERSHIP_LEAD, "Patrick O'Neill", "Partnership board"),
    DemoAccount(
        "teacher",
        "SCH2",
        Role.TEACHER,
        "Ben Holt",
        "Year 6",
        trained_days_ago=430,
        note="training out of date",
    ),
    DemoAccount(
        "newstarter",
        "SCH2",
        Role.TEACHER,
        "Maya Lowe",
        "Reception",
        trained_days_ago=None,
        note="not yet trained",
    ),
    DemoAccount(
        "leaver", "SCH1", Role.TEACHER, "Chris Dale", "Year 2", active=False, note="has left"
    ),
)


def demo_practitioners(as_of: date) -> list[Practitioner]:
    """The demo accounts as practitioners, training dated relative to `as_of`."""
    ids = {a.key: a.id for a in DEMO_ACCOUNTS}
    result = []
    for account in DEMO_ACCOUNTS:
        training = (
            {}
            if account.trained_days_ago is None
            else {TRAINING_MODULE: as_of - timedelta(days=account.trained_days_ago)}
        )
        result.append(
            Practitioner(
                id=account.id,
                org_code=account.org_code,
                name=account.name,
                email=account.email,
                role=account.role,
                active=account.active,
                team=account.team,
                manager_id=ids[account.manager] if account.manager else None,
                training=training,
            )
        )
    return result
