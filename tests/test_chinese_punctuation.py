"""Chinese texts use Chinese punctuation: 「企业：」, 「，」, 「（）」, not ":", "," or "()".
A value filled into a Chinese text counts as Chinese; commands, URLs, HTML and codes are left
out, as is everything inside the templates' own tags."""

import re

from bot.i18n import _load

CJK = "\u3400-\u9fff\u3000-\u303f\uff00-\uffef"
HALF = ":,;?!()"
_LEFT_OUT = [
    re.compile(r"<code>.*?</code>", re.S),  # codes as typed (a receipt, a USCC)
    re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S),  # template logic
    re.compile(r"\]\(.*?\)"),  # a markdown link's address
    re.compile(r"https?://\S+"),
    re.compile(r"<[^>]+>"),  # HTML tags
    re.compile(r"(?<![\w/])/[a-z_]+(?:\s+[\w-]+)?"),  # a command (with an example argument)
]
_VALUE = re.compile(r"\{\{.*?\}\}", re.S)
_MIXED = re.compile(rf"[{CJK}]\s?[{re.escape(HALF)}]|[{re.escape(HALF)}]\s?[{CJK}]")


def half_width_in_chinese(text: str) -> list[str]:
    """The places where half-width punctuation touches Chinese, with a little context."""
    text = _VALUE.sub("某", text)
    for pattern in _LEFT_OUT:
        text = pattern.sub(" ", text)
    return [text[max(0, m.start() - 8) : m.end() + 8] for m in _MIXED.finditer(text)]


def test_the_check_sees_half_width_punctuation_and_leaves_codes_alone():
    assert half_width_in_chinese("企业: {{ name }}")
    assert half_width_in_chinese("{{ name }} ({{ n }})")
    assert half_width_in_chinese("原因,请重试")
    assert not half_width_in_chinese("企业：{{ name }}（{{ n }}）")
    assert not half_width_in_chinese("发送 /follow 回执码，或 <code>A1:B2</code>")
    assert not half_width_in_chinese("{% if a %}（{{ reasons|join(', ') }}）{% endif %}")


def test_chinese_texts_use_chinese_punctuation():
    found = {key: hits for key, text in _load("zh").items() if (hits := half_width_in_chinese(text))}
    assert found == {}
