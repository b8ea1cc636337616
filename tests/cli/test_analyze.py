"""`bridgewatch analyze` end to end: simulate, score, analyze, open the report."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.cli import main
from tests.scoring.community import write_small_community


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A small community and `score`'s outputs: (notes, ratings, scores dir)."""
    root = tmp_path_factory.mktemp("analyze")
    written = write_small_community(root / "in")
    args = ["--notes", str(written.notes), "--ratings", str(written.ratings[0])]
    assert (
        main(["score", *args, "--outdir", str(root / "s"), "--scorers", "core", "--no-topics"]) == 0
    )
    return written.notes, written.ratings[0], root / "s"


def test_analyze_writes_a_self_contained_report_parquet_tables_and_robustness(
    scored: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes, ratings, scores = scored
    code = main(
        [
            "analyze",
            "--scores",
            str(scores),
            "--notes",
            str(notes),
            "--ratings",
            str(ratings),
            "--outdir",
            str(tmp_path),
            "--bootstrap",
            "20",
            "--title",
            "small <community>",
            "--robustness",
            "--robustness-seeds",
            "1,2",
        ]
    )
    assert code == 0
    report = tmp_path / "report.html"
    assert capsys.readouterr().out.strip() == str(report)
    text = report.read_text()
    assert "small &lt;community&gt;" in text
    # Self-contained: figures inline, nothing fetched.
    assert len(re.findall(r'src="data:image/png;base64,', text)) >= 6
    assert not re.search(r"(src|href)=\"(https?:)?//", text)
    assert "<script" not in text
    polarization = pl.read_parquet(tmp_path / "tables" / "polarization.parquet")
    assert {"bimodality", "modularity"} <= set(polarization["measure"].to_list())
    diversity = pl.read_parquet(tmp_path / "tables" / "note_diversity.parquet")
    assert diversity.height > 0
    assert {"consensus", "bridgingScore", "finalStatus"} <= set(diversity.columns)
    groups = pl.read_parquet(tmp_path / "tables" / "opinion_groups.parquet")
    assert groups["group"].min() == 0
    # --robustness: Core re-scored with seed 2 and without the top 1% of raters.
    robustness = pl.read_parquet(tmp_path / "tables" / "robustness.parquet")
    assert robustness["run"].to_list() == ["seed=2", "dropTop=0.01"]
    assert robustness["droppedRaters"].to_list()[1] >= 1
    assert "Robustness" in text


def test_analyze_without_ratings_reports_the_embeddings_only(
    scored: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _notes, _ratings, scores = scored
    assert main(["analyze", "--scores", str(scores), "--outdir", str(tmp_path)]) == 0
    tables = {p.stem for p in (tmp_path / "tables").iterdir()}
    assert tables == {"rater_embeddings", "note_embeddings", "embedding_neighbours", "polarization"}


def test_analyze_names_what_is_missing(
    scored: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _notes, ratings, scores = scored
    assert main(["analyze", "--scores", str(tmp_path), "--outdir", str(tmp_path / "r")]) == 1
    assert "scored_notes.tsv" in capsys.readouterr().err
    assert (
        main(
            [
                "analyze",
                "--scores",
                str(scores),
                "--ratings",
                str(ratings),
                "--robustness",
                "--outdir",
                str(tmp_path / "r"),
            ]
        )
        == 1
    )
    assert "notes" in capsys.readouterr().err
    assert (
        main(
            [
                "analyze",
                "--scores",
                str(scores),
                "--scorer",
                "nope",
                "--outdir",
                str(tmp_path / "r"),
            ]
        )
        == 1
    )
    assert "scorers present" in capsys.readouterr().err


def test_analyze_reads_the_ratings_alone_without_robustness(
    scored: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _notes, ratings, scores = scored
    args = ["analyze", "--scores", str(scores), "--ratings", str(ratings)]
    assert main([*args, "--bootstrap", "5", "--out", str(tmp_path)]) == 0
    tables = {p.stem for p in (tmp_path / "tables").iterdir()}
    assert {"opinion_groups", "note_diversity", "polarization", "side_similarity"} <= tables
    assert "robustness" not in tables


def test_analyze_reads_a_zipped_ratings_dump_as_published(
    scored: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    # The public download ships each table as a zip holding one TSV (ratings-00000.zip).
    notes, ratings, scores = scored
    zipped = tmp_path / "ratings-00000.zip"
    with zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(ratings, arcname="ratings-00000.tsv")
    base = ["analyze", "--scores", str(scores), "--bootstrap", "0"]
    assert main([*base, "--ratings", str(ratings), "--outdir", str(tmp_path / "tsv")]) == 0
    args = ["--ratings", str(zipped), "--notes", str(notes), "--outdir", str(tmp_path / "zip")]
    assert main([*base, *args]) == 0

    def table(run: str, name: str) -> pl.DataFrame:
        return pl.read_parquet(tmp_path / run / "tables" / f"{name}.parquet")

    # The same votes. (Read through the notes file, the matrix also has rows and columns for
    # participants and notes without ratings, in another order, so the seeded draws that
    # depend on row and column order, the note halves and the clustering, differ.)
    by_note = table("tsv", "note_diversity").sort("noteId")
    assert table("zip", "note_diversity").sort("noteId").equals(by_note)
    factor = pl.col("measure").is_in(["bimodality", "esteban_ray", "side_parity"])
    want = table("tsv", "polarization").filter(factor).sort("scope", "measure")
    got = table("zip", "polarization").filter(factor).sort("scope", "measure")
    assert got["n"].to_list() == want["n"].to_list()
    # (sums over raters in another order: equal to rounding)
    assert got["value"].to_list() == pytest.approx(want["value"].to_list(), rel=1e-9)
    assert table("zip", "opinion_groups").height == table("tsv", "opinion_groups").height
