"""`agentstatus serve` as a real process for the tests: a config pointing at loopback
agents and receivers, TCP on a free loopback port and/or a unix socket, and clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from receivers import free_port

WRITE_TOKEN = "write-token-0123456789abcdef-secret"
READ_TOKEN = "read-token-0123456789abcdef-secret"
ROUTING_KEY = "pd-routing-key-0123456789-secret"
PD_PATH = "/v2/enqueue"

TOKENS = """\
api:
  tokens:
    - {name: oncall, token: "${AGENTSTATUS_API_KEY}", scope: write}
    - {name: grafana, token: "${READ_TOKEN}"}
"""


def agents_config(agent_urls: dict[str, str], *, pd_url: str | None = None,
                  interval: str = "2s", tokens: bool = True, regions: tuple[str, ...] = ("us", "eu"),
                  extra: str = "") -> str:
    lines = ["regions:"] + [f"  {r}: {{}}" for r in regions]
    if pd_url is not None:
        lines += ["channels:", "  pd:", "    type: pagerduty",
                  '    routing_key: "${PD_KEY}"', f"    url: {pd_url}"]
    lines += ["defaults:", f"  interval: {interval}", "  timeout: 2s", "  validations: 2",
              "  retries: 0"]
    if pd_url is not None:
        lines += ["  alerts: {channels: [pd]}"]
    lines += ["agents:"]
    for agent_id, url in agent_urls.items():
        lines += [f"  - id: {agent_id}", f"    url: {url}"]
    text = "\n".join(lines) + "\n"
    if tokens:
        text += TOKENS
    return text + extra


async def until(check: Callable[[], Awaitable[Any]], *, timeout: float = 40.0,
                every: float = 0.1, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            last = await check()
            if last:
                return last
        await asyncio.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


class ServeProcess:
    def __init__(self, tmp: Path, config_text: str, *, tcp: bool = True,
                 socket: bool = False, args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None) -> None:
        self.tmp = tmp
        self.config = tmp / "agents.yaml"
        self.config.write_text(config_text)
        self.data_dir = tmp / "data"
        self.port = free_port() if tcp else None
        self.socket = tmp / "run" / "api.sock" if socket else None
        self.args = args
        self.env = {**os.environ, "AGENTSTATUS_API_KEY": WRITE_TOKEN, "READ_TOKEN": READ_TOKEN,
                    "PD_KEY": ROUTING_KEY, "AGENTSTATUS_USER": "tester"}
        self.env.pop("XDG_RUNTIME_DIR", None)  # the tests name the socket they want
        self.env.update(env or {})
        self.proc: asyncio.subprocess.Process | None = None
        self.stderr: list[str] = []
        self._reader: asyncio.Task[None] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}" if self.port else "http://daemon"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "agentstatus_tui", "serve", "--config", str(self.config),
               "--data-dir", str(self.data_dir)]
        if self.port:
            cmd += ["--listen", f"127.0.0.1:{self.port}"]
        if self.socket:
            cmd += ["--socket", str(self.socket)]
        return cmd + list(self.args)

    async def start(self, *, ready: bool = True) -> ServeProcess:
        self.proc = await asyncio.create_subprocess_exec(
            *self.command(), env=self.env, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, start_new_session=True)
        self._reader = asyncio.create_task(self._read_stderr())
        await self.wait_ready() if ready else await self.wait_alive()
        return self

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for line in self.proc.stderr:
            self.stderr.append(line.decode(errors="replace"))

    @property
    def log(self) -> str:
        return "".join(self.stderr)

    def session(self, token: str | None = WRITE_TOKEN, *, unix: bool = False) -> aiohttp.ClientSession:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        base = "http://daemon" if unix else self.base
        connector = aiohttp.UnixConnector(path=str(self.socket)) if unix else None
        return aiohttp.ClientSession(base, headers=headers, connector=connector)

    async def _status(self, path: str) -> int:
        if self.proc is not None and self.proc.returncode is not None:
            raise AssertionError(f"the daemon exited ({self.proc.returncode}):\n{self.log}")
        async with self.session(None, unix=self.port is None) as s, s.get(path) as r:
            return r.status

    async def wait_alive(self) -> None:
        await until(lambda: self._ok("/healthz"), what="/healthz")

    async def wait_ready(self) -> None:
        await until(lambda: self._ok("/readyz"), what="/readyz")

    async def _ok(self, path: str) -> bool:
        return await self._status(path) == 200

    async def get_json(self, path: str, token: str | None = WRITE_TOKEN, **kw: Any) -> Any:
        async with self.session(token, unix=self.port is None) as s, s.get(path, **kw) as r:
            assert r.status == 200, (r.status, await r.text())
            return json.loads(await r.text())

    async def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        code = await asyncio.wait_for(self.proc.wait(), timeout)
        if self._reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._reader, 5)
        return code

    async def __aenter__(self) -> ServeProcess:
        if self.proc is not None:
            return self
        try:
            return await self.start()
        except BaseException:  # never ready: no daemon left behind
            await self.__aexit__()
            raise

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        if self._reader is not None:
            self._reader.cancel()
