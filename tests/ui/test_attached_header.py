"""The header of a dashboard attached to a daemon: where, and loudly when it is gone."""

from __future__ import annotations

from agentstatus_tui.ui.widgets.header import counts_variants, disconnected, fit


def test_where_is_kept_before_the_last_run_and_after_the_title():
    counts = counts_variants([])
    alerts = ("alerts: ok", "")
    line = fit(200, counts, alerts, "last run 12:00:01", where="attached: api.sock")
    assert line[0] == "AgentStatus" and line[3] == "last run 12:00:01   attached: api.sock"
    # 80 columns: the title goes, then the last run; where the data comes from stays.
    title, shown_counts, shown_alerts, last = fit(80, counts, alerts, "last run 12:00:01",
                                                  where="attached: api.sock")
    assert (title, last) == ("", "attached: api.sock")
    assert shown_counts == counts[0] and shown_alerts == "alerts: ok"


def test_disconnected_is_loud_and_narrows_to_one_word():
    paging = disconnected("api.sock")
    assert paging.loud
    assert paging.text == "disconnected — retrying (api.sock)"
    assert paging.variants[-1] == "DISCONNECTED"
    assert fit(30, counts_variants([]), paging.variants, "")[2] == "DISCONNECTED"
