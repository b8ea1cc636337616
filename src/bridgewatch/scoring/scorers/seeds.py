"""Each scorer's random stream (scoring-multimodel.md §11.3)."""

from __future__ import annotations

import zlib

from bridgewatch.scoring.scorers.spec import RUN_SEED_SCORERS

__all__ = ["scorer_entropy"]


def scorer_entropy(seed: int | None, name: str) -> int | list[int] | None:
    """The seed material of one scorer (None: fresh entropy).

    The reference re-seeds every scorer with the run seed (multimodel §11.3). The broad
    scorers (``RUN_SEED_SCORERS``: Core, CoreWithTopics, Expansion, ExpansionPlus) draw
    from the run seed itself, as there: the Core path alone and Core inside the roster
    draw the same numbers, and two of them that see the same ratings compute the same
    prescoring, which then runs once (``sharing``). Every other scorer draws from a stream
    fixed by the run seed and its name. Either way a scorer's numbers depend neither on
    the order the scorers run in nor on which other scorers run.
    """
    if seed is None or name in RUN_SEED_SCORERS:
        return seed
    return [seed, zlib.crc32(name.encode())]
