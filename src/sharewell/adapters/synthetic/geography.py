"""The fictional geography of Anyshire: towns, the council boundary and the AY postcode area.

Anyshire lies on Dogger Bank in the North Sea, so no synthetic incident ever lands on a real
street. The boundary between North and South Anyshire is a gentle wave of latitude that runs
through the county town, Anyford, so several neighbourhoods (and some planted clusters) straddle
it. Everything here is drawn from a seeded `random.Random`: the same seed gives the same map.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass

NORTH = "North Anyshire"
SOUTH = "South Anyshire"
COUNCIL_AREAS = (NORTH, SOUTH)

# One kilometre in degrees at Anyshire's latitude (about 54.75 N).
KM_LAT = 1 / 111.2
KM_LON = 1 / (111.2 * math.cos(math.radians(54.75)))

_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in the inward code
_STREET_KINDS = (
    "Road",
    "Street",
    "Lane",
    "Close",
    "Avenue",
    "Drive",
    "Way",
    "Crescent",
    "Grove",
    "Gardens",
    "Terrace",
    "Place",
    "Court",
    "Walk",
    "Rise",
    "View",
    "Mews",
    "Row",
)
_STREET_STEMS = (
    "Church",
    "Mill",
    "Station",
    "Park",
    "Victoria",
    "Albert",
    "Queen's",
    "King's",
    "Chapel",
    "Market",
    "Bridge",
    "Orchard",
    "Meadow",
    "Willow",
    "Ash",
    "Beech",
    "Elm",
    "Oak",
    "Rowan",
    "Hawthorn",
    "Heather",
    "Harbour",
    "Quarry",
    "Forge",
    "School",
    "Well",
    "Windmill",
    "Cross",
    "Moor",
    "Fen",
)


def boundary_latitude(longitude: float) -> float:
    """The latitude of the North/South Anyshire boundary at `longitude`."""
    return 54.745 + 0.012 * math.sin((longitude - 1.75) * 9.0)


def council_area(latitude: float, longitude: float) -> str:
    """Which council area a point lies in."""
    return NORTH if latitude >= boundary_latitude(longitude) else SOUTH


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance between two nearby points (equirectangular: ample at county scale)."""
    return math.hypot((lat1 - lat2) / KM_LAT, (lon1 - lon2) / KM_LON)


@dataclass(frozen=True, slots=True)
class District:
    """A postcode district: a town, part of a town or a rural area."""

    code: str
    town: str
    latitude: float
    longitude: float
    radius_km: float
    weight: float
    rural: bool = False


# Anyford, the county town, has three districts and sits on the boundary.
DISTRICTS: tuple[District, ...] = (
    District("AY1", "Anyford", 54.748, 2.080, 1.3, 0.12),
    District("AY2", "Anyford", 54.768, 2.070, 1.6, 0.10),
    District("AY3", "Anyford", 54.728, 2.090, 1.6, 0.10),
    District("AY4", "Northby", 54.840, 1.950, 1.8, 0.12),
    District("AY5", "Kettlewick", 54.800, 2.300, 1.5, 0.09),
    District("AY6", "Hallow Cross", 54.870, 2.200, 1.2, 0.06),
    District("AY7", "Southmere", 54.660, 2.000, 2.0, 0.14),
    District("AY8", "Brackenfield", 54.690, 2.320, 1.5, 0.09),
    District("AY9", "Eastwold", 54.630, 2.220, 1.0, 0.05),
    District("AY10", "Saltbridge", 54.715, 1.850, 1.2, 0.06),
    District("AY11", "Upper Anydale", 54.830, 2.100, 9.0, 0.04, rural=True),
    District("AY12", "Lower Anydale", 54.660, 2.150, 9.0, 0.03, rural=True),
)


@dataclass(frozen=True, slots=True)
class Unit:
    """One postcode unit: a street's worth of homes with a centre point."""

    postcode: str
    district: str
    sector: str
    town: str
    street: str
    latitude: float
    longitude: float
    council_area: str
    deprivation: float


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Every postcode unit in Anyshire, with the weights households are placed by."""

    units: tuple[Unit, ...]
    cum_weights: tuple[float, ...]

    def draw(self, rng: random.Random) -> Unit:
        """A unit to place a household in: busier districts and poorer sectors more often."""
        return self.units[bisect(self.cum_weights, rng.random() * self.cum_weights[-1])]

    def nearest(self, latitude: float, longitude: float) -> Unit:
        """The unit whose centre is closest to a point."""
        return min(
            self.units, key=lambda u: distance_km(u.latitude, u.longitude, latitude, longitude)
        )

    def in_district(self, district: str) -> list[Unit]:
        return [u for u in self.units if u.district == district]


def _point_in_disc(
    rng: random.Random, lat: float, lon: float, radius_km: float
) -> tuple[float, float]:
    r = radius_km * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    return lat + r * math.sin(theta) * KM_LAT, lon + r * math.cos(theta) * KM_LON


def build_gazetteer(rng: random.Random) -> Gazetteer:
    """Lay out sectors and units for every district; deterministic for `rng`'s seed."""
    units: list[Unit] = []
    weights: list[float] = []
    for district in DISTRICTS:
        sectors = 8 if district.rural else rng.randint(5, 8)
        district_units: list[tuple[Unit, float]] = []
        for s in range(1, sectors + 1):
            # Rural sectors are villages: scattered widely, compact themselves.
            slat, slon = _point_in_disc(
                rng, district.latitude, district.longitude, district.radius_km
            )
            spread = 0.25 if district.rural else 0.35
            # A few poorer estates in each town give the background its texture.
            deprivation = round(min(1.0, rng.betavariate(1.6, 3.2) * 1.4), 3)
            village = f"{district.town}" if not district.rural else _village_name(rng)
            count = rng.randint(15, 25) if district.rural else rng.randint(28, 45)
            letters = rng.sample([a + b for a in _UNIT_LETTERS for b in _UNIT_LETTERS], k=count)
            for pair in sorted(letters):
                lat = slat + rng.gauss(0, spread) * KM_LAT
                lon = slon + rng.gauss(0, spread) * KM_LON
                stem = _STREET_STEMS[rng.randrange(len(_STREET_STEMS))]
                kind = _STREET_KINDS[rng.randrange(len(_STREET_KINDS))]
                unit = Unit(
                    postcode=f"{district.code} {s}{pair}",
                    district=district.code,
                    sector=f"{district.code} {s}",
                    town=village,
                    street=f"{stem} {kind}",
                    latitude=round(lat, 6),
                    longitude=round(lon, 6),
                    council_area=council_area(lat, lon),
                    deprivation=deprivation,
                )
                district_units.append((unit, 0.6 + 1.2 * deprivation))
        total = sum(w for _, w in district_units)
        for unit, w in district_units:
            units.append(unit)
            weights.append(district.weight * w / total)
    cum: list[float] = []
    running = 0.0
    for w in weights:
        running += w
        cum.append(running)
    return Gazetteer(units=tuple(units), cum_weights=tuple(cum))


_VILLAGE_PARTS = (
    ("Little", "Great", "Nether", "Upper", "East", "West", "Long", "High"),
    ("Ashby", "Thornton", "Felling", "Marwick", "Dunholm", "Skelby", "Rowton", "Haverley"),
)


def _village_name(rng: random.Random) -> str:
    first, second = _VILLAGE_PARTS
    return f"{first[rng.randrange(len(first))]} {second[rng.randrange(len(second))]}"


def jitter(
    rng: random.Random, latitude: float, longitude: float, sigma_km: float
) -> tuple[float, float]:
    """A point scattered around another (normal, `sigma_km` each way), rounded to ~10 cm."""
    return (
        round(latitude + rng.gauss(0, sigma_km) * KM_LAT, 6),
        round(longitude + rng.gauss(0, sigma_km) * KM_LON, 6),
    )


def point_within(
    rng: random.Random, latitude: float, longitude: float, radius_km: float
) -> tuple[float, float]:
    """A point spread evenly over a disc, rounded to ~10 cm."""
    lat, lon = _point_in_disc(rng, latitude, longitude, radius_km)
    return round(lat, 6), round(lon, 6)
