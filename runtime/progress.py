"""Progress of a run: a live status line on a terminal, plain lines otherwise, or JSON events."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from .status import TaskEvent, TaskStatus

if TYPE_CHECKING:
    from .services import Redactor


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
                self._line(f"started   {ev.task_id}")
            else:
                self._status()
            return
        took = f" ({ev.at_s - started:.2f} s)" if started is not None else ""
        o = ev.outcome
        if ev.status is TaskStatus.SUCCEEDED:
            text = f"ok        {ev.task_id}{took}" + (f"  {o.message}" if o and o.message else "")
            if o and o.warning:
                text += f"\n          warning: {o.warning}"
        elif ev.status is TaskStatus.FAILED:
            text = f"FAILED    {ev.task_id}{took}: {o.message if o else ev.message}"
            if o and o.warning:
                text += f"\n          stderr: {o.warning}"
        elif ev.status is TaskStatus.SKIPPED:
            text = f"skipped   {ev.task_id}: because {ev.cause} failed"
        else:
            text = f"cancelled {ev.task_id}" + (f": {ev.message}" if ev.message else "")
        self._line(text)

    def close(self) -> None:
        if self._status_shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._status_shown = False

    # -- output ------------------------------------------------------------------------------
    def _json(self, rec: dict[str, Any]) -> None:
        if self.redact is not None:
            rec = self.redact.scrub(rec)
        self.json_stream.write(json.dumps(rec, sort_keys=True) + "\n")
        self.json_stream.flush()

    def _line(self, text: str) -> None:
        if self.redact is not None:
            text = self.redact(text)
        if self.mode == "live":
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        if self.mode == "live":
            self._status()
        else:
            self.stream.flush()

    def _status(self) -> None:
        names = ", ".join(sorted(self.running)[:3]) + (" …" if len(self.running) > 3 else "")
        fail = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r\x1b[2K[{self.done}/{self.total} done{fail}] running: {names or '-'}")
        self.stream.flush()
        self._status_shown = True
