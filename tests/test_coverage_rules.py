"""Coverage rules of seed 001 with worked examples."""

from domain.coverage import CoverageSettings, count, is_industrial, is_key

S = CoverageSettings()


def test_who_is_industrial_and_who_is_key():
    assert is_industrial("机械制造", S) and not is_industrial("仓储物流", S) and not is_industrial("", S)
    assert (
        is_key("涂装;有限空间", S)
        and is_key("危化品", S)
        and not is_key("", S)
        and not is_key("三场所两企业", S)
    )


def test_a_worked_example():
    """Ten enterprises: 8 industrial (2 warehouses are not); of the 8, 5 covered now (62.5%)
    and 4 a year ago (50%): 12.5 points new. Three carry key tags, two covered: 66.7%."""
    ents = (
        [("机械制造", "")] * 5
        + [("化工", "危化品")] * 2
        + [("纺织服装", "粉尘涉爆")]
        + [("仓储物流", "")] * 2
    )
    now = [True, True, True, False, False, True, False, True, True, True]
    before = [True, True, False, False, False, True, False, True, True, False]
    c = count(ents, now, before, S)
    assert (c.industrial, c.covered, c.covered_year_ago) == (8, 5, 4)
    assert c.rate == 0.625 and c.last_rate == 0.5 and c.new == 0.125
    assert (c.key, c.key_covered) == (3, 2)
    assert c.met(S) == {"rate": True, "new": True, "key": False}
    assert c.met(CoverageSettings(target=0.7, new_target=0.2, key_target=0.6)) == {
        "rate": False,
        "new": False,
        "key": True,
    }
