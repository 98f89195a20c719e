"""Every error answer is the API's JSON error shape, even for requests aiohttp refuses
before any route sees them, and ids written in other digits than ASCII ones are refused
(404/400), not a 500."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import requests
from agent_server import closed_port
from serve_process import WRITE_TOKEN, ServeProcess, agents_config

pytestmark = pytest.mark.timeout(60)

AUTH = f"Authorization: Bearer {WRITE_TOKEN}\r\n".encode()


@pytest.fixture
async def daemon(tmp_path: Path):
    dead = f"http://127.0.0.1:{closed_port()}/v1/chat/completions"
    async with ServeProcess(tmp_path, agents_config({"steady": dead}, interval="30s")) as d:
        yield d


async def raw_exchange(daemon: ServeProcess, request: bytes) -> tuple[bytes, bytes]:
    """Send `request` bytes as they are; the answer's head and body."""
    assert daemon.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", daemon.port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 20)
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        body = await asyncio.wait_for(reader.readexactly(length), 20)
    finally:
        writer.close()
    return head, body


MALFORMED = {
    "a space in a header name": b"GET /api/v1/agents HTTP/1.1\r\nHost: x\r\n" + AUTH
    + b"Bad Header: y\r\n\r\n",
    "a control character in the path": b"GET /api/v1/agents\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    "a Content-Length that is no number": b"POST /api/v1/silences HTTP/1.1\r\nHost: x\r\n"
    + AUTH + b"Content-Length: abc\r\n\r\n",
    "a broken chunked body": b"POST /api/v1/silences HTTP/1.1\r\nHost: x\r\n" + AUTH
    + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    "a header line longer than the parser takes": b"GET /api/v1/agents HTTP/1.1\r\nHost: x\r\n"
    + b"X-Long: " + b"a" * 9000 + b"\r\n\r\n",
}


async def test_requests_aiohttp_refuses_get_the_json_error_shape(daemon: ServeProcess):
    for what, request in MALFORMED.items():
        head, body = await raw_exchange(daemon, request)
        assert head.split(b" ", 2)[1] == b"400", (what, head)
        assert b"application/json" in head.lower(), (what, head)
        error = json.loads(body)["error"]
        assert error["code"] == "bad_request", (what, error)
        assert error["message"] and "b'" not in error["message"], (what, error)
    # Refused with one line each in the log, no traceback.
    await daemon.stop()
    assert daemon.log.count("refused a malformed request") == len(MALFORMED), daemon.log
    assert "Traceback" not in daemon.log, daemon.log


async def test_a_refused_request_never_echoes_a_token_into_the_log(daemon: ServeProcess):
    request = (b"GET /api/v1/agents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
               + WRITE_TOKEN.encode() + b"a" * 9000 + b"\r\n\r\n")
    head, body = await raw_exchange(daemon, request)
    assert head.split(b" ", 2)[1] == b"400", head
    assert WRITE_TOKEN not in body.decode()
    await daemon.stop()
    assert WRITE_TOKEN not in daemon.log


@pytest.mark.parametrize("path", [
    "/api/v1/monitor/alerts/status?ids=%C2%B9",  # superscript one
    "/api/v1/monitor/alerts/status?ids=1,%D9%A3",  # Arabic-Indic three
    "/api/v1/incidents/%C2%B2",
    "/api/v1/monitor/incidents/%C2%B2",
    "/api/v1/monitor/alerts/%C2%B3/attempts",
])
async def test_ids_in_other_digits_are_refused_not_a_server_error(daemon: ServeProcess,
                                                                  path: str):
    async with daemon.session() as s, s.get(path) as r:
        text = await r.text()
        assert r.status in (400, 404), (path, r.status, text)
        assert set(json.loads(text)["error"]) >= {"code", "message"}
    await daemon.stop()
    assert "Traceback" not in daemon.log, daemon.log


# Extra headers of the kinds the fuzzer's negative examples add (random names and values):
# each was a plain-text answer, whose `json.loads` fails as for an empty body.
HEADERS = [
    ({"Expect": "x"}, 417),
    ({"Expect": "100-continue"}, 200),
    ({"Content-Length": "x"}, 400),
    ({"Content-Length": ""}, 400),
    ({"Transfer-Encoding": "gzip"}, 400),
]


@pytest.mark.parametrize(("header", "status"), HEADERS)
async def test_odd_headers_get_the_json_error_shape(daemon: ServeProcess,
                                                    header: dict[str, str], status: int):
    def call() -> tuple[int, str, str]:
        answer = requests.get(daemon.base + "/api/v1/agents", timeout=20,
                              headers={"Authorization": f"Bearer {WRITE_TOKEN}", **header})
        return answer.status_code, answer.headers.get("Content-Type", ""), answer.text

    got, content_type, text = await asyncio.to_thread(call)
    assert got == status, (header, got, text)
    assert content_type.startswith("application/json"), (header, content_type, text)
    if status >= 400:
        assert set(json.loads(text)["error"]) >= {"code", "message"}, text


async def test_the_document_promises_the_json_error_shape_for_every_error(
        daemon: ServeProcess):
    document = await daemon.get_json("/api/v1/openapi.json")
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                if int(status) >= 400:
                    schema = answer.get("content", {}).get("application/json", {})
                    assert schema, (method, path, status)


async def test_a_body_not_in_its_content_encoding_is_a_400_not_a_server_error(
        daemon: ServeProcess):
    def call() -> tuple[int, str]:
        answer = requests.post(daemon.base + "/api/v1/silences", data=b"{}", timeout=20,
                               headers={"Authorization": f"Bearer {WRITE_TOKEN}",
                                        "Content-Encoding": "gzip"})
        return answer.status_code, answer.text

    status, text = await asyncio.to_thread(call)
    assert status == 400, (status, text)
    assert json.loads(text)["error"]["code"] == "bad_request"
    await daemon.stop()
    assert "Traceback" not in daemon.log, daemon.log[-3000:]
