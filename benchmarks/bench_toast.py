"""PostgreSQL TOAST compression of the worker's two large values: server CPU per write.

Builds a simulated community of N ratings in memory (as ``pass_breakdown.py``), refits it,
runs one pass of ``--batch-size`` rating events, then writes, into scratch tables of the
given PostgreSQL database, (a) that pass's ``note_scores`` rows' ``scorer_views`` (JSON,
~4.7 KB a note) as the worker's upsert does, and (b) the refit's payload in 64 MiB pieces
as ``store_refit`` does, once per compression method (pglz, lz4, storage external), twice
each. It prints the database server's CPU (``/proc`` of the backend: the server must run
on this machine) and the wall time per write, and the stored size.

    PYTHONPATH=src python benchmarks/bench_toast.py --ratings 100000 \\
        --url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

_TICKS = os.sysconf("SC_CLK_TCK")
_METHODS = ("pglz", "lz4", "external")


def _server_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _community(n: int, batch: int) -> tuple[list[tuple[int, str]], bytes]:
    """(note id, scorer_views) of one pass's rescored notes, and the refit's payload."""
    import pass_breakdown as pb

    state, events = pb.community(n)
    payload = state.refit().to_bytes()
    state.warm_up()
    state.apply_events(events(1))
    state.rescore(events.now)
    state.apply_events(events(batch))
    rows = state.rescore(events.now).scores
    return [(int(r["note_id"]), str(r["scorer_views"])) for r in rows if r["scorer_views"]], payload


def _table(conn: Any, name: str, ddl: str, column: str, method: str) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(f"CREATE TABLE {name} ({ddl})")
    if method == "external":
        conn.execute(f"ALTER TABLE {name} ALTER COLUMN {column} SET STORAGE EXTERNAL")
    else:
        conn.execute(f"ALTER TABLE {name} ALTER COLUMN {column} SET COMPRESSION {method}")


def main() -> int:
    import psycopg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--repeats", type=int, default=20, help="upserts of the note rows")
    args = parser.parse_args()
    rows, payload = _community(args.ratings, args.batch_size)
    sizes = sorted(len(v) for _, v in rows)
    print(
        f"{args.ratings} ratings: {len(rows)} note rows (scorer_views median "
        f"{sizes[len(sizes) // 2]} B), refit payload {len(payload) / 1e6:.1f} MB"
    )
    conn = psycopg.connect(args.url, autocommit=True)
    pid = int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])  # type: ignore[index]
    chunk = 64 << 20
    try:
        for method in _METHODS * 2:
            _table(conn, "bw_toast_notes", "note_id bigint PRIMARY KEY, k int, v text", "v", method)
            cpu0, t0 = _server_cpu_s(pid), time.perf_counter()
            for k in range(args.repeats):
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO bw_toast_notes VALUES (%s, %s, %s) ON CONFLICT (note_id) "
                        "DO UPDATE SET k = excluded.k, v = excluded.v",
                        [(n, k, v) for n, v in rows],
                    )
            cpu1, t1 = _server_cpu_s(pid), time.perf_counter()
            notes_mb = conn.execute("SELECT pg_total_relation_size('bw_toast_notes')").fetchone()
            _table(conn, "bw_toast_chunks", "seq int PRIMARY KEY, data bytea", "data", method)
            cpu2, t2 = _server_cpu_s(pid), time.perf_counter()
            with conn.transaction():
                for seq, start in enumerate(range(0, len(payload), chunk)):
                    conn.execute(
                        "INSERT INTO bw_toast_chunks VALUES (%s, %s)",
                        (seq, payload[start : start + chunk]),
                    )
            cpu3, t3 = _server_cpu_s(pid), time.perf_counter()
            stored = conn.execute("SELECT pg_total_relation_size('bw_toast_chunks')").fetchone()
            print(
                f"{method:9s} note rows: server CPU {(cpu1 - cpu0) * 1000 / args.repeats:5.1f} "
                f"ms, wall {(t1 - t0) * 1000 / args.repeats:5.1f} ms per upsert "
                f"(table {int(notes_mb[0]) / 1e6:.1f} MB); "  # type: ignore[index]
                f"refit payload: server CPU {cpu3 - cpu2:.2f} s, wall {t3 - t2:.2f} s, "
                f"{int(stored[0]) / len(payload):.2f} of its size"  # type: ignore[index]
            )
    finally:
        conn.execute("DROP TABLE IF EXISTS bw_toast_notes")
        conn.execute("DROP TABLE IF EXISTS bw_toast_chunks")
        conn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
