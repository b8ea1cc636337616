"""Check `analyze` against the simulator's ground truth and print the figures for the README.

For each polarization 0, 0.5, 1, 1.5, 2 simulates a community where raters vote on about
half the notes (the test community of tests/analysis/embeddings/community.py, or larger with
--scale), scores it with Core, and prints: the opinion groups' adjusted Rand index against
the simulated camps (every placed rater, the clustered ones, those with >= 60 ratings, and
for scale a classifier that knows each note's true slant), every polarization measure, and
the AUC with which the bridging score
(Core note intercept) and the group-aware consensus rank good unslanted notes (quality > 0,
not one-sided) above one-sided ones. Saves the report's note map of the default community.

    PYTHONPATH=src:. python benchmarks/analyze_truth.py \
        --plot benchmarks/results/analyze_note_map.png
    PYTHONPATH=src:. python benchmarks/analyze_truth.py --sparse

(The repository root on the path: the community comes from the tests.)
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
from tests.analysis.embeddings.community import DENSE, scored_community

from bridgewatch.analysis.embeddings import (
    AnalysisConfig,
    PolarizationConfig,
    analyze,
    compare_labels,
    label_rows,
    ranking_auc,
)
from bridgewatch.analysis.embeddings.plots import note_map
from bridgewatch.sim import SimConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1, help="multiply raters and ratings")
    parser.add_argument(
        "--sparse",
        action="store_true",
        help="`bridgewatch simulate`'s defaults (5,000 raters, 100,000 ratings: median 12 a "
        "rater) instead of the dense test community",
    )
    parser.add_argument("--plot", type=Path, help="save the default community's note map here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    start = replace(SimConfig(), seed_status_history=False) if args.sparse else DENSE
    base = replace(
        start, n_raters=start.n_raters * args.scale, n_ratings=start.n_ratings * args.scale
    )
    rows = []
    for p in (0.0, 0.5, 1.0, 1.5, 2.0):
        with tempfile.TemporaryDirectory() as tmp:
            c = scored_community(Path(tmp), replace(base, polarization=p))
        a = analyze(c.tables, c.matrix, AnalysisConfig(polarization=PolarizationConfig(n_boot=0)))
        assert a.opinion_groups is not None and a.note_diversity is not None
        labels = a.opinion_groups.labels_for(c.matrix.rater_ids)
        camps = c.camps()
        ari = float(compare_labels("group", labels, "camp", camps)["ari"][0])
        clustered = np.isin(
            c.matrix.rater_ids,
            a.opinion_groups.raters.filter(pl.col("clustered"))["raterParticipantId"].to_numpy(),
        )
        per_rater = c.matrix.ratings_per_rater()
        band_ari = {
            name: float(
                compare_labels("group", np.where(mask, labels, -1), "camp", camps)["ari"][0]
            )
            for name, mask in (("ari_clustered", clustered), ("ari_60plus", per_rater >= 60))
        }
        # A classifier that knows every note's true slant: sign of sum(vote x slant).
        slant = label_rows(c.matrix.note_ids, c.note_truth, "noteId", "slant")
        slant_sum = np.bincount(
            c.matrix.rater_idx,
            weights=c.matrix.votes * np.nan_to_num(slant[c.matrix.note_idx]),
            minlength=c.matrix.n_raters,
        )
        oracle = np.where(labels >= 0, (slant_sum > 0).astype(np.int64), -1)
        band_ari["ari_slant_oracle"] = float(
            compare_labels("oracle", oracle, "camp", camps)["ari"][0]
        )
        notes = a.note_diversity.join(c.note_truth, on="noteId")
        good = ((notes["quality"] > 0) & ~notes["oneSided"]).to_numpy()
        keep = good | notes["oneSided"].to_numpy()
        aucs = {
            col: ranking_auc(
                notes[col].cast(pl.Float64).fill_null(np.nan).to_numpy()[keep], good[keep]
            )
            for col in ("bridgingScore", "consensus")
        }
        whole = a.polarization.filter(pl.col("scope") == "all")
        row = {"polarization": p, "k": a.opinion_groups.k, "ari": ari} | band_ari
        row |= {f"auc_{k}": v for k, v in aucs.items()}
        row |= dict(zip(whole["measure"].to_list(), whole["value"].to_list(), strict=True))
        rows.append(row)
        if args.plot is not None and p == SimConfig().polarization:
            note_map(a.note_diversity).savefig(args.plot, dpi=100, bbox_inches="tight")
    table = pl.DataFrame(rows)
    with pl.Config(tbl_cols=-1, tbl_rows=-1, tbl_width_chars=200, float_precision=3):
        print(f"{base.n_raters} raters, {base.n_notes} notes, {base.n_ratings} ratings")
        names = [f"pol {p:g}" for p in table["polarization"].to_list()]
        print(table.drop("polarization").transpose(include_header=True, column_names=names))


if __name__ == "__main__":
    main()
