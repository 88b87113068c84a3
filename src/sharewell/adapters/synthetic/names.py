"""UK name pools (from Faker's en_GB lists), nicknames and the typing slips agencies make.

Faker is consulted once, when the pools are built: per-row Faker calls are far too slow for
100,000 people, so the generator draws from these pools with its own seeded `random.Random`.
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from dataclasses import dataclass
from functools import lru_cache

from faker.providers.person.en_GB import Provider as PersonProvider


@dataclass(frozen=True, slots=True)
class NamePools:
    """Given names by sex and weighted family names, ready for fast seeded draws."""

    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]
    family_cum_weights: tuple[float, ...]

    def family_name(self, rng: random.Random) -> str:
        """A family name, common ones more often (Faker's weights)."""
        cum = self.family_cum_weights
        return self.family[bisect(cum, rng.random() * cum[-1])]

    def given_name(self, rng: random.Random, sex: str) -> str:
        """A given name for `sex` ("female" or "male")."""
        pool = self.female if sex == "female" else self.male
        return pool[int(rng.random() * len(pool))]  # cheaper than randrange, as even


@lru_cache(maxsize=1)
def name_pools() -> NamePools:
    """The pools, built once per process; sorted so the order never depends on Faker internals."""
    female = tuple(sorted(set(PersonProvider.first_names_female)))
    male = tuple(sorted(set(PersonProvider.first_names_male)))
    weighted = sorted(dict(PersonProvider.last_names).items())
    family = tuple(name for name, _ in weighted)
    cum = tuple(itertools.accumulate(float(w) for _, w in weighted))
    return NamePools(female=female, male=male, family=family, family_cum_weights=cum)


# Everyday short forms people give (or agencies write) instead of the registered given name.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Abigail": ("Abbie", "Abby"),
    "Albert": ("Bert", "Alby"),
    "Alexander": ("Alex", "Xander"),
    "Alexandra": ("Alex", "Lexi"),
    "Amelia": ("Millie", "Amy"),
    "Andrew": ("Andy", "Drew"),
    "Anthony": ("Tony", "Ant"),
    "Benjamin": ("Ben", "Benji"),
    "Bernard": ("Bernie",),
    "Catherine": ("Cathy", "Kate"),
    "Charlotte": ("Charlie", "Lottie"),
    "Christine": ("Chris", "Chrissie"),
    "Christopher": ("Chris", "Kit"),
    "Daniel": ("Dan", "Danny"),
    "David": ("Dave", "Davy"),
    "Deborah": ("Debbie", "Deb"),
    "Donald": ("Don",),
    "Dorothy": ("Dot", "Dotty"),
    "Edward": ("Ed", "Ted", "Eddie"),
    "Eleanor": ("Ellie", "Nell"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Emily": ("Em", "Emmy"),
    "Frances": ("Fran",),
    "Frederick": ("Fred", "Freddie"),
    "Gerald": ("Gerry",),
    "Gregory": ("Greg",),
    "Henry": ("Harry", "Hal"),
    "Isabella": ("Bella", "Izzy"),
    "Isabelle": ("Izzy", "Belle"),
    "Jacob": ("Jake",),
    "Jacqueline": ("Jackie",),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Jennifer": ("Jen", "Jenny"),
    "Jessica": ("Jess",),
    "Joanne": ("Jo",),
    "John": ("Jack", "Johnny"),
    "Jonathan": ("Jon", "Jonny"),
    "Joseph": ("Joe", "Joey"),
    "Josephine": ("Jo", "Josie"),
    "Joshua": ("Josh",),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Kenneth": ("Ken", "Kenny"),
    "Lawrence": ("Larry", "Laurie"),
    "Leonard": ("Len", "Lenny"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Matthew": ("Matt",),
    "Michael": ("Mike", "Mick", "Mikey"),
    "Nicholas": ("Nick", "Nicky"),
    "Nicola": ("Nicky",),
    "Oliver": ("Ollie",),
    "Patricia": ("Pat", "Trish"),
    "Peter": ("Pete",),
    "Philip": ("Phil",),
    "Raymond": ("Ray",),
    "Rebecca": ("Becky", "Becca"),
    "Richard": ("Rich", "Richie", "Dick"),
    "Robert": ("Bob", "Rob", "Bobby"),
    "Ronald": ("Ron", "Ronnie"),
    "Samantha": ("Sam", "Sammy"),
    "Samuel": ("Sam", "Sammy"),
    "Sandra": ("Sandy",),
    "Stephen": ("Steve",),
    "Steven": ("Steve",),
    "Susan": ("Sue", "Susie"),
    "Terence": ("Terry",),
    "Theodore": ("Theo", "Ted"),
    "Thomas": ("Tom", "Tommy"),
    "Timothy": ("Tim",),
    "Victoria": ("Vicky", "Tori"),
    "William": ("Bill", "Will", "Billy"),
    "Zachary": ("Zac", "Zach"),
}

# Neighbouring keys on a UK keyboard, for substitution slips.
_NEIGHBOURS: dict[str, str] = {
    "a": "qsz",
    "b": "vn",
    "c": "xv",
    "d": "sfe",
    "e": "wrd",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "i": "uo",
    "j": "hku",
    "k": "jli",
    "l": "kp",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "ol",
    "q": "wa",
    "r": "et",
    "s": "adw",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "x": "zc",
    "y": "tu",
    "z": "x",
}


def nickname(rng: random.Random, given_name: str) -> str | None:
    """A short form of `given_name`, or None when it has no common one."""
    forms = NICKNAMES.get(given_name)
    if not forms:
        return None
    return forms[rng.randrange(len(forms))]


def typo(rng: random.Random, name: str) -> str:
    """`name` with one slip: two letters swapped, one dropped, doubled or a neighbouring key."""
    if len(name) < 3:
        return name + name[-1]
    # Slips rarely touch the first letter, which people check.
    i = rng.randrange(1, len(name) - 1)
    kind = rng.randrange(4)
    if kind == 0 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    keys = _NEIGHBOURS.get(name[i].lower())
    if not keys:
        return name[:i] + name[i + 1 :]
    return name[:i] + keys[rng.randrange(len(keys))] + name[i + 1 :]
