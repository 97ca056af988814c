"""Stars a person types instead of pressing the star buttons."""

import pytest

from domain.stars import read_stars


@pytest.mark.parametrize(
    "typed, stars",
    [
        ("5星", 5), ("五星", 5), ("5", 5), ("★★★★★", 5), ("5 stars", 5), ("Five stars", 5),
        ("五颗星", 5), ("3 颗星", 3), ("1 star", 1), ("两星", 2), ("⭐⭐⭐", 3), (" 4星。", 4),
        ("★", 1),
        ("6星", None), ("0", None), ("★★★★★★", None), ("很好", None), ("15", None),
        ("5星服务很好", None), ("", None), (None, None), ("☆☆", None),
    ],
)  # fmt: skip
def test_typed_stars(typed, stars):
    assert read_stars(typed) == stars
