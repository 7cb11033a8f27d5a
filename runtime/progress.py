"""Progress of a run: a live status line on a terminal, plain lines otherwise, or JSON events.

A reader that goes away (`ferryman run | head -1`, a closed stderr) never stops the run: writes to
a closed stream are dropped from then on (docs/run.md, "Exit status"). Text from scripts and names
from inputs is shown with control characters escaped (`printable`).
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from .status import TaskEvent, TaskStatus

if TYPE_CHECKING:
    from .services import Redactor


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with control characters escaped as Python writes them (`\\x1b`, `\\r`, `\\u202e`), so
    a script's stderr cannot retitle, clear or rewrite the terminal it is shown in (C0, DEL, C1,
    line separators and bidirectional overrides)."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: repr(m.group(0))[1:-1], text)


def stream_gone(stream: Any) -> None:
    """After a write to `stream` failed because its reader left: point its file descriptor at
    /dev/null so the interpreter's final flush does not fail again."""
    import os

    try:
        fd = stream.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


class Progress:
    def __init__(self, total: int, *, done: int = 0, mode: str = "auto", log_format: str = "text",
                 stream: Any, json_stream: Any, redact: Redactor | None = None) -> None:
        """Every line and JSON event passes through `redact` (the run's one redaction filter)."""
        self.total = total
        self.redact = redact
        self.done = done
        self.failed = 0
        self.running: dict[str, float] = {}
        self.stream = stream
        self.json_stream = json_stream
        self.json = log_format == "json"
        tty = bool(getattr(stream, "isatty", lambda: False)())
        self.mode = "none" if mode == "none" else ("live" if mode == "auto" and tty else "plain")
        self._status_shown = False
        if stream is None:  # started with stderr closed
            self.mode = "none"
        if json_stream is None:
            self.json = False

    def note(self, text: str) -> None:
        if self.json:
            self._json({"event": "note", "message": text})
        elif self.mode != "none":
            self._line(f"note: {text}")

    def event(self, ev: TaskEvent) -> None:
        if ev.status is TaskStatus.RUNNING:
            self.running[ev.task_id] = ev.at_s
        else:
            started = self.running.pop(ev.task_id, None)
            self.done += 1
            if ev.status is TaskStatus.FAILED:
                self.failed += 1
        if self.json:
            rec: dict[str, Any] = {"event": ev.status.value, "task": ev.task_id, "time": round(time.time(), 6)}
            if ev.outcome is not None:
                rec["message"] = ev.outcome.message
                if ev.outcome.warning:
                    rec["warning"] = ev.outcome.warning
            if ev.cause:
                rec["cause"] = ev.cause
            self._json(rec)
            return
        if self.mode == "none":
            return
        if ev.status is TaskStatus.RUNNING:
            if self.mode == "plain":
                self._line(f"started   {printable(ev.task_id)}")
            else:
                self._status()
            return
        took = f" ({ev.at_s - started:.2f} s)" if started is not None else ""
        o = ev.outcome
        tid = printable(ev.task_id)
        if ev.status is TaskStatus.SUCCEEDED:
            text = f"ok        {tid}{took}" + (f"  {printable(o.message)}" if o and o.message else "")
            if o and o.warning:
                text += f"\n          warning: {printable(o.warning)}"
        elif ev.status is TaskStatus.FAILED:
            text = f"FAILED    {tid}{took}: {printable(o.message if o else ev.message)}"
            if o and o.warning:
                text += f"\n          stderr: {printable(o.warning)}"
        elif ev.status is TaskStatus.SKIPPED:
            text = f"skipped   {tid}: because {printable(ev.cause or '')} failed"
        else:
            text = f"cancelled {tid}" + (f": {printable(ev.message)}" if ev.message else "")
        self._line(text)

    def close(self) -> None:
        if self._status_shown:
            self._write(self.stream, "\r\x1b[2K")
            self._status_shown = False

    # -- output ------------------------------------------------------------------------------
    def _write(self, stream: Any, text: str) -> None:
        """Write and flush; a stream whose reader left is dropped, the run goes on."""
        if (stream is self.stream and self.mode == "none") or (stream is self.json_stream and not self.json):
            return
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):  # BrokenPipeError, EPIPE, a closed file
            stream_gone(stream)
            if stream is self.json_stream:
                self.json = False
            if stream is self.stream:
                self.mode = "none"
                self._status_shown = False

    def _json(self, rec: dict[str, Any]) -> None:
        if self.redact is not None:
            rec = self.redact.scrub(rec)
        self._write(self.json_stream, json.dumps(rec, sort_keys=True) + "\n")

    def _line(self, text: str) -> None:
        if self.redact is not None:
            text = self.redact(text)
        if self.mode == "live":
            self._write(self.stream, "\r\x1b[2K" + text + "\n")
            self._status()
        else:
            self._write(self.stream, text + "\n")

    def _status(self) -> None:
        names = ", ".join(printable(n) for n in sorted(self.running)[:3]) + (" …" if len(self.running) > 3 else "")
        fail = f", {self.failed} failed" if self.failed else ""
        self._write(self.stream, f"\r\x1b[2K[{self.done}/{self.total} done{fail}] running: {names or '-'}")
        self._status_shown = self.mode == "live"
