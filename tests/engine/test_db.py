"""One transaction helper for every component sharing the SQLite file."""

from __future__ import annotations

import pytest

from agentstatus_tui.engine.history import db


@pytest.fixture
def conn(tmp_path):
    c = db.connect(tmp_path / db.DB_FILENAME)
    c.execute("CREATE TABLE t (v TEXT)")
    yield c
    c.close()


def values(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT v FROM t ORDER BY rowid")]


def test_commits_or_rolls_back_as_a_whole(conn):
    with db.transaction(conn) as c:
        assert c is conn and conn.in_transaction
        conn.execute("INSERT INTO t VALUES ('kept')")
    with pytest.raises(RuntimeError), db.transaction(conn):
        conn.execute("INSERT INTO t VALUES ('lost')")
        raise RuntimeError("boom")
    assert not conn.in_transaction
    assert values(conn) == ["kept"]


def test_nested_failure_undoes_only_the_inner_part(conn):
    with db.transaction(conn):
        conn.execute("INSERT INTO t VALUES ('outer')")
        with pytest.raises(RuntimeError), db.transaction(conn, "inner"):
            conn.execute("INSERT INTO t VALUES ('inner')")
            raise RuntimeError("boom")
        with db.transaction(conn, "inner"):
            conn.execute("INSERT INTO t VALUES ('second inner')")
        assert conn.in_transaction  # the outer transaction is still open
    assert values(conn) == ["outer", "second inner"]


def test_outer_failure_undoes_committed_inner_parts(conn):
    with pytest.raises(RuntimeError), db.transaction(conn):
        with db.transaction(conn):
            conn.execute("INSERT INTO t VALUES ('inner')")
        raise RuntimeError("boom")
    assert values(conn) == []
