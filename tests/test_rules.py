"""Domain rules, table by table: USCC, divisions, invite targets, command table."""

import pytest

from bot.ui import fits
from domain import divisions, uscc
from domain.roles import COMMANDS, TargetError, menu, normalise_target


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91350100M000100Y43", True),  # the example printed in GB 32100-2015
        ("91350100m000100y43", True),  # case is normalised
        (" 91350100M000100Y43 ", True),
        ("91350100M000100Y44", False),  # wrong check character
        ("91350100M000100Y4", False),  # 17 characters
        ("91350100M000100Y430", False),  # 19 characters
        ("91350100M0001O0Y43", False),  # O is not in the alphabet
        ("91350100M0001I0Y43", False),  # nor I
        ("", False),
    ],
)
def test_uscc_validity(code, valid):
    assert uscc.is_valid(code) is valid


@pytest.mark.parametrize(
    ("code", "reason"),
    [("123", "length"), ("91350100M0001S0Y43", "charset"), ("91350100M000100Y44", "check")],
)
def test_uscc_reasons(code, reason):
    with pytest.raises(uscc.USCCError, match=reason):
        uscc.validate(code)


def test_uscc_check_char_round_trip():
    body = "91330226MA2AH4L6X"
    assert uscc.is_valid(uscc.complete(body))
    # Every other final character is refused.
    assert sum(uscc.is_valid(body + ch) for ch in uscc.ALPHABET) == 1


@pytest.mark.parametrize(
    ("prefix", "division", "covered"),
    [
        ("33", "330226100", True),
        ("3302", "330226100", True),
        ("330226", "330226100", True),
        ("330226100", "330226100", True),
        ("330226101", "330226100", False),
        ("330227", "330226100", False),
    ],
)
def test_jurisdiction_covers(prefix, division, covered):
    assert divisions.covers(prefix, division) is covered
    lo, hi = divisions.prefix_range(prefix)
    assert (lo <= division < hi) is covered


@pytest.mark.parametrize(
    ("prefix", "ok"),
    [
        ("33", True),
        ("3302", True),
        ("330226", True),
        ("330226100", True),
        ("3", False),
        ("33022", False),
        ("33022610", False),
        ("33a2", False),
        ("", False),
    ],
)
def test_jurisdiction_form(prefix, ok):
    assert divisions.is_jurisdiction(prefix) is ok


@pytest.mark.parametrize(
    ("role", "target", "result"),
    [
        ("owner", "91350100m000100y43", "91350100M000100Y43"),
        ("owner", "91350100M000100Y44", TargetError("uscc_check")),
        ("staff", "AG001", "AG001"),
        ("regulator", "330226", "330226"),
        ("regulator", "33022", TargetError("division_prefix")),
        ("admin", "-", "-"),
        ("admin", "x", TargetError("admin_target")),
        ("boss", "x", TargetError("role")),
    ],
)
def test_invite_targets(role, target, result):
    if isinstance(result, TargetError):
        with pytest.raises(TargetError, match=str(result)):
            normalise_target(role, target)
    else:
        assert normalise_target(role, target) == result


def test_menus_follow_roles():
    everyone = {c.name for c in menu(set())}
    assert {"start", "help", "cancel", "language", "whoami"} <= everyone
    assert "invite" not in everyone and "import" not in everyone
    assert {"invite", "import"} <= {c.name for c in menu({"admin"})}
    assert {"status", "visit", "tips", "subsidy"} <= {c.name for c in menu({"owner", "staff", "regulator"})}
    assert len({c.name for c in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize(
    ("text", "limit", "least", "ok"),
    [
        ("门锁已更换", 1000, 2, True),
        ("OK", 1000, 2, True),
        ("🔥", 1000, 2, False),
        ("👍👍👍 。。", 1000, 2, False),
        ("   ", 1000, 2, False),
        (None, 1000, 2, False),
        ("x" * 1001, 1000, 2, False),
        ("厂", 100, 1, True),
    ],
)
def test_free_text_needs_substance_and_a_bound(text, limit, least, ok):
    assert fits(text, limit, least) is ok
