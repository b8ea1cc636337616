"""Low-diligence model on the S-core fixture versus the reference's lowDiligenceIntercept.

The reference's prescoring inputs are approximated from its outputs (scoring-core.md §4.1, §4.7,
§5.2): final-round rater factors = ``coreRaterFactor1`` of helpfulness_scores.tsv; prescoring
data = ratingsForTraining (>=5/note, >=10/rater, >=5/note, one pass) of raters with
``aboveHelpfulnessThreshold``; final data = ratings on notes with >= 5 ratings by raters that
have a final-round factor and are above threshold. Only notes with a reference value (Core
scope) are used. Prints correlation, mean absolute difference and agreement of the > 0.263
decision, for the exact capped Adam procedure and for a converged run of the same objective.

    .venv/bin/python benchmarks/diligence_fixture.py [fixture_dir] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.model.columns import NOT_HELPFUL_TAGS
from bridgewatch.scoring.diligence import (
    LOW_DILIGENCE_TAGS,
    DiligenceConfig,
    fit_low_diligence_final,
    fit_low_diligence_prescoring,
)

DEFAULT = Path("/work/shared/fixtures/S-core")


def _one_pass_filter(note: NDArray[np.int64], rater: NDArray[np.int64]) -> NDArray[np.bool_]:
    keep = np.bincount(note)[note] >= 5
    keep &= np.bincount(rater[keep], minlength=rater.max() + 1)[rater] >= 10
    keep &= np.bincount(note[keep], minlength=note.max() + 1)[note] >= 5
    return keep


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("fixture", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6])
    ap.add_argument("--converged", action="store_true", help="also run Adam to convergence (slow)")
    args = ap.parse_args()
    print(f"python {platform.python_version()} on {platform.processor() or platform.machine()}")
    cols = ["noteId", "raterParticipantId", *LOW_DILIGENCE_TAGS]
    ratings = pl.read_csv(
        args.fixture / "input/ratings-00000.tsv",
        separator="\t",
        columns=cols,
        schema_overrides={"noteId": pl.Utf8, "raterParticipantId": pl.Utf8},
    )
    helpfulness = pl.read_csv(
        args.fixture / "reference/run1/helpfulness_scores.tsv",
        separator="\t",
        columns=["raterParticipantId", "coreRaterFactor1", "aboveHelpfulnessThreshold"],
        schema_overrides={"raterParticipantId": pl.Utf8, "aboveHelpfulnessThreshold": pl.Utf8},
    )
    aux = pl.read_csv(
        args.fixture / "reference/run1/aux_note_info.tsv",
        separator="\t",
        columns=["noteId", "lowDiligenceIntercept"],
        schema_overrides={"noteId": pl.Utf8, "lowDiligenceIntercept": pl.Float64},
    ).filter(pl.col("lowDiligenceIntercept").is_not_null())
    ratings = ratings.filter(pl.col("noteId").is_in(aux["noteId"].implode()))
    note_ids = np.unique(ratings["noteId"].to_numpy().astype(str))
    rater_ids = np.unique(ratings["raterParticipantId"].to_numpy().astype(str))
    note_idx = np.searchsorted(note_ids, ratings["noteId"].to_numpy().astype(str))
    rater_idx = np.searchsorted(rater_ids, ratings["raterParticipantId"].to_numpy().astype(str))
    bits = np.zeros(ratings.height, dtype=np.uint16)
    for tag in LOW_DILIGENCE_TAGS:
        bits |= ratings[tag].fill_null(0).to_numpy().astype(np.uint16) << np.uint16(
            NOT_HELPFUL_TAGS.index(tag)
        )
    y = (bits != 0).astype(np.float64)

    h_ids = helpfulness["raterParticipantId"].to_numpy().astype(str)
    pos = np.searchsorted(rater_ids, h_ids)
    ok = (pos < rater_ids.shape[0]) & (rater_ids[np.minimum(pos, rater_ids.shape[0] - 1)] == h_ids)
    factor = np.full(rater_ids.shape[0], np.nan)
    above = np.zeros(rater_ids.shape[0], dtype=bool)
    factor[pos[ok]] = helpfulness["coreRaterFactor1"].to_numpy()[ok]
    above[pos[ok]] = helpfulness["aboveHelpfulnessThreshold"].to_numpy()[ok] == "True"

    pre = _one_pass_filter(note_idx, rater_idx) & above[rater_idx]
    fin = (np.bincount(note_idx)[note_idx] >= 5) & above[rater_idx] & np.isfinite(factor)[rater_idx]
    ref = np.full(note_ids.shape[0], np.nan)
    aux_ids = aux["noteId"].to_numpy().astype(str)
    ref[np.searchsorted(note_ids, aux_ids)] = aux["lowDiligenceIntercept"].to_numpy()
    print(
        f"ratings in Core-scope notes {ratings.height}, prescoring {pre.sum()}, final {fin.sum()};"
        f" notes {note_ids.shape[0]}, positive rate {y.mean():.4f}"
    )
    n_pre_notes = np.unique(note_idx[pre]).shape[0]
    n_pre_raters = np.unique(rater_idx[pre]).shape[0]
    ratio_note = pre.sum() / n_pre_notes
    ratio_rater = pre.sum() / n_pre_raters
    variants = {
        "capped Adam (reference procedure)": DiligenceConfig(),
    }
    if args.converged:
        variants["Adam run to convergence"] = DiligenceConfig(max_epochs=20000, convergence=1e-10)
    n, m = note_ids.shape[0], rater_ids.shape[0]
    for label, cfg in variants.items():
        runs: list[NDArray[np.float64]] = []
        for seed in args.seeds:
            t0 = time.perf_counter()
            pres = fit_low_diligence_prescoring(
                note_idx[pre].astype(np.int32),
                rater_idx[pre].astype(np.int32),
                y[pre],
                n_notes=n,
                n_raters=m,
                init_rater_factors=factor,
                config=cfg,
                rng=np.random.default_rng(seed),
            )
            final = fit_low_diligence_final(
                note_idx[fin].astype(np.int32),
                rater_idx[fin].astype(np.int32),
                y[fin],
                n_notes=n,
                n_raters=m,
                state=pres.state,
                ratings_per_note=ratio_note,
                ratings_per_rater=ratio_rater,
                config=cfg,
            )
            dt = time.perf_counter() - t0
            runs.append(final.note_intercepts)
            both = np.isfinite(final.note_intercepts) & np.isfinite(ref)
            ours, theirs = final.note_intercepts[both], ref[both]
            corr = np.corrcoef(ours, theirs)[0, 1]
            t = cfg.low_diligence_threshold
            agree = np.mean((ours > t) == (theirs > t))
            steps = [r.n_steps for r in (*pres.rounds, *final.rounds)]
            print(
                f"{label:36s} seed {seed}: notes {both.sum()}, r={corr:.4f},"
                f" MAE={np.mean(np.abs(ours - theirs)):.4f}, >{t}: ours {np.sum(ours > t)}"
                f" ref {np.sum(theirs > t)} agree {agree:.4f}; steps {steps}; {dt:.2f}s"
            )
        # how much the procedure disagrees with itself across seeds (the reference's own noise)
        pairs = [(a, b) for i, a in enumerate(runs) for b in runs[i + 1 :]]
        if pairs:
            t = cfg.low_diligence_threshold
            rs = [np.corrcoef(a[both], b[both])[0, 1] for a, b in pairs]
            ag = [np.mean((a[both] > t) == (b[both] > t)) for a, b in pairs]
            print(
                f"{label:36s} seed vs seed: r median {np.median(rs):.4f} (min {min(rs):.4f}),"
                f" >{t} agreement median {np.median(ag):.4f} (min {min(ag):.4f})"
            )


if __name__ == "__main__":
    main()
