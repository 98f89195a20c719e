"""`GET /metrics` in the Prometheus text format, named after blackbox_exporter.

Gauges (verdicts, uptime, last run, pending alerts) are read from the Monitor at scrape
time; counters and the TTFB histogram add up every finished run and alert attempt this
daemon saw (they start at zero with the process, as Prometheus counters do). Labels hold
only agent ids, region and channel names, verdicts and error codes: never a URL, an
error's text or a secret. Times in seconds, ratios 0-1."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry

from ..engine.events import AlertChanged, Event, RunFinished
from ..engine.model import RunResult, Verdict
from . import engine_reads

if TYPE_CHECKING:
    from ..engine.monitor import Monitor

TTFB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,31}\Z")
VERDICTS = tuple(v.value for v in Verdict)


def result_label(ok: bool, error: str | None) -> str:
    if ok:
        return "ok"
    return error if error and _CODE.match(error) else "OTHER"


class _Histogram:
    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(TTFB_BUCKETS) + 1)  # the last one is +Inf
        self.sum = 0.0

    def observe(self, value: float) -> None:
        for i, bound in enumerate(TTFB_BUCKETS):
            if value <= bound:
                self.counts[i] += 1
                break
        else:
            self.counts[-1] += 1
        self.sum += value

    def buckets(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        total = 0
        for bound, n in zip((*TTFB_BUCKETS, float("inf")), self.counts, strict=True):
            total += n
            out.append(("+Inf" if bound == float("inf") else repr(bound), total))
        return out


class MonitorCollector(Collector):
    """The daemon's metrics. Feed it the Monitor's events with `on_event`."""

    def __init__(self, monitor: Callable[[], Monitor]) -> None:
        self._monitor = monitor
        self.probes: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        self.ttfb: defaultdict[tuple[str, str], _Histogram] = defaultdict(_Histogram)
        self.alerts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._attempts_seen: dict[int, int] = {}

    # ------------------------------------------------------------------ feeding

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            self._on_run(event.result)
        elif isinstance(event, AlertChanged):
            self._on_alert(event)

    def _on_run(self, result: RunResult) -> None:
        for r in result.requests:
            self.probes[(result.agent_id, r.region, result_label(r.ok, r.error))] += 1
            if r.ttfb is not None:
                self.ttfb[(result.agent_id, r.region)].observe(r.ttfb)

    def _on_alert(self, event: AlertChanged) -> None:
        seen = self._attempts_seen.get(event.alert_id, 0)
        if event.attempts > seen:
            result = {"delivered": "delivered", "failed": "failed"}.get(event.status, "retry")
            self.alerts[(event.channel, result)] += event.attempts - seen
        if event.status in ("delivered", "failed"):
            self._attempts_seen.pop(event.alert_id, None)
        else:
            self._attempts_seen[event.alert_id] = max(seen, event.attempts)

    def forget(self, agent_ids: set[str]) -> None:
        """Drop the series of agents no longer in the config (after a reload)."""
        for key in [k for k in self.probes if k[0] not in agent_ids]:
            del self.probes[key]
        for hkey in [k for k in self.ttfb if k[0] not in agent_ids]:
            del self.ttfb[hkey]

    # ------------------------------------------------------------------ scraping

    def collect(self) -> Iterator[Metric]:
        mon = self._monitor()
        views = engine_reads.agents(mon)
        success = GaugeMetricFamily(
            "agentstatus_probe_success",
            "Whether the agent answered in the region in its last run (1) or was DOWN (0); "
            "absent while the region's verdict is UNKNOWN.",
            labels=["agent", "region"])
        verdict = GaugeMetricFamily(
            "agentstatus_agent_verdict",
            "The current verdict as a state set: 1 for the current one. region=\"\" is the "
            "agent's overall verdict.",
            labels=["agent", "region", "verdict"])
        uptime = GaugeMetricFamily(
            "agentstatus_uptime_ratio",
            "Share of the known time the agent was UP or REACHABLE in the window (0-1).",
            labels=["agent", "window"])
        last_run = GaugeMetricFamily(
            "agentstatus_last_run_timestamp_seconds",
            "When the agent's last run finished (Unix time).", labels=["agent"])
        paused = GaugeMetricFamily(
            "agentstatus_agent_paused", "Whether polling of the agent is paused.",
            labels=["agent"])
        for v in views:
            aid = v.agent.id
            for name, value in (("", v.verdict.value),
                                *((r, rv.value) for r, rv in v.region_verdicts.items())):
                for option in VERDICTS:
                    verdict.add_metric([aid, name, option], 1.0 if option == value else 0.0)
            for region, rv in v.region_verdicts.items():
                if rv is not Verdict.UNKNOWN:
                    success.add_metric([aid, region], 0.0 if rv is Verdict.DOWN else 1.0)
            for window in ("24h", "7d", "30d"):
                ratio = v.uptime.get(window)
                if ratio is not None:
                    uptime.add_metric([aid, window], ratio)
            if v.last is not None:
                last_run.add_metric([aid], v.last.finished_at)
            paused.add_metric([aid], 1.0 if v.paused else 0.0)
        yield from (success, verdict, uptime, last_run, paused)

        probes = CounterMetricFamily(
            "agentstatus_probes", "Probe requests by result: ok or the error code.",
            labels=["agent", "region", "result"])
        for (aid, region, result), n in sorted(self.probes.items()):
            probes.add_metric([aid, region, result], n)
        yield probes
        ttfb = HistogramMetricFamily(
            "agentstatus_probe_ttfb_seconds",
            "Time to the first byte of the answer, per probe request.",
            labels=["agent", "region"])
        for (aid, region), h in sorted(self.ttfb.items()):
            ttfb.add_metric([aid, region], h.buckets(), h.sum)
        yield ttfb
        alerts = CounterMetricFamily(
            "agentstatus_alerts", "Alert delivery attempts by channel and result "
            "(delivered, retry, failed).", labels=["channel", "result"])
        for (channel, result), n in sorted(self.alerts.items()):
            alerts.add_metric([channel, result], n)
        yield alerts
        health = engine_reads.alert_health(mon)
        yield GaugeMetricFamily("agentstatus_outbox_pending",
                                "Alerts queued and not yet delivered.", value=health.pending)


def registry(collector: MonitorCollector) -> CollectorRegistry:
    reg = CollectorRegistry(auto_describe=False)
    reg.register(collector)
    ProcessCollector(registry=reg)
    return reg


def exposition(reg: CollectorRegistry) -> tuple[bytes, str]:
    return generate_latest(reg), CONTENT_TYPE_LATEST
