"""The root-cause table picks the row an on-call engineer would, from live run data."""

from __future__ import annotations

import pytest
from incident_fixtures import OK, make_run

from agentstatus_tui.engine.incidents.rootcause import match_run


def keys(run) -> list[str]:
    return [c.key for c in match_run(run)]


@pytest.mark.parametrize(
    ("regions", "gold", "first"),
    [
        # all timeouts everywhere: nothing answers → the server is down
        ({"us": ["TIMEOUT"] * 5, "eu": ["TIMEOUT"] * 5}, None, "server_down"),
        ({"us": ["HTTP_503"] * 5, "eu": ["HTTP_503"] * 5}, None, "app_error"),
        ({"us": ["HTTP_500", OK, "HTTP_502"], "eu": ["HTTP_503"] * 3}, None, "app_error"),
        ({"us": ["HTTP_401"] * 5, "eu": ["HTTP_401"] * 5}, None, "auth"),
        ({"us": ["HTTP_403"] * 5}, None, "auth"),
        # one region DOWN while the other is fine → regional, whatever the code
        ({"us": [OK] * 5, "eu": ["TIMEOUT"] * 5}, None, "regional"),
        ({"us": [OK] * 5, "eu": ["HTTP_503"] * 5}, None, "regional"),
        ({"us": [OK] * 5, "eu": [OK] * 5}, {"us": ["EVAL_FAIL"], "eu": ["EVAL_FAIL"]}, "model"),
        ({"us": ["HTTP_429"] * 5}, None, "rate_limit"),
        ({"us": ["DNS"] * 5}, None, "network"),
        ({"us": ["BAD_BODY"] * 5}, None, "bad_answer"),
    ],
)
def test_the_matching_row_comes_first(regions, gold, first) -> None:
    assert keys(make_run("a", 0.0, regions, gold=gold))[0] == first


def test_one_region_timing_out_is_not_called_server_down() -> None:
    run = make_run("a", 0.0, {"us": [OK] * 5, "eu": ["TIMEOUT"] * 5})
    assert "server_down" not in keys(run)


def test_every_matching_row_is_returned_for_highlighting() -> None:
    run = make_run("a", 0.0, {"us": [OK] * 5, "eu": ["HTTP_503"] * 5},
                   gold={"us": [OK], "eu": ["EVAL_FAIL"]})
    assert keys(run) == ["regional", "app_error", "model"]


def test_a_healthy_run_matches_nothing() -> None:
    assert keys(make_run("a", 0.0, {"us": [OK] * 5, "eu": [OK] * 5})) == []
    assert match_run(None) == ()
