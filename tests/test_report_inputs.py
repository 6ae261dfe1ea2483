"""Bad inputs to `districts list`, `feed` and `segments update`, and the `--since` and `--db` rules."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from k12signals import storage
from k12signals.cli import main
from k12signals.commands.options import parse_since
from k12signals.errors import InputError


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "signals.db"
    db = storage.open_database(path)
    storage.upsert_districts(
        db, [{"nces_id": "3300001", "name": "Alder School District", "state": "NH", "website": "alder.example.org"}]
    )
    db.close()
    return path


def run(capsys, *arguments):
    status = main(list(arguments))
    output = capsys.readouterr()
    return status, output.out, output.err


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["feed", "--since", "yesterdayish"], ["'yesterdayish'", "ISO date", "30d"]),
        (["feed", "--since", "30 days"], ["'30 days'"]),
        (["feed", "--stage", "big"], ["--stage 'big'", "none, exploring, early, mature, retreat"]),
        (["feed", "--format", "xml"], ["--format 'xml'", "jsonl, csv"]),
        (["feed", "--kind", "gossip"], ["--kind 'gossip'", "principal_appointment"]),
        (["feed", "--state", "ZZ"], ["--state 'ZZ'", "two-letter USPS code"]),
        (["feed", "--state", "New Hampshire"], ["--state 'New Hampshire'"]),
        (["districts", "list", "--stage", "big"], ["--stage 'big'", "mature"]),
        (["districts", "list", "--format", "xml"], ["--format 'xml'", "table, jsonl, csv"]),
        (["districts", "list", "--state", "XX"], ["--state 'XX'", "such as NH"]),
    ],
)
def test_bad_value_exits_2(capsys, database, arguments, expected):
    status, out, err = run(capsys, *arguments, "--db", str(database))
    assert status == 2
    assert out == ""
    for fragment in expected:
        assert fragment in err


@pytest.mark.parametrize(
    "arguments",
    [["feed"], ["districts", "list"], ["segments", "update"]],
)
def test_missing_database_exits_2(capsys, tmp_path, arguments):
    missing = tmp_path / "no-such.db"
    status, _, err = run(capsys, *arguments, "--db", str(missing))
    assert status == 2
    assert "no-such.db" in err
    assert "not found" in err
    assert not missing.exists()


def test_database_from_environment(capsys, monkeypatch, database):
    monkeypatch.setenv("SIGNALS_DB", str(database))
    status, out, _ = run(capsys, "districts", "list", "--format", "jsonl")
    assert status == 0
    assert json.loads(out)["nces_id"] == "3300001"


def test_segments_update_prints_counts(capsys, database):
    status, out, _ = run(capsys, "segments", "update", "--db", str(database))
    assert status == 0
    assert "Updated 1 districts; 1 changed stage." in out
    assert "  none: 1" in out


def test_lowercase_state_accepted(capsys, database):
    status, out, _ = run(capsys, "districts", "list", "--state", "nh", "--format", "csv", "--db", str(database))
    assert status == 0
    assert out.splitlines()[1].startswith("3300001,Alder School District,NH,")


def test_empty_feed_prints_nothing(capsys, database):
    status, out, err = run(capsys, "feed", "--db", str(database))
    assert status == 0
    assert out == ""


NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30d", "2026-02-08T12:00:00Z"),
        ("12h", "2026-03-10T00:00:00Z"),
        ("2w", "2026-02-24T12:00:00Z"),
        ("2026-01-31", "2026-01-31T00:00:00Z"),
        ("2026-01-31T09:30:00", "2026-01-31T09:30:00Z"),
        ("2026-01-31T09:30:00Z", "2026-01-31T09:30:00Z"),
        ("2026-01-31T09:30:00-05:00", "2026-01-31T14:30:00Z"),
    ],
)
def test_since_forms(value, expected):
    assert parse_since(value, now=NOW) == expected


@pytest.mark.parametrize("value", ["yesterdayish", "", "30", "d30", "-2w", "2026-13-01", "30 d"])
def test_since_invalid(value):
    with pytest.raises(InputError, match="invalid --since"):
        parse_since(value, now=NOW)
