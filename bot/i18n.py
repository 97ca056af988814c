"""Every user-facing text: Jinja2 templates in one TOML catalogue per locale.

One mechanism everywhere: handlers, the importer's reports, the CLI and notifications all
render through `Translator`. Templates are HTML-escaped (the bot speaks Telegram HTML), except
button labels (`label`): Telegram shows those as written, so an escaped "&" would read "&amp;"."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from jinja2 import Environment, StrictUndefined, Template

from bot.clipping import clip

LOCALES = ("zh", "en")
_DIR = Path(__file__).with_name("locales")


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def locale_for(saved: str | None, telegram_code: str | None, default: str) -> str:
    """The user's saved choice, else Telegram's language_code, else the default."""
    if saved in LOCALES:
        return saved
    code = (telegram_code or "").lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return default


def counted(n: object, noun: str, plural: str = "") -> str:
    """`{{ n|count("hazard") }}` → "1 hazard", "3 hazards" (English texts only)."""
    return f"{n} {noun if str(n) == '1' else plural or noun + 's'}"


class Translator:
    def __init__(self, default_locale: str = "zh", autoescape: bool = True) -> None:
        self.default_locale = default_locale
        self._envs = {escape: _environment(escape) for escape in {autoescape, False}}
        self._escape = autoescape
        self._texts = {loc: _load(loc) for loc in LOCALES}
        # A text with no Jinja syntax renders to itself: kept as a string, not a template
        # (a render's context costs more than a card's handful of plain labels are worth).
        self._cache: dict[tuple[str, str, bool], Template | str] = {}

    def keys(self, locale: str) -> set[str]:
        return set(self._texts[locale])

    def __call__(self, key: str, locale: str | None = None, /, **params: object) -> str:
        return self._render(key, locale, self._escape, params)

    def label(self, key: str, locale: str | None = None, /, **params: object) -> str:
        """A button's text: plain, never HTML-escaped (Telegram does not parse button texts)."""
        return self._render(key, locale, False, params)

    def _render(self, key: str, locale: str | None, escape: bool, params: dict) -> str:
        loc = locale if locale in LOCALES else self.default_locale
        tpl = self._cache.get((loc, key, escape))
        if tpl is None:
            text = self._texts[loc][key]
            tpl = text.strip() if _is_plain(text) else self._envs[escape].from_string(text)
            self._cache[(loc, key, escape)] = tpl
        return tpl if isinstance(tpl, str) else tpl.render(**params).strip()

    def bind(self, locale: str) -> BoundTranslator:
        return BoundTranslator(self, locale)


class BoundTranslator:
    """A translator fixed to one user's locale; what handlers receive as `t`."""

    def __init__(self, translator: Translator, locale: str) -> None:
        self.translator = translator
        self.locale = locale

    def __call__(self, key: str, /, **params: object) -> str:
        return self.translator(key, self.locale, **params)

    def label(self, key: str, /, **params: object) -> str:
        return self.translator.label(key, self.locale, **params)


def _is_plain(text: str) -> bool:
    """No Jinja syntax and no line ending Jinja would rewrite: the text is its own rendering."""
    return not any(mark in text for mark in ("{{", "{%", "{#", "\r"))


def _environment(autoescape: bool) -> Environment:
    env = Environment(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True)
    env.filters["clip"] = clip  # values that can grow are shortened with "…"
    env.filters["count"] = counted
    return env


@cache
def _load(locale: str) -> dict[str, str]:
    with (_DIR / f"{locale}.toml").open("rb") as fh:
        return _flatten(tomllib.load(fh))
