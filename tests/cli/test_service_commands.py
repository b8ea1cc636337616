"""The service commands: db upgrade, apikey, import and export on a SQLite file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bridgewatch.cli import main
from bridgewatch.store.db import make_engine, make_session_factory
from bridgewatch.store.repositories.auth import find_api_key

# ../shared beside the repository (CI), else the shared folder of the worktree layout.
FIXTURE = Path(__file__).parents[3] / "shared" / "fixtures" / "S-core" / "input"
if not FIXTURE.is_dir():
    FIXTURE = Path("/work/shared/fixtures/S-core/input")


def test_db_upgrade_creates_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade", "--data-dir", str(tmp_path)]) == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'bridgewatch.sqlite3'}")
    assert "ratings" in inspect(engine).get_table_names()
    engine.dispose()
    assert "head" in capsys.readouterr().out


def test_apikey_create_and_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["db", "upgrade", "--data-dir", str(tmp_path)])
    capsys.readouterr()
    args = ["--data-dir", str(tmp_path)]
    assert main(["apikey", "create", "forum", "--scope", "ratings:write", *args]) == 0
    assert capsys.readouterr().out.startswith("bwk_")
    assert main(["apikey", "create", "forum", "--scope", "ratings:write", *args]) == 1
    assert main(["apikey", "revoke", "forum", *args]) == 0
    assert main(["apikey", "revoke", "forum", *args]) == 1


def test_apikey_create_restricted_to_named_participants(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["db", "upgrade", "--data-dir", str(tmp_path)])
    capsys.readouterr()
    args = ["--data-dir", str(tmp_path), "--scope", "ratings:write"]
    command = ["apikey", "create", "forum", "--participant", "p1", "--participant", "p2"]
    assert main([*command, *args]) == 0
    secret = capsys.readouterr().out.strip()
    engine = make_engine(f"sqlite:///{tmp_path / 'bridgewatch.sqlite3'}")
    with make_session_factory(engine)() as session:
        record = find_api_key(session, secret)
    engine.dispose()
    assert record is not None
    assert record.participants == frozenset({"p1", "p2"})
    assert record.may_act_for("p1")
    assert not record.may_act_for("p3")


def test_import_and_export_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dump = tmp_path / "dump"
    dump.mkdir()
    with (FIXTURE / "notes-00000.tsv").open() as src:
        lines = src.readlines()[:11]
    (dump / "notes-00000.tsv").write_text("".join(lines))
    data = tmp_path / "data"
    assert main(["import", str(dump), "--data-dir", str(data)]) == 0
    assert "imported 10 notes" in capsys.readouterr().out
    out = tmp_path / "out"
    code = main(
        ["export", str(out), "--data-dir", str(data), "--delay-hours", "0", "--format", "tsv"]
    )
    assert code == 0
    manifest = json.loads(capsys.readouterr().out)
    assert {f["name"] for f in manifest["files"]} >= {"notes-00000.tsv", "ratings-00000.tsv"}
    with (out / "notes-00000.tsv").open() as handle:
        assert len(list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))) == 11
    assert main(["import", str(dump), "--data-dir", str(data)]) == 1


def test_import_of_a_simulated_community_loads_posts_and_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = [
        "--n-notes",
        "40",
        "--n-raters",
        "60",
        "--n-ratings",
        "300",
        "--status-history",
        "seeded",
    ]
    assert main(["simulate", "--out", str(tmp_path / "sim"), *sim]) == 0
    n_posts = len((tmp_path / "sim" / "posts-00000.tsv").read_text().splitlines()) - 1
    n_requests = len((tmp_path / "sim" / "noteRequests-00000.tsv").read_text().splitlines()) - 1
    capsys.readouterr()
    assert main(["import", str(tmp_path / "sim"), "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert f"{n_posts} posts, {n_requests} note requests" in out and n_requests > 0


@pytest.mark.parametrize("flag", ["--as-of", "--as-of-ms"])
def test_export_takes_as_of_like_score_and_the_old_name_still(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    out = tmp_path / "out"
    args = ["export", str(out), "--data-dir", str(data), "--delay-hours", "1", flag, "7200000"]
    assert main(["db", "upgrade", "--data-dir", str(data)]) == 0
    capsys.readouterr()
    assert main(args) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert (manifest["as_of_millis"], manifest["cutoff_millis"]) == (7_200_000, 3_600_000)


def test_the_old_export_flag_is_hidden_from_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = capsys.readouterr().out
    assert "--as-of MS" in text and "--as-of-ms" not in text
