"""The yearly enforcement list of seed 000 (line 60): small enterprises that 「自身不开展隐患排查，
又不委托开展隐患排查服务外包」 are 「列入年度执法范围」. Over the last `months` months up to today:

- inspecting itself (自身开展隐患排查) is the hazard-investigation indicator (seed 003 line 7's
  安全隐患排查, catalogue `HAZARD`) fulfilled on a day in the window, as evidence a regulator
  accepted or an imported ledger record show. Evidence awaiting review or rejected does not
  count, nor do other indicators: training or a drill is not a hazard investigation.
- engaging an agency (委托…服务外包) is a service contract in force on some day of the window,
  or an agency's visit in it (the service was done, whatever the contract records hold).
- a government inspection in the window takes it off the list too: the enterprise is already
  under enforcement (the issue's rule: no contract, no accepted evidence, no inspection in the
  last 12 months), and listing it again would send an officer to a workshop just inspected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.compliance import add_months


@dataclass(frozen=True)
class Conduct:
    """What an enterprise has on record, each the latest by today (None: nothing)."""

    self_checked_on: date | None = None  # the hazard-investigation indicator fulfilled
    contract_until: date | None = None  # the end of a service contract begun by today
    visited_on: date | None = None  # an agency's visit
    inspected_on: date | None = None  # a government inspection


def window_start(today: date, months: int) -> date:
    return add_months(today, -months)


def listed(conduct: Conduct, today: date, months: int) -> bool:
    """True when the enterprise neither inspected itself nor engaged an agency in the window,
    and no government inspection was made there in it."""
    since = window_start(today, months)

    def within(day: date | None) -> bool:
        return day is not None and since <= day <= today

    self_checked = within(conduct.self_checked_on)
    engaged = (conduct.contract_until is not None and conduct.contract_until >= since) or within(
        conduct.visited_on
    )
    return not (self_checked or engaged or within(conduct.inspected_on))
