"""Executing one NDEx copy plan: select, decide per network, then copy / update / adopt / skip.

`run_copy_plan` is the entry point of the `ndex` task kind and of `ferryman plan --refresh`
(`refresh=True`: decide only, nothing written on either server). Rules: docs/ndex.md.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from ferryman.compiler.secrets import redact

from .client import DEFAULT_TIMEOUT, CreateOutcomeUnknown, LoadFailed, NdexClient, NdexError
from .decide import CopyDecision, Network, decide, is_unfinished_copy, load_failed
from .provenance import copy_provenance

Outcome = str  # "copied" | "updated" | "adopted" | "skipped" | "planned" | "failed" | "cancelled"


@dataclasses.dataclass(frozen=True)
class NetworkDecision:
    """One source network's line in the journal and in `plan --refresh`.

    `decision`: copy | update | adopt | skip. `target_id`: the copy updated, adopted or found up to
    date, or the new copy's UUID once made. `outcome`: copied, updated, adopted, skipped, planned
    (refresh), failed or cancelled (the run was stopped first). `error`: why it failed, redacted."""

    name: str
    source_id: str
    decision: str
    reason: str
    target_id: str | None
    outcome: Outcome
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class CopySettings:
    """Timing knobs. `load_limit_s`: how long the target may take to inspect an upload;
    `lookup_wait_s`: how long a create of unknown outcome is looked for (search indexes lag)."""

    timeout: tuple[float, float] = DEFAULT_TIMEOUT
    load_limit_s: float = 600.0
    lookup_wait_s: float = 3.0
    page_size: int = 100


def now_ms() -> int:
    return int(time.time() * 1000)


def _client(session: requests.Session, spec: Mapping[str, Any], resolve_secret: Callable[[str], str],
            settings: CopySettings, stop: threading.Event, role: str) -> NdexClient:
    username = resolve_secret(str(spec.get("username") or "")) or None
    password = resolve_secret(str(spec.get("password") or "")) or None
    try:
        return NdexClient(session, str(spec.get("route", "")), username, password, timeout=settings.timeout, stop=stop)
    except NdexError as e:
        raise NdexError(f"{role}: {e.message}", hint=e.hint) from None


def run_copy_plan(
    session: requests.Session,
    plan_action: Mapping[str, Any],
    resolve_secret: Callable[[str], str],
    workers: int = 4,
    stop: threading.Event | None = None,
    *,
    refresh: bool = False,
    settings: CopySettings | None = None,
    around_network: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext,
) -> list[NetworkDecision]:
    """Run (or with `refresh`, only decide) one copy plan; one NetworkDecision per source network.

    `plan_action`: the plan task's `action` — `source`/`target` `{route, username, password}`
    (username and password may hold secret references), `plan_type` (`QueryCopyPlan` |
    `IdCopyPlan`), `selection` (`{query, limit, account}` or `{ids}`), `update_target`,
    `update_read_only`. `resolve_secret(text)`: `text` with its references replaced by their values
    (plain text unchanged). `workers`: networks copied at once (>= 1). `stop`: when set, no new
    network starts and waits end early; unstarted networks come back "cancelled". `around_network`:
    a context manager factory each network's copy or update runs inside (the run's per-host slots).

    Raises NdexError (message redacted) when the plan cannot start: a bad route, a server that is
    not NDEx 2.x or unreachable, a failed source search or target listing. A failure of one network
    is recorded in its NetworkDecision (outcome "failed") and does not stop the others.
    """
    settings = settings or CopySettings()
    stop = stop or threading.Event()
    src = _client(session, plan_action.get("source") or {}, resolve_secret, settings, stop, "source")
    tgt = _client(session, plan_action.get("target") or {}, resolve_secret, settings, stop, "target")
    secrets = [str(resolve_secret(str((plan_action.get(k) or {}).get("password") or ""))) for k in ("source", "target")]
    src.status()
    tgt.status()

    records: list[NetworkDecision] = []
    sources = _select_sources(src, plan_action, settings, records)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="ndex")
    with pool:
        provs = list(pool.map(lambda s: _provenance_or_error(src, s["externalId"]), sources))
        source_prov = {s["externalId"]: p for s, p in zip(sources, provs, strict=True)}
        candidates = _target_candidates(tgt, pool, settings)
        plan: list[tuple[Network, CopyDecision]] = []
        for summary in sources:
            prov = source_prov[summary["externalId"]]
            if isinstance(prov, NdexError):
                # ndex-sync drops a network whose provenance it cannot read; so do we, visibly
                records.append(NetworkDecision(str(summary.get("name") or ""), summary["externalId"], "skip",
                                               "source provenance cannot be read", None, "failed", prov.message))
                continue
            source = Network(summary, prov)
            decision = decide(source, candidates, update_target=bool(plan_action.get("update_target")),
                              update_read_only=bool(plan_action.get("update_read_only")))
            plan.append((source, decision))
        if refresh:
            records += [NetworkDecision(s.name, s.id, d.action, d.reason, d.target_id, "planned") for s, d in plan]
            return records
        run = _Run(src, tgt, candidates, settings, stop, secrets)
        def one(source: Network, decision: CopyDecision) -> NetworkDecision:
            with around_network():
                return run.execute(source, decision)

        futures = [pool.submit(one, s, d) for s, d in plan]
        records += [f.result() for f in futures]
    return records


def _select_sources(src: NdexClient, action: Mapping[str, Any], settings: CopySettings,
                    records: list[NetworkDecision]) -> list[dict[str, Any]]:
    selection = action.get("selection") or {}
    if action.get("plan_type") == "IdCopyPlan":
        found: list[dict[str, Any]] = []
        for network_id in selection.get("ids") or []:
            try:
                found.append(src.summary(str(network_id)))
            except NdexError as e:
                records.append(NetworkDecision("", str(network_id), "skip", "source network cannot be read",
                                               None, "failed", e.message))
        return found
    limit = selection.get("limit")
    return src.search_all(str(selection.get("query") or ""), account=selection.get("account") or None,
                          limit=int(limit) if limit is not None else None, size=settings.page_size)


def _provenance_or_error(client: NdexClient, network_id: str) -> dict[str, Any] | NdexError:
    try:
        return client.provenance(network_id)
    except NdexError as e:
        return e


def _target_candidates(tgt: NdexClient, pool: concurrent.futures.Executor, settings: CopySettings) -> list[Network]:
    """The target account's networks (search by accountName: the networks it administers) with
    their provenance; a provenance that cannot be read leaves only the attribute marker."""
    summaries = tgt.search_all("", account=tgt.username, size=settings.page_size)
    provs = list(pool.map(lambda s: _provenance_or_error(tgt, s["externalId"]), summaries))
    user = (tgt.username or "").lower()
    return [
        Network(s, None if isinstance(p, NdexError) else p,
                administered=str(s.get("owner") or user).lower() == user)
        for s, p in zip(summaries, provs, strict=True)
    ]


class _Run:
    """The writes of one plan. Thread-safe: networks run on the pool's workers."""

    def __init__(self, src: NdexClient, tgt: NdexClient, candidates: Sequence[Network], settings: CopySettings,
                 stop: threading.Event, secrets: list[str]) -> None:
        self.src, self.tgt, self.settings, self.stop, self.secrets = src, tgt, settings, stop, secrets
        self.known = {c.id for c in candidates}  # networks that existed before this run wrote anything
        self.lock = threading.Lock()

    def execute(self, source: Network, decision: CopyDecision) -> NetworkDecision:
        def record(
            outcome: str, target_id: str | None = decision.target_id, error: str | None = None
        ) -> NetworkDecision:
            return NetworkDecision(source.name, source.id, decision.action, decision.reason, target_id, outcome, error)

        if decision.action == "skip":
            return record("skipped")
        if self.stop.is_set():
            return record("cancelled")
        target_id = decision.target_id
        try:
            if decision.action == "copy":
                target_id = self._copy(source)
                return record("copied", target_id)
            assert target_id is not None
            if decision.action == "update":
                self._update(source, target_id, decision.target_read_only)
                return record("updated")
            self._adopt(source, target_id)
            return record("adopted")
        except NdexError as e:
            return record("failed", target_id, redact(e.message, self.secrets))
        except Exception as e:  # a local failure (disk full, …): this network fails, the others go on
            return record("failed", target_id, redact(f"{type(e).__name__}: {e}", self.secrets))

    def _provenance(self, source: Network, target_id: str, target_summary: Mapping[str, Any], started: int) -> None:
        self.tgt.set_provenance(target_id, copy_provenance(
            source_summary=source.summary, source_provenance=source.provenance, source_route=self.src.route,
            target_id=target_id, target_route=self.tgt.route,
            target_modification_ms=_ms(target_summary.get("modificationTime")), started_ms=started, now_ms=now_ms(),
        ))

    def _copy(self, source: Network) -> str:
        started = now_ms()
        with self.src.download(source.id) as cx:
            try:
                new_id = self.tgt.create(cx)
            except CreateOutcomeUnknown as unknown:
                found = self._look_for_new_copy(source, started)
                if found is None:
                    cx.seek(0)  # certainly not created: one more try, never blind
                    try:
                        new_id = self.tgt.create(cx)
                    except CreateOutcomeUnknown:
                        raise NdexError(f"{unknown.message}; retried once, outcome unknown again; "
                                        "the next run looks for the copy before copying") from None
                else:
                    new_id = found
        with self.lock:
            self.known.add(new_id)
        try:
            summary = self.tgt.wait_valid(new_id, limit_s=self.settings.load_limit_s)
        except LoadFailed as e:
            left = f"the new network {new_id} is left on the target, without provenance"
            raise NdexError(f"{e.message} ({left})") from None
        self._provenance(source, new_id, summary, started)
        return new_id

    def _look_for_new_copy(self, source: Network, started: int) -> str | None:
        """The network a create of unknown outcome made, if any: in the target account, not there
        before this run, and either marked as a copy of `source` or unmarked with its name."""
        deadline = time.monotonic() + self.settings.lookup_wait_s
        while True:
            for summary in self.tgt.search_all("", account=self.tgt.username, size=self.settings.page_size):
                nid = str(summary.get("externalId"))
                with self.lock:
                    if nid in self.known:
                        continue
                if str(summary.get("name") or "") != source.name:
                    continue
                candidate = Network(summary, self.tgt.provenance(nid))
                # node/edge counts are not known before the server loaded it: compare them only then
                if summary.get("isValid") is not True:
                    candidate = Network({**summary, "nodeCount": source.summary.get("nodeCount"),
                                         "edgeCount": source.summary.get("edgeCount")}, candidate.provenance)
                if is_unfinished_copy(source, candidate, created_after_ms=started - 60_000):
                    with self.lock:
                        self.known.add(nid)
                    return nid
            if time.monotonic() >= deadline or self.stop.wait(0.5):
                return None

    def _update(self, source: Network, target_id: str, read_only: bool) -> None:
        started = now_ms()
        with self.src.download(source.id) as cx:
            if read_only:
                self.tgt.set_read_only(target_id, False)
            failure: NdexError | None = None
            try:
                self.tgt.update(target_id, cx)
                summary = self.tgt.wait_valid(target_id, limit_s=self.settings.load_limit_s)
                self._provenance(source, target_id, summary, started)
            except NdexError as e:
                failure = e
            if read_only:
                restored = self._restore_read_only(target_id)  # even when the update failed
                if restored is not None:
                    text = f"{failure.message}; " if failure is not None else ""
                    raise NdexError(text + restored) from None
            if failure is not None:
                raise failure

    def _restore_read_only(self, target_id: str) -> str | None:
        """Set the read-only flag back; None when done, else why not (after one retry)."""
        for attempt in (1, 2):
            try:
                self.tgt.set_read_only(target_id, True)
                return None
            except NdexError as e:
                if attempt == 2:
                    return f"{e.message} (network {target_id} is left writable: set it read-only)"
                time.sleep(0.5)
        return None

    def _adopt(self, source: Network, target_id: str) -> None:
        summary = self.tgt.wait_valid(target_id, limit_s=self.settings.load_limit_s)
        failed = load_failed(Network(summary))
        if failed:
            raise NdexError(f"network {target_id} failed to load: {failed}")
        self._provenance(source, target_id, summary, _ms(summary.get("creationTime")) or now_ms())


def _ms(value: Any) -> int | None:
    from .decide import epoch_ms

    return epoch_ms(value)
