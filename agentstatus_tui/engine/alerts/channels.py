"""Sending one alert through one channel, and classifying the receiver's answer:
delivered, worth retrying (network, 429, 5xx), or failed for good (other 4xx)."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import hashlib
import hmac
import json
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiosmtplib
import httpx
from httpx_aiohttp import AiohttpTransport

from ..model import (
    Channel,
    EmailChannel,
    PagerDutyChannel,
    SlackChannel,
    StatuspageChannel,
    WebhookChannel,
)
from ..secrets import redact
from .group_messages import email_group_message, slack_group_body
from .messages import (
    AlertFacts,
    email_message,
    pagerduty_body,
    slack_body,
    statuspage_body,
    webhook_body,
)

SIGNATURE_HEADER = "X-AgentStatus-Signature"
USER_AGENT = "agentstatus-alerts/1"
SNIPPET = 200  # characters of a receiver's answer kept for the log
# A receiver's answer is only read for the log: at most this many bytes of it, for at
# most this long after its status line. The status alone decides delivery.
ANSWER_BYTES = 4096
ANSWER_WAIT = 2.0


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    retriable: bool = False
    status: int | None = None  # HTTP status or SMTP reply code
    answer: str = ""  # the receiver's answer, trimmed and redacted
    error: str | None = None  # why it was not delivered, redacted
    retry_after: float | None = None  # seconds the receiver asked us to wait
    protocol: str = "HTTP"  # what `status` is a code of: HTTP or SMTP


def channel_secrets(channel: Channel, config_secrets: Iterable[str]) -> frozenset[str]:
    """Every value of this channel that must never be shown, whether or not it came from
    `${VAR}`: webhook URLs embed tokens even when written literally, and a receiver may
    echo just the token part of one."""
    own: list[str | None] = []
    match channel:
        case PagerDutyChannel():
            own = [channel.routing_key]
        case SlackChannel():
            own = [channel.url]
        case WebhookChannel():
            own = [channel.url, channel.secret, *channel.headers.values()]
        case EmailChannel():
            own = [channel.password]
        case StatuspageChannel():
            own = [channel.api_key]
    values = {s for s in (*config_secrets, *own) if s}
    for v in list(values):
        values |= url_token_parts(v)
    return frozenset(values)


def url_secrets(url: str) -> frozenset[str]:
    """A URL that is itself a token (a webhook, a heartbeat): it and its token parts."""
    return frozenset({url, *url_token_parts(url)})


def url_token_parts(value: str) -> set[str]:
    """The parts of a secret URL that look like tokens (path segments, query values and
    credentials that are long, or mix letters and digits)."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return set()
    if not parts.scheme or not parts.netloc:
        return set()
    pieces = [*parts.path.split("/"), *(v for _, v in parse_qsl(parts.query)),
              parts.username or "", parts.password or ""]
    return {p for p in pieces if len(p) >= 16 or (len(p) >= 8 and _mixed(p))}


def _mixed(s: str) -> bool:
    return any(c.isdigit() for c in s) and any(c.isalpha() for c in s)


def make_client(timeout: float = 10.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=AiohttpTransport(),
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def statuspage_component_url(channel: StatuspageChannel, component_id: str) -> str:
    return (f"{channel.url.rstrip('/')}/v1/pages/{channel.page_id}"
            f"/components/{component_id}")


async def send(
    channel: Channel,
    facts: AlertFacts,
    *,
    client: httpx.AsyncClient,
    secrets: Iterable[str] = (),
    timeout: float = 10.0,
) -> DeliveryResult:
    """Deliver `facts` through `channel` once. Never raises for a receiver's fault."""
    hide = channel_secrets(channel, secrets)
    try:
        match channel:
            case PagerDutyChannel():
                return await _post(client, channel.url, _dumps(pagerduty_body(facts, channel)),
                                   {}, hide, timeout)
            case SlackChannel():
                return await _post(client, channel.url, _dumps(slack_body(facts)), {}, hide,
                                   timeout)
            case WebhookChannel():
                body = _dumps(webhook_body(facts))
                headers = dict(channel.headers)
                if channel.secret:
                    headers[SIGNATURE_HEADER] = sign(body, channel.secret)
                return await _post(client, channel.url, body, headers, hide, timeout)
            case StatuspageChannel():
                return await _statuspage(client, channel, facts, hide, timeout)
            case EmailChannel():
                return await _send_mail(channel, email_message(facts, channel), hide,
                                        min(timeout, channel.timeout))
    except Exception as exc:  # a bug in one payload must not stop the outbox
        return DeliveryResult(False, retriable=True, error=_exc_text(exc, hide))
    return DeliveryResult(False, error=f"unknown channel type {channel.type!r}")


async def send_group(
    channel: Channel,
    facts: Sequence[AlertFacts],
    *,
    client: httpx.AsyncClient,
    secrets: Iterable[str] = (),
    timeout: float = 10.0,
) -> DeliveryResult:
    """Deliver a group of pages as one message (Slack, email; see `groups.py`); one page
    goes out as itself. Never raises for a receiver's fault."""
    if len(facts) == 1 or not isinstance(channel, SlackChannel | EmailChannel):
        return await send(channel, facts[0], client=client, secrets=secrets, timeout=timeout)
    hide = channel_secrets(channel, secrets)
    try:
        if isinstance(channel, SlackChannel):
            return await _post(client, channel.url, _dumps(slack_group_body(facts)), {}, hide,
                               timeout)
        return await _send_mail(channel, email_group_message(facts, channel), hide,
                                min(timeout, channel.timeout))
    except Exception as exc:  # a bug in one payload must not stop the outbox
        return DeliveryResult(False, retriable=True, error=_exc_text(exc, hide))


async def _statuspage(client: httpx.AsyncClient, channel: StatuspageChannel,
                      facts: AlertFacts, hide: frozenset[str], timeout: float) -> DeliveryResult:
    component = channel.components.get(facts.agent_id)
    body = statuspage_body(facts)
    if component is None or body is None:
        return DeliveryResult(False, error=f"no status page component for {facts.agent_id}")
    return await _request(client, "PATCH", statuspage_component_url(channel, component),
                          _dumps(body), {"Authorization": f"OAuth {channel.api_key}"}, hide,
                          timeout)


async def check_statuspage(client: httpx.AsyncClient, channel: StatuspageChannel,
                           secrets: Iterable[str] = (), timeout: float = 10.0) -> DeliveryResult:
    """Read the page's components: proves key and page id without touching what the
    public sees (a test must never flip a real component's status)."""
    url = f"{channel.url.rstrip('/')}/v1/pages/{channel.page_id}/components"
    return await _request(client, "GET", url, None,
                          {"Authorization": f"OAuth {channel.api_key}"},
                          channel_secrets(channel, secrets), timeout)


async def _post(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str],
                hide: frozenset[str], timeout: float) -> DeliveryResult:
    return await _request(client, "POST", url, body, headers, hide, timeout)


async def request(client: httpx.AsyncClient, method: str, url: str, body: bytes | None,
                  headers: dict[str, str], hide: frozenset[str],
                  timeout: float) -> DeliveryResult:
    """One request to a receiver (a channel, a heartbeat), judged as a delivery."""
    return await _request(client, method, url, body, headers, hide, timeout)


async def _request(client: httpx.AsyncClient, method: str, url: str, body: bytes | None,
                   headers: dict[str, str], hide: frozenset[str],
                   timeout: float) -> DeliveryResult:
    """One request, all of it (connect, send, status, answer) inside `timeout` seconds:
    httpx's own timeout is per read, and a receiver dripping a byte a second never
    trips it. Once the status line is in, that is the outcome; the answer is read only
    for the log, and only a few kB of it."""
    headers = {"Accept-Encoding": "identity", **headers}  # the answer is read raw
    if body is not None:
        headers = {"Content-Type": "application/json", **headers}
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    request = client.build_request(method, url, content=body, headers=headers,
                                   timeout=httpx.Timeout(timeout))
    try:
        async with asyncio.timeout_at(end):
            resp = await client.send(request, stream=True)
    except TimeoutError:
        return DeliveryResult(False, retriable=True,
                              error=f"no answer within {timeout:g}s")
    except httpx.HTTPError as exc:
        return DeliveryResult(False, retriable=True, error=_exc_text(exc, hide))
    try:
        raw = await read_answer(resp, min(end, loop.time() + ANSWER_WAIT))
    finally:
        await _close(resp)
    return judge(resp.status_code, raw.decode("utf-8", errors="replace"),
                 resp.headers.get("Retry-After"), hide)


async def read_answer(resp: httpx.Response, until: float,
                      limit: int = ANSWER_BYTES) -> bytes:
    """At most `limit` bytes of the answer, whatever arrived by `until` (loop time)."""
    got = bytearray()
    with contextlib.suppress(TimeoutError, httpx.HTTPError):
        async with asyncio.timeout_at(until):
            async for chunk in resp.aiter_raw():
                got += chunk[: limit - len(got)]
                if len(got) >= limit:
                    break
    return bytes(got)


async def _close(resp: httpx.Response) -> None:
    """Drop the connection without reading the rest of the answer."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(ANSWER_WAIT):
            await resp.aclose()


def judge(status: int, text: str, retry_after: str | None,
          hide: frozenset[str]) -> DeliveryResult:
    """Delivered (2xx), worth retrying (408, 429, 5xx) or refused for good."""
    answer = snippet(text, hide)
    if 200 <= status < 300:
        return DeliveryResult(True, status=status, answer=answer)
    error = f"HTTP {status}: {answer}" if answer else f"HTTP {status}"
    if status == 429 or status == 408 or status >= 500:
        return DeliveryResult(False, retriable=True, status=status, answer=answer,
                              error=error, retry_after=parse_retry_after(retry_after))
    return DeliveryResult(False, status=status, answer=answer, error=error)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def snippet(text: str, hide: Iterable[str]) -> str:
    flat = " ".join(text.split())
    flat = redact(flat, hide)
    return flat if len(flat) <= SNIPPET else flat[: SNIPPET - 1] + "…"


def _exc_text(exc: BaseException, hide: Iterable[str]) -> str:
    # httpx-aiohttp reports a refused connection as ConnectTimeout; the cause says more.
    cause = exc.__cause__
    msg = str(exc) or (str(cause) if cause else "") or type(exc).__name__
    name = type(cause).__name__ if cause is not None else type(exc).__name__
    return snippet(f"{name}: {msg}", hide)


async def _send_mail(channel: EmailChannel, message: EmailMessage, hide: frozenset[str],
                     timeout: float) -> DeliveryResult:
    """SMTP, all of it (greeting, TLS, login, message, QUIT) inside `timeout` seconds:
    a server that drips its greeting must not hold an alert, or a shutdown, longer.
    Delivered once the server accepted the message."""
    msg = stamped(message, channel)
    tls = ssl.create_default_context() if channel.ssl or channel.starttls else None
    smtp = aiosmtplib.SMTP(hostname=channel.host, port=channel.port, timeout=timeout,
                           use_tls=channel.ssl, start_tls=channel.starttls and not channel.ssl,
                           tls_context=tls)
    try:
        async with asyncio.timeout(timeout):
            await smtp.connect()
            if channel.username:
                await smtp.login(channel.username, channel.password or "")
            refused, _ = await smtp.send_message(msg)
            with contextlib.suppress(aiosmtplib.SMTPException):
                await smtp.quit()
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        text = snippet("; ".join(f"{r.recipient}: {r.code} {r.message}"
                                 for r in exc.recipients), hide)
        return DeliveryResult(False, retriable=any(c < 500 for c in codes),
                              status=min(codes, default=None), error=f"refused: {text}",
                              protocol="SMTP")
    except aiosmtplib.SMTPResponseException as exc:
        return DeliveryResult(False, retriable=exc.code < 500, status=exc.code,
                              error=snippet(f"SMTP {exc.code}: {exc.message}", hide),
                              protocol="SMTP")
    except aiosmtplib.SMTPNotSupported as exc:
        # Configuration problems (no STARTTLS, no AUTH): retrying will not help.
        return DeliveryResult(False, error=_exc_text(exc, hide), protocol="SMTP")
    except (TimeoutError, aiosmtplib.SMTPTimeoutError):
        return DeliveryResult(False, retriable=True, protocol="SMTP",
                              error=f"SMTP: no answer within {timeout:g}s")
    except (OSError, aiosmtplib.SMTPException) as exc:
        if _cert_failed(exc):
            return DeliveryResult(False, error=_exc_text(exc, hide), protocol="SMTP")
        return DeliveryResult(False, retriable=True, error=_exc_text(exc, hide),
                              protocol="SMTP")
    finally:
        smtp.close()
    answer = "accepted" if not refused else snippet(f"accepted; refused {sorted(refused)}", hide)
    return DeliveryResult(True, status=250, answer=answer, protocol="SMTP")


def stamped(msg: EmailMessage, channel: EmailChannel) -> EmailMessage:
    """The headers RFC 5322 requires of every message, as sent now: `Date`, and a
    `Message-ID` in the sender's domain."""
    if "Date" not in msg:
        msg["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
    if "Message-ID" not in msg:
        domain = channel.from_addr.rpartition("@")[2].strip(" >") or None
        msg["Message-ID"] = email.utils.make_msgid("agentstatus", domain=domain)
    return msg


def _cert_failed(exc: BaseException) -> bool:
    cur: BaseException | None = exc
    for _ in range(5):
        if cur is None:
            return False
        if isinstance(cur, ssl.SSLCertVerificationError):
            return True
        cur = cur.__cause__ or cur.__context__
    return False
