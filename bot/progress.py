"""Progress of long command-line work on a terminal: rows done, rows/s, time left. Silent
when the output is not a terminal (logs, pipes, CI)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None, every: float = 0.5) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.every = every
        self._label = ""
        self._start = self._shown = 0.0

    def __call__(self, label: str, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if label != self._label:
            self._label, self._start, self._shown = label, now, 0.0
        finished = total is not None and done >= total
        if now - self._shown < self.every and not finished:
            return
        self._shown = now
        rate = done / max(now - self._start, 1e-6)
        line = f"{label}: {done:,}" + (f" / {total:,}" if total else "") + f" rows, {rate:,.0f} rows/s"
        if total and not finished and rate > 0:
            line += f", {(total - done) / rate:,.0f} s left"
        self.stream.write("\r" + line.ljust(72) + ("\n" if finished else ""))
        self.stream.flush()
