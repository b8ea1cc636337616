"""Every scorer of the roster kept current between refits equals the batch ``score``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bridgewatch.io.dataset import Dataset
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import (
    HeldDefences,
    IncrementalConfig,
    NoteFitCache,
    RosterRefit,
    rescore_roster,
    roster_refit,
)
from bridgewatch.scoring.inputs import prepare_core_inputs
from bridgewatch.scoring.run import ScoringResult, default_as_of_ms, score
from tests.scoring.community import load_small_community

AS_OF = 1_800_000_000_000
FULL = IncrementalConfig(roster_diligence="full")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return load_small_community(tmp_path_factory.mktemp("community"))


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "defences"])
def batch(request: pytest.FixtureRequest, dataset: Dataset) -> tuple[ScoringConfig, ScoringResult]:
    config = ScoringConfig(topics=None)
    if request.param:
        config = with_defences(config)
    return config, score(dataset, config, as_of_ms=AS_OF, seed=0)


def _differing(want: pl.DataFrame, got: pl.DataFrame) -> list[str]:
    assert want.columns == got.columns
    bad = []
    for name in want.columns:
        a, b = want[name], got[name]
        if a.dtype.is_float():
            x, y = a.to_numpy().astype(float), b.to_numpy().astype(float)
            if not np.allclose(x, y, rtol=1e-9, atol=1e-12, equal_nan=True):
                bad.append(name)
        elif not a.equals(b):
            bad.append(name)
    return bad


def test_a_pass_at_the_refit_equals_the_batch_in_every_column(
    batch: tuple[ScoringConfig, ScoringResult],
) -> None:
    config, result = batch
    refit = roster_refit(result)
    # From the refit's caches (the worker's first pass), and re-solving every note.
    for caches in ({}, {name: NoteFitCache.empty() for name in refit.scorers}):
        live = rescore_roster(result.inputs, refit, caches, AS_OF, config, FULL)
        assert _differing(result.scored_notes, live.scored_notes(AS_OF, config)) == []
    assert live.resolved.any()
    # More than Core ran, and the scorers that cannot be updated per note are named.
    assert len(refit.scorers) > 5
    assert "MFGroupScorer_14" in refit.held


def test_a_later_pass_equals_a_full_resolve(
    dataset: Dataset, batch: tuple[ScoringConfig, ScoringResult]
) -> None:
    config, _ = batch
    r = dataset.ratings
    cutoff = np.quantile(r.created_at_ms, 0.8)
    early = score(
        replace(dataset, ratings=r.subset(r.created_at_ms <= cutoff)),
        config,
        as_of_ms=AS_OF,
        seed=0,
    )
    refit: RosterRefit = roster_refit(early)
    shared = prepare_core_inputs(
        dataset,
        config,
        rater_cluster=refit.rater_cluster,
        rater_quasi_clique=refit.rater_quasi_clique,
    )
    step = rescore_roster(shared, refit, {}, AS_OF, config, FULL)
    assert 0 < step.resolved.sum() < shared.n_notes
    fresh = rescore_roster(
        shared, refit, {n: NoteFitCache.empty() for n in refit.scorers}, AS_OF, config, FULL
    )
    assert _differing(fresh.scored_notes(AS_OF, config), step.scored_notes(AS_OF, config)) == []


def test_held_decisions_keep_a_flagged_group_out_of_its_notes(
    batch: tuple[ScoringConfig, ScoringResult],
) -> None:
    _, result = batch
    view = result.inputs
    scoped = view.scoped
    note_ids = np.asarray(view.note_ids.ids, dtype=np.str_)
    n_part = view.n_participants
    # Rater a's rating on note x was dropped at the refit; rater b (same group as a) rates
    # note x after the refit; rater c (no group) too; rater a elsewhere is untouched.
    first = 0
    x, a = int(scoped.note_idx[first]), int(scoped.rater_idx[first])
    on_x = np.flatnonzero(scoped.note_idx == x)
    others = [int(k) for k in on_x if int(scoped.rater_idx[k]) != a]
    latest = max(others, key=lambda k: int(scoped.created_at_ms[k]))
    b = int(scoped.rater_idx[latest])
    c = next(int(scoped.rater_idx[k]) for k in others if k != latest)
    after = int(scoped.created_at_ms[latest]) - 1  # b's rating came after the refit
    labels = np.full(n_part, -1, dtype=np.int64)
    labels[[a, b]] = 0
    held = HeldDefences(
        pair_notes=np.asarray([note_ids[x]], dtype=np.str_),
        pair_raters=np.asarray([a], dtype=np.int64),
        pair_weights=np.asarray([0.0]),
        labels=labels,
        cell_notes=np.asarray([note_ids[x]], dtype=np.str_),
        cell_labels=np.asarray([0], dtype=np.int64),
        cell_weights=np.asarray([0.0]),
        after_ms=after,
        rater_weights=None,
        weighted=False,
    )
    w = held.weights(view)
    rater, note = scoped.rater_idx, scoped.note_idx
    assert w[(rater == a) & (note == x)].tolist() == [0.0]
    assert w[(rater == b) & (note == x)].tolist() == [0.0]
    assert (w[(rater == c) & (note == x)] == 1.0).all()
    assert (w[(rater == a) & (note != x)] == 1.0).all()
    kept, weights = held.apply(view)
    assert weights is None and kept.scoped.n_ratings == int((w > 0).sum())


def test_the_refit_holds_its_established_raters_for_the_capture_guard(
    batch: tuple[ScoringConfig, ScoringResult],
) -> None:
    config, result = batch
    refit = roster_refit(result)
    if config.establishment is None:
        assert refit.established is None
        return
    assert refit.established is not None and result.inputs.established is not None
    assert np.array_equal(refit.established, result.inputs.established)
    # A pass without them would count every out-of-scope rating in the capture share.
    assert refit.established.any() and not refit.established.all()


def test_held_convictions_keep_a_convicted_group_out_of_its_notes(tmp_path: Path) -> None:
    """Issue 16: a refit convicts an aged brigade (``manipulation.conviction``); the members'
    later ratings with the group's verdict on the notes it concentrates on stay out of the
    passes' fits until the next refit (as that refit drops them), nobody else's do, and the
    watch counts the members as flagged."""
    from bridgewatch.analysis.attack_metrics import removed_ratings
    from bridgewatch.scoring.scorers import scorer_inputs
    from tests.scoring.test_run import _aged_community, _members

    files, data = _aged_community(tmp_path, n_members=20, n_notes=15)
    config = with_defences(ScoringConfig(topics=None))
    ids = np.asarray(data.participant_ids.ids, dtype=np.str_)
    members = np.isin(ids, _members(files))
    truth = pl.read_csv(files.note_truth, separator="\t", infer_schema_length=0)
    targets = np.isin(
        np.asarray(data.note_ids.ids, dtype=np.str_),
        truth.filter(pl.col("attackTarget").str.to_lowercase() == "true")["noteId"],
    )
    r = data.ratings
    attack = members[r.rater_idx] & targets[r.note_idx]
    cut = int(np.quantile(r.created_at_ms[attack], 0.85))  # the brigade is still at work
    early = score(
        replace(data, ratings=r.subset(r.created_at_ms <= cut)), config, as_of_ms=cut, seed=0
    )
    refit = roster_refit(early)
    core = refit.scorers["MFCoreScorer"]
    held = core.defences
    assert held.convicted is not None and held.convicted_notes.size > 0
    convicted = held.convicted >= 0
    assert convicted.any() and members[convicted].all()
    assert refit.flagged_raters[convicted].all()
    # Aged past the bar, the members have no proven record for the watch: revoked.
    assert refit.established is not None and refit.established[members].all()
    proven = refit.proven_raters
    assert proven is not None and not proven[members].any() and proven.sum() > members.sum()
    # The whole data: the ratings made after the refit.
    full = score(data, config, as_of_ms=default_as_of_ms(data), seed=0)
    view = scorer_inputs(full.inputs, core.spec)
    scoped = view.scoped
    late = scoped.created_at_ms > cut
    late_attack = late & members[scoped.rater_idx] & targets[scoped.note_idx]
    w = held.weights(view)
    out = late & (w == 0.0)
    assert out.any() and late_attack[out].all()  # members' attack ratings only
    # Without the held conviction most would count (a few fall under other decisions);
    # the next refit drops them too.
    plain = replace(held, convicted=None).weights(view)
    assert (plain[out] == 1.0).sum() > out.sum() / 2
    rater, removed, _ = removed_ratings(full)
    assert np.array_equal(rater, scoped.rater_idx) and removed[out].all()
    # The Core fit of a pass leaves them out.
    shared = prepare_core_inputs(
        data,
        config,
        rater_cluster=refit.rater_cluster,
        rater_quasi_clique=refit.rater_quasi_clique,
    )
    live = rescore_roster(shared, refit, {}, AS_OF, config, FULL)
    fitted = live.runs["MFCoreScorer"].inputs.scoped
    keys = fitted.note_idx.astype(np.int64) * view.n_participants + fitted.rater_idx
    dropped = scoped.note_idx[out].astype(np.int64) * view.n_participants + scoped.rater_idx[out]
    assert not np.isin(dropped, keys).any()
