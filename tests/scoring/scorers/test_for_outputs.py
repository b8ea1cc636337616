"""A batch run keeps of every scorer but Core only what the output files read
(``scorers.run.for_outputs``): the files are the same, the state is gone."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from bridgewatch.io.dataset import Dataset, load_dataset
from bridgewatch.pipeline.batch import OUTPUT_FILES, SCORER_RULES_DIR, run_batch, write_outputs
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import default_as_of_ms, score
from bridgewatch.scoring.scorers import CORE_NAME
from bridgewatch.sim import WrittenFiles
from tests.scoring.community import write_small_community


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> WrittenFiles:
    return write_small_community(tmp_path_factory.mktemp("community"))


def _batch(files: WrittenFiles, outdir: Path, executor: str) -> None:
    run_batch(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
        outdir=outdir,
        seed=1,
        executor=executor,
    )


def _load(files: WrittenFiles) -> Dataset:
    return load_dataset(
        notes=files.notes,
        ratings=files.ratings[0],
        status_history=files.note_status_history,
        enrollment=files.user_enrollment,
    )


def _same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUT_FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    rules_a = sorted(p.name for p in (a / SCORER_RULES_DIR).iterdir())
    assert rules_a == sorted(p.name for p in (b / SCORER_RULES_DIR).iterdir())
    assert len(rules_a) > 3
    for name in rules_a:
        with np.load(a / SCORER_RULES_DIR / name) as x, np.load(b / SCORER_RULES_DIR / name) as y:
            assert list(x.keys()) == list(y.keys()), name
            for key in x:
                np.testing.assert_array_equal(x[key], y[key], err_msg=f"{name}: {key}")


@pytest.mark.parametrize("executor", ["serial", "processes:2"])
def test_batch_files_equal_those_of_a_run_that_keeps_every_state(
    files: WrittenFiles, tmp_path: Path, executor: str
) -> None:
    dataset = _load(files)
    full = score(
        dataset, ScoringConfig(), as_of_ms=default_as_of_ms(dataset), seed=1, executor="serial"
    )
    write_outputs(full, tmp_path / "full")
    _batch(files, tmp_path / "slim", executor)
    _same_outputs(tmp_path / "full", tmp_path / "slim")


def test_slim_runs_hold_no_prescoring_state_but_core_keeps_all(files: WrittenFiles) -> None:
    dataset = _load(files)
    result = score(
        dataset,
        ScoringConfig(),
        as_of_ms=default_as_of_ms(dataset),
        seed=1,
        keep_scorer_state=False,
    )
    assert result.roster is not None
    slimmed = 0
    for name, run in result.roster.runs.items():
        if name != CORE_NAME:  # skipped scorers too: no per-rating mask kept
            assert run.inputs.scoped_mask is None, name
        if run.prescoring is None or run.final is None:
            continue
        pre = run.prescoring
        if name == CORE_NAME:
            assert run.rule_file is None
            assert pre.round1.rater_intercepts.shape[0] == result.inputs.n_participants
            assert run.final.tags.adjusted.shape[0] == result.inputs.n_notes
            continue
        slimmed += 1
        assert pre.helpfulness_unpenalised.rater_agree_ratio.shape[0] == 0
        assert pre.training.shape[0] == 0
        assert run.inputs.scoped.n_ratings == 0
        assert run.final.tags.adjusted.shape == (0, 13)
        signs = run.final.rules.inputs.signs
        assert signs is not None and signs.neg_count.shape[0] == 0
        # what the files read stays whole
        assert pre.final_round.rater_intercepts.shape[0] == result.inputs.n_participants
        assert pre.helpfulness.has_row.shape[0] == result.inputs.n_participants
        assert run.final.rules.status.shape[0] == result.inputs.n_notes
        assert run.rule_file is not None
        with np.load(io.BytesIO(run.rule_file)) as stored:
            assert stored["status"].shape == (int(run.final.scored.sum()),)
            ids = result.inputs.note_ids.ids[np.flatnonzero(run.final.scored)]
            np.testing.assert_array_equal(stored["note_ids"], ids)
        with pytest.raises(IndexError):
            _ = pre.round1.rater_intercepts[0]
    assert slimmed >= 3
