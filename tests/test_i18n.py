"""Every text exists in both languages and the locale is chosen as promised."""

import ast
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
    # A button's text is not parsed by Telegram: it is made plain, never escaped.
    assert t.bind("zh").label("label.tip_target", kind="企业", name="A&B <五金> 厂") == "企业：A&B <五金> 厂"


def _button_texts(tree: ast.AST):
    """The `text=` of every button made in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("button", "InlineKeyboardButton", "KeyboardButton"):
                yield from (kw.value for kw in node.keywords if kw.arg == "text")


def test_button_texts_are_made_by_the_label_translator():
    """`t(...)` escapes for HTML messages; a button shows its text as written, so a button's
    text comes from `t.label(...)` (an escaped name would read "A&amp;B")."""
    root = Path(__file__).parents[1]
    wrong = []
    for path in [*root.glob("handlers/**/*.py"), *root.glob("bot/*.py")]:
        for text in _button_texts(ast.parse(path.read_text(encoding="utf-8"))):
            for call in ast.walk(text):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "t":
                    wrong.append(f"{path.relative_to(root)}:{call.lineno}")
    assert not wrong


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


@pytest.mark.parametrize(
    ("key", "params", "one", "two"),
    [
        ("import.summary", {"kind": "visits", "written": True, "inserted": 1, "updated": 0,
                            "unchanged": 0, "bad": 0, "lines": [], "more": 0}, ": 1 row\n", ": 2 rows\n"),
        ("subsidy.confirmed", {"year": 2026}, "1 subsidy line of 2026", "2 subsidy lines of 2026"),
        ("subsidy.done_review", {"year": 2026}, "approved: 1 line of", "approved: 2 lines of"),
        ("subsidy.done_approve", {"year": 2026}, "approved: 1 line of", "approved: 2 lines of"),
        ("subsidy.done_publish", {"year": 2026}, "Published: 1 line of", "Published: 2 lines of"),
        ("subsidy.reason.months", {"done": 0}, "0 of 1 month", "0 of 2 months"),
    ],
)  # fmt: skip
def test_english_texts_with_a_count_read_right_for_one_and_two(key, params, one, two):
    t = Translator("en").bind("en")
    name = {"import.summary": "rows", "subsidy.reason.months": "due"}.get(key, "n")
    for n, expected in ((1, one), (2, two)):  # a whole word: "1 month" is not in "1 months"
        assert re.search(re.escape(expected) + r"\b", t(key, **params, **{name: n}))


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_every_text_reads_as_jinja_renders_it(locale):
    # Texts without template syntax skip Jinja; what a user reads must not change.
    translator = Translator()
    for key in sorted(translator.keys(locale)):
        source = translator._texts[locale][key]
        if "{{" in source or "{%" in source:
            continue
        for escape in (True, False):
            jinja = translator._envs[escape].from_string(source).render().strip()
            assert translator._render(key, locale, escape, {}) == jinja, key
