"""The top-level configuration of the Core scorer: one frozen object composing every model's.

Variants are values: ``dataclasses.replace(ScoringConfig(), scope=CoreScopeConfig(...))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.diligence import DiligenceConfig
from bridgewatch.scoring.enrollment import EnrollmentConfig
from bridgewatch.scoring.harassment import HarassmentConfig
from bridgewatch.scoring.helpfulness import (
    HelpfulnessConfig,
    StableInitConfig,
    TrainingFilterConfig,
)
from bridgewatch.scoring.history.update import StatusHistoryConfig
from bridgewatch.scoring.manipulation import (
    BurstConfig,
    CoRatingConfig,
    PostSelectionConfig,
    PushGuardConfig,
    QuasiCliqueConfig,
    ThinPoolConfig,
    UnexplainedConfig,
)
from bridgewatch.scoring.meta import MetaConfig
from bridgewatch.scoring.mf import MFConfig
from bridgewatch.scoring.preprocess import CoreScopeConfig, PreprocessConfig
from bridgewatch.scoring.reputation import EstablishmentConfig, TrustConfig
from bridgewatch.scoring.status import StatusRulesConfig
from bridgewatch.scoring.topics import TopicConfig

__all__ = ["ScoringConfig"]


@dataclass(frozen=True)
class ScoringConfig:
    """Every hyperparameter of one Core scoring run (scoring-core.md, Appendix A).

    Parameters
    ----------
    preprocess : filters applied before any scorer (§2.3).
    scope : Core rater scope and capture threshold (§2.4).
    post_selection : compute post-selection-similarity clusters (scoring-extended.md §3.1)
        and apply them (§2.3 step 5); None (default) skips the detection.
    quasi_cliques : compute quasi-cliques (scoring-extended.md §3.2) for the
        ``correlatedRater`` flag; None (default) skips the detection.
    topics : topic assignment (scoring-extended.md §4.3); notes with a topic leave the Core
        fit. None scores every note in Core (no topic model).
    training : the one-pass training filter (§4.1).
    stable_init : the stable-initialization subset (§4.2).
    use_stable_initialization : fit round 1 from the stable subset (§4.2); when False, or
        when the subset is empty, round 1 starts from random factors.
    max_round1_train_mse : the run aborts when round 1's train MSE exceeds this on data with
        at least ``preprocess.min_notes_for_safeguards`` notes (0.16, §3.3).
    helpfulness : author/rater helpfulness (§4.5).
    harassment : the harassment tag-consensus model and its penalty (§4.5, §4.6).
    mf : the helpfulness MF (§3).
    diligence : the low-diligence model (§4.8, §5.4).
    final_min_ratings_per_note : notes need this many ratings in a final-scoring fit (5).
    population_sampled_note_ratio : ρ_note of the population-sampled fit (10.0, §5.1).
    status : Core rule thresholds (§6).
    meta : meta-scoring constants (§9).
    history : NSH update constants (§10).
    enrollment : contributor statistics (§11.4) and the enrollment state machine
        (scoring-extended.md §2).
    trust : trust propagation over the rater-note graph (``bridgewatch.scoring.reputation``):
        raters below its relative-trust threshold lose their ratings before the final fits.
        None (default) skips it (the reference's behaviour).
    bursts : coordinated rating-burst detection (``bridgewatch.scoring.manipulation.burst``):
        flagged burst ratings are dropped or down-weighted before the final fits. None
        (default) skips it (the reference's behaviour).
    use_reputation : prescoring gates raters on helpfulness, fits the harassment model and
        refits a final round (scoring-multimodel.md §2.4); False for the topic scorers, whose
        round-1 parameters are the prescoring parameters and whose final fits take every rater
        with a prescoring intercept.
    pseudo_raters : compute the pseudo-rater bounds of the main final fit (UcbCRNH, §5.3);
        Core and CoreWithTopics only.
    co_rating : timing-free coordinated co-rating detection
        (``bridgewatch.scoring.manipulation.co_rating``): ratings of rater groups that give
        the same verdicts on the same notes far beyond chance are dropped before
        prescoring, on the notes where the group concentrates. None (default) skips it.
    establishment : which raters are established (``bridgewatch.scoring.reputation
        .EstablishmentConfig``): the capture-share guard, the co-rating flags and trust
        propagation read it. None (default): no rater is told apart (the reference).
    thin_pools : thin-pool detection (``bridgewatch.scoring.manipulation.thin_pool``),
        run beside co-rating on the shared ratings: pools that spread a fresh subset of
        their accounts over each target (no pair beyond chance) lose their unproven members'
        verdicts on the targets, and their established members their establishment. Runs
        only with ``co_rating``; None (default) skips it.
    push_guard : the push guard of the final note fits and filters (``bridgewatch
        .scoring.manipulation.push_guard``): on a note where the group passes
        (``co_rating``, ``thin_pools``) dropped a verdict, every scorer's note intercept
        (Gaussian and MF) in that verdict's direction must stand without the verdict's
        ratings given while the caught accounts rated (the accounts they missed rated
        then), and on a note pushed not helpful the tag-outlier and incorrect filters
        fire only if they also fire without those NOT_HELPFUL ratings. Runs only with
        ``co_rating``; None (default) skips it.
    unexplained : the unexplained-ratings test (``bridgewatch.scoring.manipulation
        .unexplained``) after prescoring: unproven raters' ratings far from the model's
        prediction for them, concentrated on a note, leave the final fits. Needs
        ``establishment``; None (default) skips it.
    """

    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    scope: CoreScopeConfig = field(default_factory=CoreScopeConfig)
    post_selection: PostSelectionConfig | None = None
    quasi_cliques: QuasiCliqueConfig | None = None
    topics: TopicConfig | None = field(default_factory=TopicConfig)
    training: TrainingFilterConfig = field(default_factory=TrainingFilterConfig)
    stable_init: StableInitConfig = field(default_factory=StableInitConfig)
    use_stable_initialization: bool = True
    max_round1_train_mse: float = 0.16
    helpfulness: HelpfulnessConfig = field(default_factory=HelpfulnessConfig)
    harassment: HarassmentConfig = field(default_factory=HarassmentConfig)
    mf: MFConfig = field(default_factory=MFConfig)
    diligence: DiligenceConfig = field(default_factory=DiligenceConfig)
    final_min_ratings_per_note: int = 5
    population_sampled_note_ratio: float = 10.0
    status: StatusRulesConfig = field(default_factory=StatusRulesConfig)
    meta: MetaConfig = field(default_factory=MetaConfig)
    history: StatusHistoryConfig = field(default_factory=StatusHistoryConfig)
    enrollment: EnrollmentConfig = field(default_factory=EnrollmentConfig)
    trust: TrustConfig | None = None
    bursts: BurstConfig | None = None
    co_rating: CoRatingConfig | None = None
    thin_pools: ThinPoolConfig | None = None
    push_guard: PushGuardConfig | None = None
    establishment: EstablishmentConfig | None = None
    unexplained: UnexplainedConfig | None = None
    use_reputation: bool = True
    pseudo_raters: bool = True

    def __post_init__(self) -> None:
        if not self.max_round1_train_mse > 0:
            raise ConfigError("max_round1_train_mse", self.max_round1_train_mse, "a value > 0")
        if self.final_min_ratings_per_note < 0:
            raise ConfigError(
                "final_min_ratings_per_note", self.final_min_ratings_per_note, "an int >= 0"
            )
        if not self.population_sampled_note_ratio > 0:
            raise ConfigError(
                "population_sampled_note_ratio",
                self.population_sampled_note_ratio,
                "a value > 0",
            )
