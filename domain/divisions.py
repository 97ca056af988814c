"""Administrative division codes (GB/T 2260 county + 3-digit township) and jurisdictions."""

from __future__ import annotations

DIVISION_LENGTH = 9
# A jurisdiction is a prefix: province, city, county or one township.
JURISDICTION_LENGTHS = (2, 4, 6, 9)


def is_division(code: str) -> bool:
    return len(code) == DIVISION_LENGTH and code.isascii() and code.isdigit()


def is_jurisdiction(prefix: str) -> bool:
    return len(prefix) in JURISDICTION_LENGTHS and prefix.isascii() and prefix.isdigit()


def main_county(divisions: list[str]) -> str:
    """The county most of these divisions lie in, the lowest code on a tie; "" for none."""
    counties = [d[:6] for d in divisions if is_division(d)]
    return min(set(counties), key=lambda c: (-counties.count(c), c)) if counties else ""


def tip_route(own: str, served: list[str], default: str, home: str = "") -> str:
    """Where a tip about an agency goes: the agency's own division; else the county where it
    works (that of most of the enterprises it has contracts with); else the default
    jurisdiction; else `home`, the county most registered enterprises are in (the one this
    deployment serves), so that a tip never goes to nobody while anything is registered."""
    return own or main_county(served) or default or home


def covers(jurisdiction: str, division: str) -> bool:
    return division.startswith(jurisdiction)


def level(prefix: str) -> str:
    return {2: "province", 4: "city", 6: "county", 9: "township"}[len(prefix)]


def prefix_range(prefix: str) -> tuple[str, str]:
    """Bounds (lo <= code < hi) matching every code starting with `prefix`; a range on a
    plain index works on every database, where LIKE 'p%' needs special operator classes."""
    return prefix, prefix + "\x7f"
