"""Gold prompt expectations, one kind at a time, and all-must-hold; plus max_ttfb through a real run."""

from __future__ import annotations

import re

import pytest
from agent_server import AgentServer, Reply

from agentstatus_tui.engine.model import AgentConfig, Config, Expectation, GoldPrompt, Region
from agentstatus_tui.engine.probe.expectations import failures
from agentstatus_tui.engine.probe.prober import Prober


def E(kind: str, value: object) -> Expectation:
    return Expectation(kind, value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("exp", "answer", "passes"),
    [
        (E("contains", "4"), "The answer is 4.", True),
        (E("contains", "Paris"), "It is paris.", False),  # case matters
        (E("icontains", "Paris"), "It is PARIS.", True),
        (E("icontains", "Paris"), "It is Lyon.", False),
        (E("not_contains", "sorry"), "4", True),
        (E("not_contains", "sorry"), "I'm sorry, I can't help", False),
        (E("equals", "4"), " 4\n", True),  # surrounding whitespace is formatting
        (E("equals", "4"), "4.", False),
        (E("regex", re.compile(r"^\d+$")), "42", True),
        (E("regex", re.compile(r"^\d+$")), "forty-two", False),
        (E("regex", r"\bok\b"), "all ok here", True),  # a plain string pattern works too
        (E("json", True), '{"status": "ok"}', True),
        (E("json", True), '```json\n{"status": "ok"}\n```', True),  # a fenced block
        (E("json", True), "status: ok", False),
        (E("json", True), '{"status": ', False),
    ],
)
def test_text_expectations(exp: Expectation, answer: str, passes: bool) -> None:
    got = failures((exp,), answer, ttfb=0.1)
    assert (got == []) is passes, got


@pytest.mark.parametrize(
    ("ttfb", "passes"), [(0.2, True), (0.5, True), (0.51, False), (None, False)]
)
def test_max_ttfb(ttfb: float | None, passes: bool) -> None:
    assert (failures((E("max_ttfb", 0.5),), "x", ttfb) == []) is passes


def test_every_expectation_must_hold_and_each_failure_is_named() -> None:
    exps = (E("contains", "4"), E("not_contains", "5"), E("max_ttfb", 1.0))
    assert failures(exps, "4", 0.3) == []
    got = failures(exps, "4 or 5", 2.0)
    assert len(got) == 2
    assert got[0].startswith("not_contains") and got[1].startswith("max_ttfb")
    assert got[1] == "max_ttfb: 1.0s, got 2.0s"


async def test_max_ttfb_judged_on_the_measured_ttfb() -> None:
    async with AgentServer() as server:
        url = server.route("/slow", Reply("4", delay=0.3))
        gold = (
            GoldPrompt("2+2?", (E("contains", "4"), E("max_ttfb", 0.05))),
            GoldPrompt("2+2?", (E("contains", "4"), E("max_ttfb", 5.0))),
        )
        agent = AgentConfig(id="a", name="A", url=url, regions=("us",), validations=1,
                            retries=0, gold_prompts=gold)
        prober = Prober(Config(agents=(agent,), regions={"us": Region("us")}))
        try:
            result = await prober.run(agent)
        finally:
            await prober.aclose()
    by_index = {r.gold_index: r for r in result.requests if r.kind == "gold"}
    assert by_index[0].error == "EVAL_FAIL" and "max_ttfb" in (by_index[0].detail or "")
    assert by_index[1].ok
    assert result.overall.eval_pass == 0.5


# --------------------------------------------------------------------------- hostile answers
# An answer is written by the agent: judging it must take time in proportion to its size.

REDOS = "(a+)+$"  # hours on a backtracking engine against "a" * 40 + "!"
REDOS_ANSWER = "a" * 40 + "!"
DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_a_catastrophic_regex_fails_only_its_prompt() -> None:
    got = failures((E("regex", REDOS),), REDOS_ANSWER, ttfb=0.1)
    assert got == [f"regex: {REDOS!r} failed on {REDOS_ANSWER!r}"]
    assert failures((E("regex", REDOS),), "a" * 40, ttfb=0.1) == []


@pytest.mark.parametrize(
    ("pattern", "answer", "passes"),
    [
        (r"^\d+$", "42\n", True),  # `$` before a final newline, as in Python
        (r"^\d+$", "42\n\n", False),
        (r"(?i)paris", "PARIS", True),
        (r"(?P<n>\d)\d", "x42", True),
    ],
)
def test_regexes_keep_their_python_meaning_on_re2(pattern: str, answer: str, passes: bool) -> None:
    assert (failures((E("regex", pattern),), answer, ttfb=0.1) == []) is passes


def test_deeply_nested_json_is_a_failure_not_a_crash() -> None:
    assert failures((E("json", True),), DEEP_JSON, ttfb=0.1) == [
        "json failed: JSON nested too deeply"
    ]
    fenced = "```json\n" + DEEP_JSON + "\n```"
    assert failures((E("json", True),), fenced, ttfb=0.1) == ["json failed: JSON nested too deeply"]


@pytest.mark.parametrize(
    "answer",
    [
        "```\n" + "\n" * 20_000 + "x",  # cubic work for a fence regex: minutes
        "```\n" + " \n" * 20_000 + "x",
        "```json\n" + "\n" * 20_000,
    ],
    ids=["newlines", "spaced-newlines", "unclosed"],
)
def test_a_fence_lookalike_is_judged_in_linear_time(answer: str) -> None:
    (why,) = failures((E("json", True),), answer, ttfb=0.1)
    assert why.startswith("json failed on ")


@pytest.mark.parametrize(
    ("answer", "passes"),
    [
        ('```\n{"a": 1}\n```', True),
        ('  ```JSON \n[1,\n 2]\n  ```  \n', True),
        ('```json\n{"a": 1}```', False),  # the closing fence is on a line of its own
        ('```js on\n{"a": 1}\n```', False),
        ('```json\n\n{"a": 1}\n\n```', True),
    ],
)
def test_a_fenced_json_block(answer: str, passes: bool) -> None:
    assert (failures((E("json", True),), answer, ttfb=0.1) == []) is passes


async def test_hostile_answers_fail_their_own_prompt_and_nobody_elses() -> None:
    async with AgentServer() as server:
        agents = tuple(
            AgentConfig(id=agent_id, name=agent_id, url=server.route(f"/{agent_id}", Reply(answer)),
                        regions=("us",), validations=1, retries=0,
                        gold_prompts=(GoldPrompt("?", expect),))
            for agent_id, answer, expect in (
                ("redos", REDOS_ANSWER, (E("regex", REDOS),)),
                ("deep", DEEP_JSON, (E("json", True),)),
                ("healthy", '{"n": 4}', (E("json", True), E("regex", r"^\{.*4\}$"))),
            )
        )
        prober = Prober(Config(agents=agents, regions={"us": Region("us")}))
        try:
            results = {a.id: await prober.run(a) for a in agents}
        finally:
            await prober.aclose()
    gold = {agent_id: next(r for r in result.requests if r.kind == "gold")
            for agent_id, result in results.items()}
    assert gold["redos"].error == "EVAL_FAIL"
    assert (gold["redos"].detail or "").startswith(f"regex: {REDOS!r} failed on")
    assert gold["deep"].error == "EVAL_FAIL"
    assert gold["deep"].detail == "json failed: JSON nested too deeply"
    assert gold["healthy"].ok, gold["healthy"].detail
    assert results["healthy"].overall.eval_pass == 1.0
