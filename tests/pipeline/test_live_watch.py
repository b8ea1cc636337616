"""The live state's coordination watch: the unproven-support switch, and the watch's rater
model built once per refit (not once per pass), for the unproven-support rule and the
recent-deviation test alike."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import bridgewatch.pipeline.state as state_module
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.defences import with_defences
from bridgewatch.scoring.incremental import WatchConfig
from bridgewatch.scoring.incremental.corroboration import REASON_PREFIX
from tests.pipeline.test_live_tallies import _events, _state
from tests.scoring.community import write_small_community


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_small_community(tmp_path_factory.mktemp("watch"))


@pytest.mark.parametrize(
    ("hold_unproven", "deviation"), [(True, True), (False, True), (False, False)]
)
def test_the_unproven_support_switch_and_one_rater_model_per_refit(
    files: Any, hold_unproven: bool, deviation: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"model": 0, "support": 0}
    model = state_module.rater_model  # type: ignore[attr-defined]
    support = state_module.unproven_support  # type: ignore[attr-defined]

    def counted_model(*args: Any, **kwargs: Any) -> Any:
        calls["model"] += 1
        return model(*args, **kwargs)

    def counted_support(*args: Any, **kwargs: Any) -> Any:
        calls["support"] += 1
        return support(*args, **kwargs)

    monkeypatch.setattr(state_module, "rater_model", counted_model)
    monkeypatch.setattr(state_module, "unproven_support", counted_support)
    state = _state(files, with_defences(ScoringConfig(topics=None)))
    watch = WatchConfig(hold_unproven=hold_unproven)
    # (the corroboration hold uses the model too: off with the deviation test here)
    state.watch = watch if deviation else replace(watch, deviation=None, corroboration=None)
    modelled = hold_unproven or deviation
    state.refit()
    store = state.store
    notes = sorted({store.note_keys[k] for k in store.note_of(store.live_rows())})
    raters = sorted(store.rater_keys)
    now = store.newest_ms()
    rng = random.Random(0)
    for k in range(3):
        state.apply_events(_events(rng, state, notes, raters, 10_000 + 100 * k, now + k, 20))
        state.rescore(now + k)
    assert calls["support"] == (3 if hold_unproven else 0)
    assert calls["model"] == (1 if modelled else 0)
    state.refit()  # a new refit: a new model
    state.apply_events(_events(rng, state, notes, raters, 20_000, now + 5, 20))
    state.rescore(now + 5)
    assert calls["model"] == (2 if modelled else 0)


def test_a_corroboration_hold_lasts_while_it_fires(
    files: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fires: dict[str, bool] = {"on": True}
    held_note: list[str] = []

    def planted(ratings: Any, post_pss: Any, notes: Any, *args: Any, **kwargs: Any) -> Any:
        # The first note tested stays uncorroborated while ``fires``.
        if fires["on"] and not held_note and len(notes):
            held_note.append(str(post_pss.note_ids.ids[int(notes[0])]))
        if not fires["on"] or not held_note:
            return {}
        row = int(post_pss.note_ids.lookup(np.asarray(held_note, dtype=np.str_))[0])
        return {row: REASON_PREFIX + "planted"}

    monkeypatch.setattr(state_module, "corroboration_holds", planted)
    state = _state(files, with_defences(ScoringConfig(topics=None)))
    state.watch = WatchConfig(deviation=None)
    state.refit()
    store = state.store
    notes = sorted({store.note_keys[k] for k in store.note_of(store.live_rows())})
    raters = sorted(store.rater_keys)
    now = store.newest_ms()
    state.holds["other"] = (now, "a burst of 5 helpful ratings")  # another rule's hold
    rng = random.Random(1)
    state.apply_events(_events(rng, state, notes, raters, 30_000, now + 1, 20))
    state.rescore(now + 1)
    # A rising note would be tested and held by the planted rule; any pass without a
    # rising note leaves the planted rule silent.
    if held_note:
        assert state.holds[held_note[0]][1].startswith(REASON_PREFIX)
    else:  # no note rose in the pass: plant the hold as a previous pass would have
        held_note.append(notes[0])
        state.holds[notes[0]] = (now, REASON_PREFIX + "planted")
    fires["on"] = False  # corroborated: the next pass lifts it, not the other rule's
    state.apply_events(_events(rng, state, notes, raters, 31_000, now + 2, 20))
    state.rescore(now + 2)
    assert held_note[0] not in state.holds
    assert "other" in state.holds
