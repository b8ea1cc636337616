# ruff: noqa: E402
import sys
import tempfile
from pathlib import Path

import polars as pl

from bridgewatch.analysis.attack import (
    AttackBenchConfig,
    defence_config,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.sim import simulate

seed, share, kind, scorers, nid = (
    int(sys.argv[1]),
    float(sys.argv[2]),
    sys.argv[3],
    sys.argv[4],
    sys.argv[5],
)
bench = AttackBenchConfig(structures=("circles-one", "circles-both", "group", "active"))
com = simulate(bench.community(seed, share, kind))
data = load_community(com, Path(tempfile.mkdtemp()) / "a")
res = score_dataset(data, defence_config(ScoringConfig(topics=None)), scorers)
pl.Config.set_tbl_cols(60)
pl.Config.set_fmt_str_lengths(300)
pl.Config.set_tbl_width_chars(400)
for row in res.note_explanations.filter(pl.col("noteId") == nid).iter_rows(named=True):
    for k, v in row.items():
        print(k, "=", v)
for row in res.scored_notes.filter(pl.col("noteId") == nid).iter_rows(named=True):
    for k, v in row.items():
        if v is not None and v == v:
            print(" sn", k, "=", v)
import numpy as np

core = res.roster["MFCoreScorer"]
fin = core.final
n = int(np.flatnonzero(np.asarray(res.inputs.note_ids.ids, dtype=object) == nid)[0])
inc = fin.incorrect
print(
    "incorrect",
    inc.incorrect[n],
    "p_user",
    inc.p_incorrect_user[n],
    "voters",
    inc.num_voters[n],
    "tfidf",
    inc.tf_idf[n],
)
sc = core.defences.inputs.scoped
sel = sc.note_idx == n
rt = com.rater_truth
ids = np.asarray(res.inputs.participant_ids.ids, dtype=object)
b = dict(zip(rt["participantId"].to_list(), rt["brigadeId"].to_list(), strict=False))
r = sc.rater_idx[sel]
tags = getattr(sc, "not_helpful_tags", None)
print([f for f in dir(sc) if not f.startswith("_")][:60])
print(sc.not_helpful_tags.shape, sc.tag_column if not callable(sc.tag_column) else "")
import inspect

from bridgewatch.scoring.status import tag_filter as tfm

src = inspect.getsource(tfm.compute_incorrect_aggregates)
bit = tfm._INCORRECT_BIT
m = sel & (sc.not_helpful_tags != 0)
for i in np.flatnonzero(m):
    u = sc.rater_idx[i]
    print(
        "tagged rater",
        ids[u],
        "brigade",
        b.get(ids[u]),
        "incorrect",
        (sc.not_helpful_tags[i] >> bit) & 1,
        "f_u",
        fin.main.rater_factor[u] if hasattr(fin.main, "rater_factor") else "",
    )
