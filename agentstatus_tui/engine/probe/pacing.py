"""How many requests the Prober keeps in flight.

A fixed limit is wrong both ways: 64 slots × a 200 ms agent is 320 requests/s, less than
2,000 agents × 10 validations a minute need (333/s), so runs queue behind each other for
ever; and a check of 500 agents waits for 5,000 requests 64 at a time. So unless the
config names a fixed `max_in_flight`, the limit follows the load (Little's law):

    requests per second the agents' schedules ask for × how long a request holds a slot
    × HEADROOM

plus, while a round of every agent runs at once (`check`, "run all now"), what that
round asks for: each of its runs up to PER_AGENT requests. It never drops under FLOOR
(the old fixed default) and never rises over what the monitor's own CPU can keep up with
(MAX_RATE requests a second at the hold time seen, at most CAP): beyond that the queue is
the monitor's, and time spent in it must not become agents' latency.

A slot is held at most SLOT_HOLD (then a slow agent gives it back), so the hold time
seen is bounded, and so is the limit.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ..model import AgentConfig, Config

FLOOR = 64  # never fewer slots than this
CAP = 512  # never more (open requests: OPEN_PER_SLOT × this, the sockets' bound)
MAX_RATE = 1000.0  # requests a second the limit lets the monitor start, at most
HEADROOM = 2.0  # slots per request the schedules keep in flight on average
PER_AGENT = 10  # one agent's requests being sent or read at once
SLOT_HOLD = 1.0  # a request unanswered this long gives its slot back
PRIOR_HOLD = 0.25  # seconds a request is assumed to hold a slot before any is seen
SMOOTHING = 0.02  # weight of each new hold time in the running average


def requests_per_run(agent: AgentConfig, config: Config) -> int:
    """Validations (at least one per region) and every gold prompt in every region."""
    regions = len(agent.regions or tuple(config.regions) or ("local",))
    return max(agent.validations, regions) + len(agent.gold_prompts) * regions


def scheduled_rate(config: Config) -> float:
    """Requests a second the agents' schedules ask for, all together."""
    return sum(requests_per_run(a, config) / a.interval for a in config.agents if a.interval > 0)


def round_demand(agents: Iterable[AgentConfig], config: Config) -> int:
    """Slots a round of `agents` all at once can use: each at most PER_AGENT."""
    return sum(min(requests_per_run(a, config), PER_AGENT) for a in agents)


def scaled_limit(*, rate: float, hold: float, round_slots: int = 0) -> int:
    """The in-flight limit for `rate` requests a second each holding a slot `hold`
    seconds, with a round of `round_slots` under way."""
    hold = min(max(hold, 0.0), SLOT_HOLD)
    ceiling = min(CAP, max(FLOOR, math.ceil(MAX_RATE * hold)))
    need = math.ceil(HEADROOM * rate * hold) + round_slots
    return min(ceiling, max(FLOOR, need))


class InFlight:
    """A semaphore whose size can change while its slots are held (first come, first
    served). Shrinking takes effect as held slots come back."""

    __slots__ = ("_waiters", "held", "size")

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.held = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self.held >= self.size or bool(self._waiters)

    async def acquire(self) -> None:
        if not self.locked():
            self.held += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release()  # the slot came as the waiter gave up: pass it on
            raise

    def release(self) -> None:
        self.held -= 1
        self._wake()

    def resize(self, size: int) -> None:
        self.size = max(1, size)
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.held < self.size:
            fut = self._waiters.popleft()
            if not fut.done():
                self.held += 1
                fut.set_result(None)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(self, *exc: object) -> None:
        self.release()


class Pacing:
    """The Prober's in-flight limit and the figures it is scaled from. With a fixed
    `max_in_flight` in the config the limit is that number, always."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.fixed = config.max_in_flight
        self.rate = scaled_rate = scheduled_rate(config)
        self.hold = PRIOR_HOLD
        self.round_slots = 0
        self.size = self.fixed or scaled_limit(rate=scaled_rate, hold=self.hold)
        self._slots: InFlight | None = None

    @property
    def slots(self) -> InFlight:
        """The limit itself, made on first use (inside the loop that probes)."""
        if self._slots is None:
            self._slots = InFlight(self.size)
        return self._slots

    def forget_loop(self) -> None:
        self._slots = None  # bound to a loop: a later loop gets its own

    def observe(self, held: float) -> None:
        """A request held its slot this long (at most SLOT_HOLD)."""
        self.hold += SMOOTHING * (min(held, SLOT_HOLD) - self.hold)

    def rescale(self) -> int:
        """Recompute the limit from the figures now; returns it."""
        if self.fixed is None:
            self.size = scaled_limit(rate=self.rate, hold=self.hold, round_slots=self.round_slots)
            if self._slots is not None and self._slots.size != self.size:
                self._slots.resize(self.size)
        return self.size

    @contextmanager
    def round(self, agents: Iterable[AgentConfig]) -> Iterator[None]:
        """While every one of `agents` runs at once, the limit makes room for them."""
        slots = round_demand(agents, self.config)
        self.round_slots += slots
        try:
            yield
        finally:
            self.round_slots -= slots
