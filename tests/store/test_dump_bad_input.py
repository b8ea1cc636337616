"""`import` refuses a bad dump file (naming file, line and field) and stores nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from bridgewatch.errors import InputError
from bridgewatch.store.dump import import_dump
from bridgewatch.store.tables import notes, ratings

FIXTURE = Path("/work/shared/fixtures/S-core/input")


def _dump(tmp_path: Path, ratings_lines: list[str], end: str = "\n") -> Path:
    out = tmp_path / "dump"
    out.mkdir()
    shutil.copy(FIXTURE / "notes-00000.tsv", out / "notes-00000.tsv")
    (out / "ratings-00000.tsv").write_text("\n".join(ratings_lines) + end)
    return out


def _lines(n: int) -> list[str]:
    with (FIXTURE / "ratings-00000.tsv").open() as handle:
        return [next(handle).rstrip("\n") for _ in range(n + 1)]


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(notes)).scalar_one()) + int(
            conn.execute(select(func.count()).select_from(ratings)).scalar_one()
        )


def test_import_refuses_a_nul_byte_in_an_id(engine: Engine, tmp_path: Path) -> None:
    lines = _lines(50)
    fields = lines[17].split("\t")
    fields[1] = fields[1][:10] + "\x00" + fields[1][10:]
    lines[17] = "\t".join(fields)
    dump = _dump(tmp_path, lines)
    with pytest.raises(InputError) as caught:
        import_dump(engine, dump, now_ms=1)
    error = caught.value
    assert error.path == str(dump / "ratings-00000.tsv")
    assert (error.line, error.field) == (18, "raterParticipantId")
    assert _count(engine) == 0


def test_import_refuses_a_cut_last_line(engine: Engine, tmp_path: Path) -> None:
    lines = _lines(50)
    lines[-1] = lines[-1][: lines[-1].rindex("\t", 0, 120)]
    dump = _dump(tmp_path, lines, end="")
    with pytest.raises(InputError, match=r"line 51, field .*truncated\?"):
        import_dump(engine, dump, now_ms=1)
    assert _count(engine) == 0
