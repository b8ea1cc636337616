import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    crh_ids,
    defence_config,
    drop_attack_ratings,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate

seed = int(sys.argv[1])
share = float(sys.argv[2])
kind = sys.argv[3]
scorers = sys.argv[4]
bench = AttackBenchConfig(structures=("circles-one", "circles-both", "group", "active"))
com = simulate(bench.community(seed, share, kind))
nt, rt = com.note_truth, com.rater_truth
tmp = Path(tempfile.mkdtemp(prefix="oracle-"))
off = ScoringConfig(topics=None)
on = defence_config(off)
ref_res = score_dataset(load_community(drop_attack_ratings(com), tmp / "c"), off, scorers)
ref = crh_ids(ref_res)
sup = set(nt.filter(pl.col("attackGoal") == "suppress")["noteId"].to_list())
good = sup & ref


def intercepts(res, ids):
    np.asarray(res.inputs.note_ids.ids, dtype=object)
    sn = res.scored_notes.filter(pl.col("noteId").is_in(list(ids))).select(
        "noteId", "coreNoteIntercept", "coreNoteFactor1"
    )
    return sn.sort("noteId")


r = com.ratings.join(
    rt.select(pl.col("participantId").alias("raterParticipantId"), "brigadeId"),
    on="raterParticipantId",
).join(nt.select("noteId", pl.col("brigadeId").alias("tb"), "attackTarget"), on="noteId")
attack = (pl.col("brigadeId") >= 0) & pl.col("attackTarget") & (pl.col("brigadeId") == pl.col("tb"))
print("attack ratings", r.filter(attack).group_by("brigadeId").len())
variants = {"attacked": com.ratings}
sup_b = nt.filter(pl.col("attackGoal") == "suppress")["brigadeId"][0]
keys = ["noteId", "raterParticipantId"]
variants["no_suppress_attack"] = com.ratings.join(
    r.filter(attack & (pl.col("brigadeId") == sup_b)).select(keys), on=keys, how="anti"
)
variants["no_promote_attack"] = com.ratings.join(
    r.filter(attack & (pl.col("brigadeId") != sup_b)).select(keys), on=keys, how="anti"
)
print("ref intercepts of good suppress targets")
ri = intercepts(ref_res, good)
for name, ratings in variants.items():
    res = score_dataset(
        load_community(dataclasses.replace(com, ratings=ratings), tmp / name), on, scorers
    )
    crh = crh_ids(res)
    lost = sorted(good - crh)
    print(
        name,
        "good suppressed",
        len(lost),
        "of",
        len(good),
        "promoted",
        len(set(nt.filter(pl.col("attackGoal") == "promote")["noteId"].to_list()) & crh),
    )
    print(
        ri.join(intercepts(res, good), on="noteId", suffix="_" + name).filter(
            pl.col("noteId").is_in(lost)
        )
    )
