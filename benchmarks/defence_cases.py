"""Quick planted cases for developing the defences (the attack bench builds the real kinds).

Each case is a ``bridgewatch simulate`` community (``--raters`` organic raters) with one
PROMOTE brigade (camp +1) and one SUPPRESS brigade (camp -1) of new accounts, reshaped:

- ``fresh``: every member rates every target (the simulator's brigade);
- ``pool``: each target keeps the ratings of a fresh random ``--pool-share`` of the members
  (a pair of members shares few targets);
- ``rotating``: members and targets fall in ``--rotations`` small brigades; a member rates
  only its own brigade's targets (5-8 each);
- ``out-of-scope``: the SUPPRESS members are moved outside the Core modeling groups and
  rate many good notes NOT_HELPFUL (they are invisible to Core but dilute its capture);
- ``circle``: no brigade; an honest niche circle of 30 established camp +1 raters rates the
  same 25 little-rated notes by the latent model;
- ``none``: no brigade.

Prints, per case, with the defences off and on: promoted targets (CRH), good notes
suppressed (CRH in the same community without the attack, defences off, and not CRH here),
honest helpful rate, circle notes CRH, and honest ratings in the Core final fit.

    python benchmarks/defence_cases.py --cases pool rotating out-of-scope circle none
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import drop_attack_ratings
from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.model import NoteStatus
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.run import ScoringResult, default_as_of_ms, score_core
from bridgewatch.sim import (
    BrigadeConfig,
    BrigadeGoal,
    Community,
    SimConfig,
    simulate,
    write_community,
)
from bridgewatch.sim.ratings import draw_levels

_CRH = int(NoteStatus.CURRENTLY_RATED_HELPFUL)
_LEVEL = {0: "NOT_HELPFUL", 1: "SOMEWHAT_HELPFUL", 2: "HELPFUL"}


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _attack_mask(c: Community) -> pl.Series:
    raters = c.rater_truth.select(
        pl.col("participantId").alias("raterParticipantId"), pl.col("brigadeId").alias("_rb")
    )
    notes = c.note_truth.select("noteId", pl.col("brigadeId").alias("_nb"))
    j = c.ratings.join(raters, on="raterParticipantId", how="left").join(
        notes, on="noteId", how="left"
    )
    return ((pl.col("_rb") >= 0) & (pl.col("_rb") == pl.col("_nb"))).fill_null(False).alias(
        "_attack"
    ), j


def _reshape(c: Community, kind: str, args: argparse.Namespace) -> Community:
    rng = np.random.default_rng(args.seed + 99)
    mask, j = _attack_mask(c)
    j = j.with_columns(mask)
    if kind == "pool":
        keep = ~j["_attack"].to_numpy() | (rng.random(j.height) < args.pool_share)
        j = j.filter(pl.Series(keep))
    elif kind == "rotating":
        member_pos = (
            c.rater_truth.filter(pl.col("brigadeId") >= 0)
            .with_columns(pl.int_range(pl.len()).over("brigadeId").alias("_mp"))
            .select(pl.col("participantId").alias("raterParticipantId"), "_mp")
        )
        target_pos = (
            c.note_truth.filter(pl.col("brigadeId") >= 0)
            .with_columns(pl.int_range(pl.len()).over("brigadeId").alias("_tp"))
            .select("noteId", "_tp")
        )
        j = j.join(member_pos, on="raterParticipantId", how="left").join(
            target_pos, on="noteId", how="left"
        )
        same = (pl.col("_mp") % args.rotations) == (pl.col("_tp") % args.rotations)
        j = j.filter(~pl.col("_attack") | same).drop("_mp", "_tp")
    c = dataclasses.replace(c, ratings=j.drop("_rb", "_nb", "_attack"))
    if kind == "out-of-scope":
        oos = c.rater_truth.filter(pl.col("brigadeId") == 1)["participantId"]
        c = dataclasses.replace(
            c,
            user_enrollment=c.user_enrollment.with_columns(
                pl.when(pl.col("participantId").is_in(oos.implode()))
                .then(pl.lit(4, dtype=c.user_enrollment["modelingGroup"].dtype))
                .otherwise(pl.col("modelingGroup"))
                .alias("modelingGroup")
            ),
        )
    return c


def _circle(c: Community, args: argparse.Namespace) -> tuple[Community, list[str]]:
    rng = np.random.default_rng(args.seed + 7)
    truth = c.rater_truth
    counts = c.ratings.group_by("raterParticipantId").len()
    enrolled = c.user_enrollment.filter(pl.col("enrollmentState") == "earnedIn").select(
        "participantId"
    )
    pool = (
        truth.filter((pl.col("camp") == 1) & ~pl.col("isAdversary"))
        .join(enrolled, on="participantId")
        .join(counts, left_on="participantId", right_on="raterParticipantId")
        .filter(pl.col("len") >= 10)
    )
    members = pool.sample(30, seed=args.seed)
    per_note = c.ratings.group_by("noteId").len()
    notes = (
        c.note_truth.join(per_note, on="noteId", how="left")
        .with_columns(pl.col("len").fill_null(0))
        .filter((pl.col("len") < 15) & ~pl.col("attackTarget"))
        .sample(25, seed=args.seed)
    )
    created = c.notes.select("noteId", "createdAtMillis")
    notes = notes.join(created, on="noteId")
    m_idx = np.repeat(np.arange(members.height), notes.height)
    n_idx = np.tile(np.arange(notes.height), members.height)
    latent = (
        notes["quality"].to_numpy()[n_idx]
        + members["leniency"].to_numpy()[m_idx]
        + members["position"].to_numpy()[m_idx] * notes["slant"].to_numpy()[n_idx]
        + rng.normal(0, c.config.noise_sd, m_idx.size)
    )
    level = draw_levels(latent, c.config.somewhat_band)
    t = notes["createdAtMillis"].to_numpy()[n_idx] + rng.integers(
        60_000, 3 * 86_400_000, m_idx.size
    )
    rows = pl.DataFrame(
        {
            "noteId": notes["noteId"].to_numpy()[n_idx],
            "raterParticipantId": members["participantId"].to_numpy()[m_idx],
            "createdAtMillis": np.minimum(t, c.config.end_ms - 1),
            "_level": level.astype(np.int64),
        }
    )
    template = c.ratings.head(1)
    rows = rows.join(template.drop("noteId", "raterParticipantId", "createdAtMillis"), how="cross")
    rows = rows.with_columns(
        pl.col("_level").replace_strict(_LEVEL).alias("helpfulnessLevel"),
        *[
            (pl.col("_level") == v).cast(template[col].dtype).alias(col)
            for col, v in (("helpful", 2), ("notHelpful", 0))
            if col in template.columns
        ],
    ).drop("_level")
    keys = rows.select("noteId", "raterParticipantId")
    base = c.ratings.join(keys, on=["noteId", "raterParticipantId"], how="anti")
    rows = rows.select(base.columns).cast(dict(base.schema))  # type: ignore[arg-type]
    return dataclasses.replace(c, ratings=pl.concat([base, rows])), notes["noteId"].to_list()


def _load(c: Community, d: Path) -> Dataset:
    files = write_community(c, d)
    return load_dataset(
        notes=files.notes,
        ratings=files.ratings[0] if len(files.ratings) == 1 else d,
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )


def _score(ds: Dataset, config: ScoringConfig) -> tuple[ScoringResult, frozenset[str], float]:
    t0 = _cpu_s()
    r = score_core(ds, config, as_of_ms=default_as_of_ms(ds), seed=0)
    ids = np.asarray(r.inputs.note_ids.ids, dtype=object)
    crh = frozenset(ids[r.meta.pre_stabilization_status == _CRH].tolist())
    return r, crh, _cpu_s() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["pool", "rotating", "out-of-scope"])
    parser.add_argument("--raters", type=int, default=5000)
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.066)
    parser.add_argument("--targets", type=int, default=40)
    parser.add_argument("--pool-share", type=float, default=0.15)
    parser.add_argument("--rotations", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cross-camp", type=float, default=0.0)
    parser.add_argument("--organic", type=int, default=3)
    args = parser.parse_args()
    for kind in args.cases:
        members = 0 if kind in ("none", "circle") else round(args.share * args.raters)
        brigades: tuple[BrigadeConfig, ...] = ()
        if members:
            n_targets = args.targets * (8 if kind == "out-of-scope" else 1)
            brigades = tuple(
                BrigadeConfig(
                    n_members=members * (3 if kind == "out-of-scope" else 1),
                    n_targets=n_targets,
                    goal=goal,
                    camp=camp,
                    max_reaction_minutes=360.0,
                    target_quality=0.0 if goal is BrigadeGoal.PROMOTE else None,
                    cross_camp_share=args.cross_camp,
                    organic_ratings=args.organic,
                )
                for goal, camp in ((BrigadeGoal.PROMOTE, 1), (BrigadeGoal.SUPPRESS, -1))
            )
        sim = SimConfig(
            seed=args.seed,
            n_notes=args.notes,
            n_raters=args.raters,
            n_ratings=args.ratings,
            brigades=brigades,
        )
        c = _reshape(simulate(sim), kind, args)
        circle: list[str] = []
        if kind == "circle":
            c, circle = _circle(c, args)
        truth = c.note_truth
        promote = set(truth.filter(pl.col("attackGoal") == "promote")["noteId"].to_list())
        suppress = set(truth.filter(pl.col("attackGoal") == "suppress")["noteId"].to_list())
        honest = set(
            truth.filter((pl.col("quality") >= 1.0) & ~pl.col("attackTarget"))["noteId"].to_list()
        )
        adversary = set(c.rater_truth.filter(pl.col("isAdversary"))["participantId"].to_list())
        with tempfile.TemporaryDirectory(prefix="bw-def-") as tmp:
            ref_crh = _score(_load(drop_attack_ratings(c), Path(tmp) / "clean"), ScoringConfig())[1]
            ds = _load(c, Path(tmp) / "att")
            is_adv = np.isin(np.asarray(ds.participant_ids.ids), list(adversary))
            fit_honest = {}
            for label, config in (("off", ScoringConfig()), ("on", with_defences())):
                start = time.perf_counter()
                r, crh, cpu = _score(ds, config)
                wall = time.perf_counter() - start
                fr = r.final.main.ratings
                fit_honest[label] = int((~is_adv[fr.rater_idx]).sum())
                co = r.co_rating
                grouped = 0 if co is None else int(((co.group >= 0) & ~is_adv).sum())
                grouped_adv = 0 if co is None else int(((co.group >= 0) & is_adv).sum())
                circle_crh = len(set(circle) & crh)
                un = ""
                runs = r.roster
                core = None if runs is None else runs.get("MFCoreScorer")
                if core is not None and core.defences is not None:
                    found = getattr(core.defences, "unexplained", None)
                    view = core.inputs.scoped
                    if found is not None and found.flagged.shape == (view.n_ratings,):
                        adv_r = is_adv[view.rater_idx[found.flagged]]
                        un = f" unexplained adv {int(adv_r.sum())} honest {int((~adv_r).sum())}"
                    tr = core.defences.trust
                    if tr is not None:
                        un += f" untrusted adv {int((~tr.trusted & is_adv).sum())}"
                        un += f" honest {int((~tr.trusted & ~is_adv).sum())}"
                print(
                    f"{kind:13s} {label:3s} promoted {len(promote & crh):3d}/{len(promote):3d} "
                    f"(ref {len(promote & ref_crh):2d}) suppressed "
                    f"{len(suppress & ref_crh - crh):3d}/{len(suppress & ref_crh):3d} "
                    f"honest CRH {len(honest & crh) / max(len(honest), 1):.4f} "
                    f"(ref {len(honest & ref_crh) / max(len(honest), 1):.4f}) circle "
                    f"{circle_crh}/{len(set(circle) & ref_crh)} honest-fit "
                    f"{fit_honest[label]} grouped honest {grouped} adv {grouped_adv} "
                    f"{wall:.1f}s wall {cpu:.1f}s cpu{un}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
