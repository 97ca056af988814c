"""The words of an import's outcome, shared by the CLI and the chat."""

from __future__ import annotations

from collections.abc import Callable

from storage.importer import ImportResult

MAX_LISTED_ERRORS = 30


def render_result(t: Callable[..., str], result: ImportResult, limit: int | None = MAX_LISTED_ERRORS) -> str:
    lines = []
    shown = result.errors if limit is None else result.errors[:limit]
    for err in shown:
        lines.append(t("import.line", line=err.line, reason=t(f"import.err.{err.reason}", **err.params)))
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
