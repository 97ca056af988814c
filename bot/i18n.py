"""Every user-facing text: Jinja2 templates in one TOML catalogue per locale.

One mechanism everywhere: handlers, the importer's reports, the CLI and notifications all
render through `Translator`. Templates are HTML-escaped (the bot speaks Telegram HTML)."""

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
        self._env = Environment(autoescape=autoescape, undefined=StrictUndefined, trim_blocks=True)
        self._env.filters["clip"] = clip  # values that can grow are shortened with "…"
        self._env.filters["count"] = counted
        self._texts = {loc: _load(loc) for loc in LOCALES}
        self._cache: dict[tuple[str, str], Template] = {}

    def keys(self, locale: str) -> set[str]:
        return set(self._texts[locale])

    def __call__(self, key: str, locale: str | None = None, /, **params: object) -> str:
        loc = locale if locale in LOCALES else self.default_locale
        tpl = self._cache.get((loc, key))
        if tpl is None:
            tpl = self._env.from_string(self._texts[loc][key])
            self._cache[(loc, key)] = tpl
        return tpl.render(**params).strip()

    def bind(self, locale: str) -> BoundTranslator:
        return BoundTranslator(self, locale)


class BoundTranslator:
    """A translator fixed to one user's locale; what handlers receive as `t`."""

    def __init__(self, translator: Translator, locale: str) -> None:
        self.translator = translator
        self.locale = locale

    def __call__(self, key: str, /, **params: object) -> str:
        return self.translator(key, self.locale, **params)


@cache
def _load(locale: str) -> dict[str, str]:
    with (_DIR / f"{locale}.toml").open("rb") as fh:
        return _flatten(tomllib.load(fh))
