"""Self-check of the MF kernels against the reference scorer's outputs on a fixture.

Approximate by design (not a test): it rebuilds Core's final-round ratings from the raw
input with simplified filters (no PSS, no misleading filter; the topic split is
taken from which notes the reference gave a Core intercept) and
estimates the frozen μ. It then

1. fits the final-scoring note params (``fit_note_params``, ratio mode, reference rater
   params frozen) and compares them with ``coreNoteIntercept`` / ``coreNoteFactor1``;
2. computes pseudo-rater bounds and compares with ``coreNoteInterceptMax`` / ``Min``;
3. refits the prescoring final round with ``fit_mf`` (mean mode, raters initialised from
   the reference's round-1 params) and compares rater params with ``coreRaterIntercept``;
4. runs round 1 from a random start with the stable-initialisation scheme (§4.2,
   ``fit_with_stable_init``) and compares with ``coreFirstRoundRater*``.

Usage: python benchmarks/fidelity_mf.py [FIXTURE_DIR]   (default: S-core)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.scoring.mf import (
    MFInit,
    fit_mf,
    fit_note_params,
    fit_with_stable_init,
    pseudo_rater_bounds,
)

FIXTURE = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/fixtures/S-core")
CORE_GROUPS = [1.0, 2.0, 3.0, 6.0, 8.0, 9.0, 10.0, 11.0, 13.0, 14.0, 19.0, 21.0, 25.0]  # §2.4


def load() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    ratings = pl.read_csv(
        FIXTURE / "input" / "ratings-00000.tsv",
        separator="\t",
        columns=["noteId", "raterParticipantId", "helpfulnessLevel"],
        schema_overrides={"noteId": pl.Utf8},
    ).with_columns(
        pl.col("helpfulnessLevel")
        .replace_strict({"HELPFUL": 1.0, "SOMEWHAT_HELPFUL": 0.5, "NOT_HELPFUL": 0.0})
        .alias("y")
    )
    raters = pl.read_csv(
        FIXTURE / "reference" / "run1" / "helpfulness_scores.tsv",
        separator="\t",
        columns=[
            "raterParticipantId",
            "coreRaterIntercept",
            "coreRaterFactor1",
            "aboveHelpfulnessThreshold",
            "coreFirstRoundRaterIntercept",
            "coreFirstRoundRaterFactor1",
        ],
        infer_schema_length=0,
    ).with_columns(
        pl.col(
            "coreRaterIntercept",
            "coreRaterFactor1",
            "coreFirstRoundRaterIntercept",
            "coreFirstRoundRaterFactor1",
        ).cast(pl.Float64),
        (pl.col("aboveHelpfulnessThreshold") == "True").alias("above"),
    )
    notes = pl.read_csv(
        FIXTURE / "reference" / "run1" / "scored_notes.tsv",
        separator="\t",
        columns=[
            "noteId",
            "coreNoteIntercept",
            "coreNoteFactor1",
            "coreNoteInterceptMax",
            "coreNoteInterceptMin",
        ],
        infer_schema_length=0,
    ).with_columns(pl.exclude("noteId").cast(pl.Float64))
    return ratings, raters, notes


def min_count(df: pl.DataFrame, key: str, n: int) -> pl.DataFrame:
    return df.filter(pl.len().over(key) >= n)


def compare(name: str, ours: np.ndarray, ref: np.ndarray) -> None:
    ok = np.isfinite(ours) & np.isfinite(ref)
    d = np.abs(ours[ok] - ref[ok])
    print(
        f"{name:28s} n={ok.sum():5d} corr={np.corrcoef(ours[ok], ref[ok])[0, 1]:.6f} "
        f"max|diff|={d.max():.4f} mean|diff|={d.mean():.5f} p99={np.quantile(d, 0.99):.4f}"
    )


def main() -> None:
    ratings, raters, notes = load()
    # Topic notes leave Core entirely (§2.4); the reference's Core notes are those it scored.
    core_notes = notes.filter(pl.col("coreNoteIntercept").is_not_null()).select("noteId")
    ratings = ratings.join(core_notes, on="noteId", how="semi")
    good = raters.filter(pl.col("above") & pl.col("coreRaterIntercept").is_not_null())
    # Prescoring training set (§4.1), then the final round (§4.7): helpful raters only.
    training = min_count(
        min_count(min_count(ratings, "noteId", 5), "raterParticipantId", 10), "noteId", 5
    )
    final_round = training.join(good, on="raterParticipantId", how="inner")
    rho = final_round.height / final_round["noteId"].n_unique()
    # Final scoring (§5.2): notes with >= 5 ratings, then raters with params and above.
    scoring = min_count(ratings, "noteId", 5).join(good, on="raterParticipantId", how="inner")

    note_ids = scoring["noteId"].unique().sort()
    rater_ids = good["raterParticipantId"]
    n_idx = {v: i for i, v in enumerate(note_ids.to_list())}
    u_idx = {v: i for i, v in enumerate(rater_ids.to_list())}
    ri = good["coreRaterIntercept"].to_numpy()
    rf = good["coreRaterFactor1"].to_numpy()[:, None]

    def arrays(df: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ni = np.array([n_idx.get(v, -1) for v in df["noteId"].to_list()], dtype=np.int32)
        ui = np.array([u_idx[v] for v in df["raterParticipantId"].to_list()], dtype=np.int32)
        keep = ni >= 0
        return ni[keep], ui[keep], df["y"].to_numpy().astype(np.float32)[keep]

    # μ_final estimate: prescoring final-round objective with the reference raters frozen.
    fn, fu, fy = arrays(final_round)
    mu_fit = fit_mf(
        fn,
        fu,
        fy,
        n_notes=len(n_idx),
        n_raters=len(u_idx),
        init=MFInit(
            note_intercepts=np.zeros(len(n_idx)),
            note_factors=np.zeros((len(n_idx), 1)),
            rater_intercepts=ri,
            rater_factors=rf,
        ),
        freeze_raters=True,
        sign_identify=False,
    )
    mu = mu_fit.params.global_intercept
    print(f"fixture {FIXTURE.name}: final round {final_round.height} ratings, rho={rho:.3f}")
    print(
        f"estimated mu_final={mu:.5f}; loss at reference raters + best notes/mu: {mu_fit.loss:.8f}"
    )

    sn, su, sy = arrays(scoring)
    t0 = time.perf_counter()
    fit = fit_note_params(
        sn,
        su,
        sy,
        n_notes=len(n_idx),
        rater_intercepts=ri,
        rater_factors=rf,
        global_intercept=mu,
        note_ratio=rho,
    )
    t1 = time.perf_counter()
    bounds = pseudo_rater_bounds(
        sn, su, sy, n_notes=len(n_idx), rater_intercepts=ri, rater_factors=rf, global_intercept=mu
    )
    t2 = time.perf_counter()
    print(f"fit_note_params {1e3 * (t1 - t0):.1f} ms, pseudo_rater_bounds {1e3 * (t2 - t1):.1f} ms")
    ref = notes.join(pl.DataFrame({"noteId": note_ids}), on="noteId", how="right")
    ours_i = fit.params.note_intercepts
    ref_i = ref["coreNoteIntercept"].to_numpy()
    compare("note intercept", ours_i, ref_i)
    compare("note factor", fit.params.note_factors[:, 0], ref["coreNoteFactor1"].to_numpy())
    compare(
        "note intercept max (UCB)", bounds.intercept_max, ref["coreNoteInterceptMax"].to_numpy()
    )
    compare("note intercept min", bounds.intercept_min, ref["coreNoteInterceptMin"].to_numpy())
    ok = np.isfinite(ours_i) & np.isfinite(ref_i)
    for thr in (0.40, -0.05):
        flips = int(np.sum((ours_i[ok] >= thr) != (ref_i[ok] >= thr)))
        print(f"notes on different sides of intercept {thr:+.2f}: {flips} of {ok.sum()}")

    # Prescoring final round refit: ALS from the reference's round-1 rater params.
    r1i = good["coreFirstRoundRaterIntercept"].to_numpy()
    r1f = good["coreFirstRoundRaterFactor1"].to_numpy()[:, None]
    t0 = time.perf_counter()
    full = fit_mf(
        fn,
        fu,
        fy,
        n_notes=len(n_idx),
        n_raters=len(u_idx),
        init=MFInit(
            note_intercepts=np.zeros(len(n_idx)),
            note_factors=np.zeros((len(n_idx), 1)),
            rater_intercepts=r1i,
            rater_factors=r1f,
        ),
    )
    t1 = time.perf_counter()
    print(
        f"final-round refit: {full.n_iterations} sweeps, {1e3 * (t1 - t0):.0f} ms, "
        f"loss {full.loss:.8f}, train MSE {full.train_mse:.5f}, "
        f"mu {full.params.global_intercept:.5f}"
    )
    compare("rater intercept (final rnd)", full.params.rater_intercepts, ri)
    compare("rater factor (final rnd)", full.params.rater_factors[:, 0], rf[:, 0])
    ours_f = full.params.rater_factors[:, 0]
    print(
        f"share of raters with f_u < 0: ours {np.mean(ours_f[np.isfinite(ours_f)] < 0):.4f}, "
        f"reference {np.mean(rf[:, 0] < 0):.4f}"
    )
    d = ours_i[ok] - ref_i[ok]
    print(f"note intercept mean signed diff (ours - ref): {d.mean():+.5f}")

    round_one(ratings, raters)


def round_one(ratings: pl.DataFrame, raters: pl.DataFrame) -> None:
    """§4.2 from a random start, compared with the reference's round-1 rater params."""
    enrollment = pl.read_csv(
        FIXTURE / "input" / "userEnrollment-00000.tsv",
        separator="\t",
        columns=["participantId", "modelingGroup"],
        infer_schema_length=0,
    ).with_columns(pl.col("modelingGroup").cast(pl.Float64))
    scoped = ratings.join(
        enrollment.rename({"participantId": "raterParticipantId"}),
        on="raterParticipantId",
        how="left",
    ).filter(
        pl.col("modelingGroup").is_in(CORE_GROUPS)
        | ~pl.col("raterParticipantId").is_in(enrollment["participantId"].implode())
    )
    training = min_count(
        min_count(min_count(scoped, "noteId", 5), "raterParticipantId", 10), "noteId", 5
    )
    g13 = (pl.col("modelingGroup") == 13).fill_null(False)
    share = training.with_columns(
        (g13.cast(pl.Float64).mean().over("noteId")).alias("share13"),
        pl.col("modelingGroup").is_not_null().sum().over("noteId").alias("joined"),
    )
    stable = (
        (pl.col("share13") >= 0.75) & (pl.col("joined") >= 5) & g13
    )  # share over joined ratings ≈ over all: S-core raters are all enrolled
    share = share.with_columns(stable.alias("stable"))
    notes = share["noteId"].unique().sort().to_list()
    users = share["raterParticipantId"].unique().sort().to_list()
    n_idx = {v: i for i, v in enumerate(notes)}
    u_idx = {v: i for i, v in enumerate(users)}
    ni = np.array([n_idx[v] for v in share["noteId"].to_list()], dtype=np.int32)
    ui = np.array([u_idx[v] for v in share["raterParticipantId"].to_list()], dtype=np.int32)
    y = share["y"].to_numpy().astype(np.float32)
    t0 = time.perf_counter()
    res = fit_with_stable_init(
        ni,
        ui,
        y,
        stable=share["stable"].to_numpy(),
        n_notes=len(notes),
        n_raters=len(users),
        rng=np.random.default_rng(0),
    )
    t1 = time.perf_counter()
    print(
        f"round 1: {share.height} ratings ({int(share['stable'].sum())} stable), "
        f"{res.stable.n_iterations}+{res.full.n_iterations} sweeps, {1e3 * (t1 - t0):.0f} ms, "
        f"train MSE {res.full.train_mse:.5f}"
    )
    ref = pl.DataFrame({"raterParticipantId": users}).join(
        raters, on="raterParticipantId", how="left"
    )
    compare(
        "rater intercept (round 1)",
        res.full.params.rater_intercepts,
        ref["coreFirstRoundRaterIntercept"].to_numpy(),
    )
    compare(
        "rater factor (round 1)",
        res.full.params.rater_factors[:, 0],
        ref["coreFirstRoundRaterFactor1"].to_numpy(),
    )


if __name__ == "__main__":
    main()
