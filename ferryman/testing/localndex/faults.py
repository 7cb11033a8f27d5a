"""The fault switch: rules that make the local NDEx server misbehave on purpose, for tests.

A rule is one line, `METHOD PATH ACTION [times=N]` (docs/ndex.md, "Fault switch"):

* METHOD is an HTTP method or `*`; PATH is a route template such as `/v2/network/{networkid}`
  (matched exactly) or a glob on the request path (`/v2/network/*/summary`).
* ACTION is one of `status=500` (or any 4xx/5xx: an NDEx error body is sent), `delay=SECONDS`
  (the response is sent that much later), `drop_request_after=BYTES` (the connection is dropped
  after that many bytes of the request body: nothing is stored), `drop_response_after=BYTES` (the
  request is fully handled, then the connection is dropped after that many bytes of the response
  body: 0 sends nothing at all), `load_delay=SECONDS` (an upload's load finishes that much later).
* `times=N` (default 1) is how many matching requests the rule applies to; `times=always` never
  wears out. Rules are tried in the order they were added; the first live match applies.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass
from typing import Any

ACTIONS = ("status", "delay", "drop_request_after", "drop_response_after", "load_delay")


class FaultSpecError(ValueError):
    """A fault rule that cannot be read; the message says what is wrong."""


@dataclass
class FaultRule:
    """One rule; `remaining` is None for `times=always`."""

    method: str
    path: str
    action: str
    value: float
    remaining: int | None = 1

    def matches(self, method: str, template: str, path: str) -> bool:
        if self.method not in ("*", method):
            return False
        return self.path in (template, path) or fnmatch.fnmatchcase(path, self.path)

    def spec(self) -> str:
        """The rule as a line `parse_rule` reads back (with the uses left)."""
        times = "always" if self.remaining is None else str(self.remaining)
        return f"{self.method} {self.path} {self.action}={self.value:g} times={times}"

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "action": self.action,
            "value": self.value,
            "remaining": "always" if self.remaining is None else self.remaining,
            "spec": self.spec(),
        }


def parse_rule(spec: str) -> FaultRule:
    """Read `METHOD PATH ACTION=VALUE [times=N|always]`; raises FaultSpecError."""
    words = spec.split()
    if len(words) not in (3, 4):
        raise FaultSpecError(f"fault rule {spec!r}: expected 'METHOD PATH ACTION=VALUE [times=N]'")
    method, path, action_word = words[0].upper(), words[1], words[2]
    if not path.startswith("/"):
        raise FaultSpecError(f"fault rule {spec!r}: the path must start with '/'")
    action, sep, raw = action_word.partition("=")
    if not sep or action not in ACTIONS:
        raise FaultSpecError(f"fault rule {spec!r}: the action must be one of {', '.join(a + '=…' for a in ACTIONS)}")
    try:
        value = float(raw)
    except ValueError:
        raise FaultSpecError(f"fault rule {spec!r}: {action} needs a number, not {raw!r}") from None
    if value < 0 or (action == "status" and not (400 <= value <= 599 and value == int(value))):
        raise FaultSpecError(f"fault rule {spec!r}: {action}={raw} is out of range")
    remaining: int | None = 1
    if len(words) == 4:
        key, sep, times = words[3].partition("=")
        if key != "times" or not sep:
            raise FaultSpecError(f"fault rule {spec!r}: the last word must be times=N or times=always")
        if times == "always":
            remaining = None
        elif times.isdigit() and int(times) > 0:
            remaining = int(times)
        else:
            raise FaultSpecError(f"fault rule {spec!r}: times must be a positive integer or 'always'")
    return FaultRule(method, path, action, value, remaining)


class FaultSwitch:
    """The server's live rules (thread-safe)."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append(rule)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def take(self, method: str, template: str, path: str) -> list[FaultRule]:
        """The rules that apply to this request, one per action (each use counted down)."""
        taken: dict[str, FaultRule] = {}
        with self._lock:
            for rule in self._rules:
                if rule.action in taken or not rule.matches(method, template, path):
                    continue
                taken[rule.action] = rule
                if rule.remaining is not None:
                    rule.remaining -= 1
            self._rules = [r for r in self._rules if r.remaining is None or r.remaining > 0]
        return list(taken.values())
