"""extensions.bodies runs the body regrouping in a child process on a real archive file."""
from __future__ import annotations

import sqlite3

import pytest

from agencies_fixtures import add, gold, min_db
from extensions.bodies import refresh_bodies


def test_refresh_in_a_child_groups_the_hongze_years(tmp_path):
    db = tmp_path / "a.db"
    archive = min_db(db)
    for slug in ("hongze-qzf-2023", "hongze-qzf-2024", "taicang-zrzy-2020"):
        add(archive, gold(slug))
    archive.conn.close()
    summary = refresh_bodies(db, timeout=120)
    assert summary["reports"] == 3 and summary["bodies"] == 2
    con = sqlite3.connect(db)
    assert con.execute("select count(distinct body_id) from report_body").fetchone()[0] == 2


def test_refresh_failure_is_an_error_with_the_childs_words(tmp_path):
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RuntimeError, match="(?i)database|not a database|file"):
        refresh_bodies(bad, timeout=60)
