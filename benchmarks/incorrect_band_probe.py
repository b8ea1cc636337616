"""Why the incorrect filter fires on a suppression target with the defences on: the tagged
ratings of one note inside the filter's factor band, in the reference and with the defences.

Simulates one aged-pool attack-bench cell (honest structures on, as the bench), scores it
with the Core scorer alone without the attack (defences off: the reference) and attacked
with the defences on, and prints for the note its final factor, and per run every
NOT_HELPFUL-tagged rating whose rater is within ``incorrect_interval_half_width`` of that
factor (the raters the incorrect filter counts): adversary or not, rating level, inside a
push window, whether it carries the "incorrect" tag, the rater's factor.

    python benchmarks/incorrect_band_probe.py 10 4 2116045078798534543
    python benchmarks/incorrect_band_probe.py 10 1 2111299639180264922

(share in %, seed, note id; issue #15 session 14, ``results/adv14/``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from bridgewatch.analysis.attack import (
    STRUCTURE_KINDS,
    AttackBenchConfig,
    defence_config,
    drop_attack_ratings,
    load_community,
    score_dataset,
)
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.manipulation import in_push_window, rating_levels
from bridgewatch.scoring.status import tag_filter
from bridgewatch.sim import simulate


def main() -> None:
    share, seed, nid = float(sys.argv[1]) / 100.0, int(sys.argv[2]), sys.argv[3]
    bench = AttackBenchConfig(
        shares=(share,), seeds=(seed,), kinds=("aged-pool",), structures=STRUCTURE_KINDS
    )
    community = simulate(bench.community(seed, share, "aged-pool"))
    base = ScoringConfig()
    with tempfile.TemporaryDirectory(prefix="bw-band-") as tmp:
        on = score_dataset(load_community(community, Path(tmp) / "a"), defence_config(base), "core")
        clean = load_community(drop_attack_ratings(community), Path(tmp) / "c")
        ref = score_dataset(clean, base, "core")
    cfg = base.status
    c, half = cfg.incorrect_factor_clip, cfg.incorrect_interval_half_width
    truth = community.rater_truth
    for name, res in (("ref", ref), ("on", on)):
        inputs = res.inputs
        pos = inputs.participant_ids.lookup(
            np.asarray(truth["participantId"].to_list(), dtype=np.str_)
        )
        adv = np.zeros(inputs.n_participants, dtype=np.bool_)
        adv[pos[pos >= 0]] = truth["isAdversary"].to_numpy()[pos >= 0]
        assert res.roster is not None
        run = res.roster["MFCoreScorer"]
        assert run.final is not None
        ids = [str(x) for x in np.asarray(inputs.note_ids.ids, dtype=object).tolist()]
        i = ids.index(nid)
        sc = run.inputs.scoped
        sel = (sc.note_idx == i) & (sc.not_helpful_tags > 0)
        main_fit = run.final.main
        fn = float(main_fit.factor[i])
        fu = main_fit.rater_factor[sc.rater_idx[sel]]
        close = np.abs(np.clip(fu, -c, c) - np.clip(fn, -c, c)) < half
        levels = rating_levels(sc.helpful_num[sel])
        push = run.inputs.push_windows
        inside = (
            np.zeros(int(sel.sum()), dtype=np.bool_)
            if push is None
            else in_push_window(push, sc.note_idx[sel], levels, sc.created_at_ms[sel])
        )
        bit = (sc.not_helpful_tags[sel] >> np.uint16(tag_filter._INCORRECT_BIT)) & np.uint16(1)
        print(
            f"{name}: note factor {fn:+.3f}, status {int(run.final.rules.status[i])}, tagged "
            f"ratings {int(sel.sum())}, within {half} of the note {int(close.sum())}, of them "
            f"'incorrect' {int((bit.astype(bool) & close).sum())}"
        )
        for r, lv, w, cl, b, f in zip(
            sc.rater_idx[sel], levels, inside, close, bit, fu, strict=True
        ):
            if cl:
                print(
                    f"   rater {r} adversary={adv[r]} level={lv} in_window={w} "
                    f"incorrect={int(b)} f_u={f:+.3f}"
                )
    print(
        f"bars: min tags {cfg.incorrect_min_tags}, min voters {cfg.incorrect_min_voters}, "
        f"tf-idf {cfg.incorrect_min_tf_idf}, half width {half}"
    )


if __name__ == "__main__":
    main()
