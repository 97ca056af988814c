"""The words of an import's outcome, shared by the CLI and the chat."""

from __future__ import annotations

from collections.abc import Callable

from bot.clipping import clip
from storage.importer import ImportResult

MAX_LISTED_ERRORS = 50
MAX_VALUE = 60  # a bad value is quoted, never pasted whole


def render_result(t: Callable[..., str], result: ImportResult, limit: int = MAX_LISTED_ERRORS) -> str:
    lines = []
    shown = result.errors[:limit]
    for err in shown:
        params = {k: clip(v, MAX_VALUE) if isinstance(v, str) else v for k, v in err.params.items()}
        lines.append(t("import.line", line=err.line, reason=t(f"import.err.{err.reason}", **params)))
    return t(
        "import.summary",
        kind=result.kind,
        rows=result.rows,
        inserted=result.inserted,
        updated=result.updated,
        unchanged=result.unchanged,
        bad=len(result.errors),
        written=result.written,
        lines=lines,
        more=len(result.errors) - len(shown),
    )
