"""Every text exists in both languages and the locale is chosen as promised."""

import re
import tomllib
from pathlib import Path

import pytest

from bot.i18n import Translator, locale_for
from domain.roles import COMMANDS


def test_catalogues_have_the_same_keys():
    t = Translator()
    assert t.keys("zh") == t.keys("en")


def test_every_command_has_a_menu_text_and_fits_telegram():
    t = Translator()
    for loc in ("zh", "en"):
        for c in COMMANDS:
            assert 1 <= len(t(f"cmd.{c.name}", loc)) <= 256


def test_placeholders_match_between_languages():
    names = re.compile(r"{{\s*(\w+)")
    from bot.i18n import _load

    zh, en = _load("zh"), _load("en")
    for key in zh:
        assert set(names.findall(zh[key])) == set(names.findall(en[key])), key


@pytest.mark.parametrize(
    ("saved", "telegram", "default", "expected"),
    [
        ("en", "zh-hans", "zh", "en"),
        (None, "zh-hans", "en", "zh"),
        (None, "zh", "en", "zh"),
        (None, "en-US", "zh", "en"),
        (None, "de", "zh", "zh"),
        (None, None, "en", "en"),
        ("fr", "en", "zh", "en"),
    ],
)
def test_locale_choice(saved, telegram, default, expected):
    assert locale_for(saved, telegram, default) == expected


def test_user_values_are_escaped_for_telegram_html():
    t = Translator()
    out = t("invite.bad.agency_code", "en", value="<b>&")
    assert "&lt;b&gt;&amp;" in out
    plain = Translator(autoescape=False)
    assert "<b>&" in plain("invite.bad.agency_code", "en", value="<b>&")


def test_english_counts_are_singular_or_plural():
    t = Translator("en").bind("en")
    assert t("reason.overdue", value=1) == "1 hazard overdue"
    assert t("reason.overdue", value=3) == "3 hazards overdue"
    assert t("status.days_left", n=1) == "1 day left"
    assert t("status.days_left", n=5) == "5 days left"


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_no_line_of_a_template_runs_into_the_next(locale):
    """Templates render with trim_blocks: a block tag closing a line of text would swallow its
    line break and glue the next line on (「…86.5% ⚠️合计：…」); such a tag is written `+%}`."""
    glued = []
    for key, text in _templates(locale):
        for line in text.split("\n")[:-1]:
            if re.search(r"[^+-]%\}\s*$", line) and re.sub(r"\{%.*?%\}", "", line).strip():
                glued.append(f"{key}: …{line[-60:]}")
    assert not glued, "\n".join(glued)


def _templates(locale: str):
    def walk(node, path):
        for key, value in node.items():
            if isinstance(value, dict):
                yield from walk(value, f"{path}{key}.")
            elif isinstance(value, str):
                yield f"{path}{key}", value

    with open(Path(__file__).parent.parent / "bot" / "locales" / f"{locale}.toml", "rb") as fh:
        yield from walk(tomllib.load(fh), "")
