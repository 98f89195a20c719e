"""`GET /metrics` in the Prometheus text format, named after blackbox_exporter.

Each agent's series are rendered from the Monitor's state (verdicts, uptime, last run,
pause) and from what this daemon counted of its runs (probe results, the TTFB
histogram) when the agent's event arrives (a run finished, a verdict changed, a pause),
from the snapshot the event carries: what they show changes only with those events. A
scrape of 500 agents x 3 regions (~33,000 lines) then joins text already rendered,
instead of building every sample on the event loop while Prometheus waits (the first
scrape after a start took 105-118 ms that way, 57 ms when left to the first scrape
after the first round; at events it costs ~35 us a run, 0.03 % of a core for 500 agents
every minute). Agents with no event yet (before the first round, after a reload) are
rendered at the scrape. Integers are written as Go
writes floats (`3.0`); other numbers by prometheus_client's own float formatting; label
sets are built once per agent and region. The daemon-wide series (alert attempts, the
outbox, the process) go through a prometheus_client registry.

Labels hold only agent ids, region and channel names, verdicts and error codes: never a
URL, an error's text or a secret. Times in seconds, ratios 0-1. Counters and the
histogram start at zero with the process, as Prometheus counters do."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

from ..engine.events import AgentPaused, AlertChanged, Event, RunFinished, TransitionEvent
from ..engine.model import RunResult, Verdict
from . import engine_reads
from .engine_reads import AgentView

if TYPE_CHECKING:
    from ..engine.monitor import Monitor

TTFB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_LE = (*(floatToGoString(b) for b in TTFB_BUCKETS), "+Inf")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,31}\Z")
VERDICTS = tuple(v.value for v in Verdict)
GO_INT_MAX = 1_000_000  # from here on Go writes floats with an exponent (1e+06)

# name, type, help: in the order they are written.
FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("agentstatus_probe_success", "gauge",
     "Whether the agent answered in the region in its last run (1) or was DOWN (0); absent "
     "while the region's verdict is UNKNOWN."),
    ("agentstatus_probe_ttfb_seconds", "histogram",
     "Time to the first byte of the answer, per probe request."),
    ("agentstatus_probes_total", "counter",
     "Probe requests by result: ok or the error code."),
    ("agentstatus_agent_verdict", "gauge",
     'The current verdict as a state set: 1 for the current one. region="" is the '
     "agent's overall verdict."),
    ("agentstatus_uptime_ratio", "gauge",
     "Share of the known time the agent was UP or REACHABLE in the window (0-1)."),
    ("agentstatus_last_run_timestamp_seconds", "gauge",
     "When the agent's last run finished (Unix time)."),
    ("agentstatus_agent_paused", "gauge", "Whether polling of the agent is paused."),
)


def result_label(ok: bool, error: str | None) -> str:
    if ok:
        return "ok"
    return error if error and _CODE.match(error) else "OTHER"


def _label(value: str) -> str:
    return value.replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")


def _labels(**labels: str) -> str:
    return ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())


def _int(n: int) -> str:
    """A count as Go formats the float: `3.0`, `1e+06`."""
    return f"{n}.0" if 0 <= n < GO_INT_MAX else floatToGoString(n)


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


@dataclass
class _AgentSeries:
    agent_id: str
    probes: defaultdict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    ttfb: defaultdict[str, _Histogram] = field(default_factory=lambda: defaultdict(_Histogram))
    text: dict[str, str] | None = None  # family → its lines for this agent
    _labels: dict[str | None, str] = field(default_factory=dict)

    def labels(self, region: str | None) -> str:
        """`agent="…",region="…"`, or `agent="…"` for None (each built once)."""
        found = self._labels.get(region)
        if found is None:
            found = self._labels[region] = (_labels(agent=self.agent_id) if region is None
                                            else _labels(agent=self.agent_id, region=region))
        return found

    def render(self, view: AgentView) -> None:
        self.text = _render_agent(view, self)


class MonitorMetrics:
    """The daemon's metrics. Feed it the Monitor's events with `on_event`."""

    def __init__(self, monitor: Callable[[], Monitor],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._monitor = monitor
        self._clock = clock
        self._agents: dict[str, _AgentSeries] = {}
        self.alerts: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._attempts_seen: dict[int, int] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_DaemonCollector(self))
        ProcessCollector(registry=self.registry)

    # ------------------------------------------------------------------ feeding

    def on_event(self, event: Event) -> None:
        if isinstance(event, RunFinished):
            self._on_run(event.result)
            self._series(event.result.agent_id).render(event.snapshot)
        elif isinstance(event, TransitionEvent | AgentPaused):
            self._series(event.agent_id).render(event.snapshot)
        elif isinstance(event, AlertChanged):
            self._on_alert(event)

    def _series(self, agent_id: str) -> _AgentSeries:
        series = self._agents.get(agent_id)
        if series is None:
            series = self._agents[agent_id] = _AgentSeries(agent_id)
        return series

    def _on_run(self, result: RunResult) -> None:
        series = self._series(result.agent_id)
        for r in result.requests:
            series.probes[(r.region, result_label(r.ok, r.error))] += 1
            if r.ttfb is not None:
                series.ttfb[r.region].observe(r.ttfb)

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
        """Drop agents no longer in the config and re-render the rest (after a reload)."""
        for agent_id in list(self._agents):
            if agent_id not in agent_ids:
                del self._agents[agent_id]
            else:
                self._agents[agent_id].text = None

    # ------------------------------------------------------------------ scraping

    def render(self) -> tuple[bytes, str]:
        """The whole exposition and its content type."""
        mon = self._monitor()
        texts: list[dict[str, str]] = []
        for agent_id in engine_reads.known_ids(mon):
            series = self._series(agent_id)
            if series.text is None:  # no event since the start or a reload
                view = engine_reads.agent(mon, agent_id)
                if view is None:
                    continue
                series.render(view)
            assert series.text is not None
            texts.append(series.text)
        out: list[str] = []
        for name, kind, doc in FAMILIES:
            out.append(f"# HELP {name} {doc}\n# TYPE {name} {kind}\n")
            out.extend(t[name] for t in texts)
        return "".join(out).encode() + generate_latest(self.registry), CONTENT_TYPE_LATEST


def _render_agent(v: AgentView, series: _AgentSeries) -> dict[str, str]:
    g = floatToGoString
    n = _int
    success: list[str] = []
    for region, rv in v.region_verdicts.items():
        if rv is not Verdict.UNKNOWN:
            value = "0.0" if rv is Verdict.DOWN else "1.0"
            success.append(f"agentstatus_probe_success{{{series.labels(region)}}} {value}\n")
    verdict: list[str] = []
    for region, current in (("", v.verdict), *v.region_verdicts.items()):
        base = series.labels(region)
        verdict.extend(f'agentstatus_agent_verdict{{{base},verdict="{option}"}} '
                       f'{"1.0" if option == current else "0.0"}\n' for option in VERDICTS)
    ttfb: list[str] = []
    for region, h in sorted(series.ttfb.items()):
        base = series.labels(region)
        total = 0
        for le, count in zip(_LE, h.counts, strict=True):
            total += count
            ttfb.append(f'agentstatus_probe_ttfb_seconds_bucket{{{base},le="{le}"}} '
                        f"{n(total)}\n")
        ttfb.append(f"agentstatus_probe_ttfb_seconds_sum{{{base}}} {g(h.sum)}\n")
        ttfb.append(f"agentstatus_probe_ttfb_seconds_count{{{base}}} {n(total)}\n")
    probes = [f'agentstatus_probes_total{{{series.labels(r)},result="{_label(res)}"}} '
              f"{n(count)}\n" for (r, res), count in sorted(series.probes.items())]
    agent = series.labels(None)
    uptime = [f'agentstatus_uptime_ratio{{{agent},window="{w}"}} {g(ratio)}\n'
              for w in ("24h", "7d", "30d") if (ratio := v.uptime.get(w)) is not None]
    last = ([f"agentstatus_last_run_timestamp_seconds{{{agent}}} "
             f"{g(v.last.finished_at)}\n"] if v.last is not None else [])
    paused = [f"agentstatus_agent_paused{{{agent}}} {'1.0' if v.paused else '0.0'}\n"]
    return {
        "agentstatus_probe_success": "".join(success),
        "agentstatus_probe_ttfb_seconds": "".join(ttfb),
        "agentstatus_probes_total": "".join(probes),
        "agentstatus_agent_verdict": "".join(verdict),
        "agentstatus_uptime_ratio": "".join(uptime),
        "agentstatus_last_run_timestamp_seconds": "".join(last),
        "agentstatus_agent_paused": "".join(paused),
    }


class _DaemonCollector(Collector):
    """Daemon-wide series: alert attempts by channel and result, the outbox."""

    def __init__(self, metrics: MonitorMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        alerts = CounterMetricFamily(
            "agentstatus_alerts", "Alert delivery attempts by channel and result "
            "(delivered, retry, failed).", labels=["channel", "result"])
        for (channel, result), n in sorted(self._metrics.alerts.items()):
            alerts.add_metric([channel, result], n)
        yield alerts
        health = engine_reads.alert_health(self._metrics._monitor())
        yield GaugeMetricFamily("agentstatus_outbox_pending",
                                "Alerts queued and not yet delivered.", value=health.pending)
