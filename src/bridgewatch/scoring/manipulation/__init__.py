"""Coordinated-manipulation safeguards: PSS clusters and quasi-cliques (extended §3.1-3.2),
coordinated rating bursts and coordinated co-rating (bridgewatch defences).

Public surface::

    from bridgewatch.scoring.manipulation import (
        PostSelectionConfig, find_post_selection_clusters,
    )

    pss = find_post_selection_clusters(ratings, note_author_idx, note_created_at_ms,
                                       note_post_idx, PostSelectionConfig())
    pss.post_selection_value     # int32 (n_participants,), cluster id or -1

Applying the clusters to ratings is preprocessing's (``bridgewatch.scoring.preprocess.apply_pss``).
"""

from bridgewatch.scoring.manipulation.burst import (
    BurstResult,
    find_rating_bursts,
    find_rating_bursts_reference,
    rater_sides,
)
from bridgewatch.scoring.manipulation.co_rating import (
    CoRatingResult,
    find_co_rating_groups,
    find_co_rating_groups_reference,
)
from bridgewatch.scoring.manipulation.config import (
    BurstConfig,
    CoRatingConfig,
    PostSelectionConfig,
    QuasiCliqueConfig,
)
from bridgewatch.scoring.manipulation.conviction import (
    Conviction,
    RevokedGroups,
    convict_groups,
    revoked_groups,
)
from bridgewatch.scoring.manipulation.pss import (
    NO_CLUSTER,
    CoRatingCounts,
    PostSelectionResult,
    cluster_pairs,
    count_co_ratings,
    count_co_ratings_reference,
    find_author_rater_pairs,
    find_co_rating_pairs,
    find_post_selection_clusters,
)
from bridgewatch.scoring.manipulation.push_guard import (
    PushGuardConfig,
    PushWindows,
    find_push_windows,
    guard_filter_figures,
    guard_intercepts,
    in_push_window,
    rating_levels,
)
from bridgewatch.scoring.manipulation.quasi_clique import (
    CollisionCounts,
    QuasiCliqueResult,
    count_collisions,
    find_quasi_cliques,
)
from bridgewatch.scoring.manipulation.thin_pool import (
    ThinPoolConfig,
    ThinPoolResult,
    find_thin_pools,
)
from bridgewatch.scoring.manipulation.unexplained import (
    UnexplainedConfig,
    UnexplainedResult,
    find_unexplained_ratings,
)

__all__ = [
    "NO_CLUSTER",
    "BurstConfig",
    "BurstResult",
    "CoRatingConfig",
    "CoRatingCounts",
    "CoRatingResult",
    "CollisionCounts",
    "Conviction",
    "PostSelectionConfig",
    "PostSelectionResult",
    "PushGuardConfig",
    "PushWindows",
    "QuasiCliqueConfig",
    "QuasiCliqueResult",
    "RevokedGroups",
    "ThinPoolConfig",
    "ThinPoolResult",
    "UnexplainedConfig",
    "UnexplainedResult",
    "cluster_pairs",
    "convict_groups",
    "count_co_ratings",
    "count_co_ratings_reference",
    "count_collisions",
    "find_author_rater_pairs",
    "find_co_rating_groups",
    "find_co_rating_groups_reference",
    "find_co_rating_pairs",
    "find_post_selection_clusters",
    "find_push_windows",
    "find_quasi_cliques",
    "find_rating_bursts",
    "find_rating_bursts_reference",
    "find_thin_pools",
    "find_unexplained_ratings",
    "guard_filter_figures",
    "guard_intercepts",
    "in_push_window",
    "rater_sides",
    "rating_levels",
    "revoked_groups",
]
