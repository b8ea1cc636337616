"""The report's figures (matplotlib, Agg backend), each from one table of an ``Analysis``.

Every function returns a ``Figure``; :func:`png_base64` turns it into the text of an inline
``data:`` URI, so the report needs no network and no files beside it.
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib.figure import Figure

__all__ = [
    "factor_histograms",
    "group_similarity_heatmap",
    "helpful_share_bars",
    "intercept_factor_density",
    "note_map",
    "opinion_map",
    "png_base64",
    "polarization_over_time",
]

_STATUS_COLOURS = {
    "CURRENTLY_RATED_HELPFUL": "#1a9850",
    "NEEDS_YOUR_HELP": "#fdae61",
    "NEEDS_MORE_RATINGS": "#9e9e9e",
    "CURRENTLY_RATED_NOT_HELPFUL": "#d73027",
    "FIRM_REJECT": "#67001f",
}
# Status thresholds of the Core rules (scoring-core.md §6.2, rules 2 and 3).
_CRH_INTERCEPT = 0.40
_CRNH_BASE, _CRNH_SLOPE = -0.05, 0.8


# Points drawn at most per scatter plot (a fixed random sample beyond): a 2M-point scatter
# takes matplotlib tens of seconds and shows no more than 50,000 do.
MAX_POINTS = 50_000


def _at_most(frame: pl.DataFrame, n: int = MAX_POINTS) -> pl.DataFrame:
    """``frame``, or a sample of ``n`` of its rows (seed 0, order kept) when it is longer."""
    if frame.height <= n:
        return frame
    rows = np.sort(np.random.default_rng(0).choice(frame.height, size=n, replace=False))
    return frame[rows]


def png_base64(fig: Figure, dpi: int = 100) -> str:
    """The figure as base64 PNG text (closes the figure)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def factor_histograms(rater_embeddings: pl.DataFrame) -> Figure:
    """One histogram of rater factors per scorer (scorers with a factor)."""
    rows = rater_embeddings.filter(pl.col("factor").is_not_null() & pl.col("factor").is_not_nan())
    scorers = sorted(set(rows["scorer"].to_list()), key=lambda s: (s != "core", s))
    n = max(len(scorers), 1)
    cols = min(n, 4)
    fig, axes = plt.subplots(
        (n + cols - 1) // cols, cols, figsize=(3.6 * cols, 2.6 * ((n + cols - 1) // cols))
    )
    flat = np.atleast_1d(axes).ravel()
    for ax, scorer in zip(flat, scorers, strict=False):
        x = rows.filter(pl.col("scorer") == scorer)["factor"].to_numpy()
        ax.hist(x, bins=60, color="#4575b4")
        ax.set_title(f"{scorer} (n={x.shape[0]:,})", fontsize=9)
        ax.set_xlabel("rater factor", fontsize=8)
    for ax in flat[len(scorers) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def intercept_factor_density(note_embeddings: pl.DataFrame, scorer: str) -> Figure:
    """Hexbin density of note intercept against note factor with the Core status
    thresholds: CRH at intercept >= 0.40, CRNH at intercept <= -0.05 - 0.8 |factor|."""
    rows = note_embeddings.filter(
        (pl.col("scorer") == scorer)
        & pl.col("factor").is_not_null()
        & pl.col("factor").is_not_nan()
    )
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    f = rows["factor"].to_numpy()
    i = rows["intercept"].to_numpy()
    if f.shape[0]:
        hb = ax.hexbin(f, i, gridsize=45, bins="log", cmap="viridis", mincnt=1)
        fig.colorbar(hb, ax=ax, label="notes (log)")
        grid = np.linspace(float(f.min()), float(f.max()), 200)
        ax.axhline(_CRH_INTERCEPT, color="#1a9850", lw=1.2, label="helpful: intercept ≥ 0.40")
        ax.plot(
            grid,
            _CRNH_BASE - _CRNH_SLOPE * np.abs(grid),
            color="#d73027",
            lw=1.2,
            label="not helpful: intercept ≤ −0.05 − 0.8|factor|",
        )
        ax.legend(fontsize=8, loc="lower right")
    ax.set_xlabel(f"{scorer} note factor")
    ax.set_ylabel(f"{scorer} note intercept")
    fig.tight_layout()
    return fig


def helpful_share_bars(helpful_share: pl.DataFrame) -> Figure:
    """Grouped bars: HELPFUL share of each rater bucket's votes, per note bucket."""
    names = ("left", "neutral", "right")
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    width = 0.26
    for j, note_bucket in enumerate(names):
        shares = []
        for rater_bucket in names:
            cell = helpful_share.filter(
                (pl.col("raterBucket") == rater_bucket) & (pl.col("noteBucket") == note_bucket)
            )
            shares.append(float(cell["helpfulShare"][0]) if cell.height else float("nan"))
        ax.bar(np.arange(3) + (j - 1) * width, shares, width, label=f"{note_bucket} notes")
    ax.set_xticks(np.arange(3), [f"{n} raters" for n in names])
    ax.set_ylabel("share of votes HELPFUL")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def polarization_over_time(polarization: pl.DataFrame) -> Figure:
    """One panel per measure: monthly value with its bootstrap interval, and the whole run's
    value as a dashed line."""
    measures = list(dict.fromkeys(polarization["measure"].to_list()))
    n = max(len(measures), 1)
    cols = min(n, 4)
    nrows = (n + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(3.6 * cols, 2.6 * nrows), squeeze=False)
    flat = axes.ravel()
    for ax, measure in zip(flat, measures, strict=False):
        rows = polarization.filter(pl.col("measure") == measure)
        months = rows.filter(pl.col("scope") != "all").sort("scope")
        overall = rows.filter(pl.col("scope") == "all")
        x = np.arange(months.height)
        ax.plot(x, months["value"].to_numpy(), marker="o", color="#4575b4")
        ax.fill_between(
            x, months["ciLow"].to_numpy(), months["ciHigh"].to_numpy(), alpha=0.25, color="#4575b4"
        )
        if overall.height:
            ax.axhline(float(overall["value"][0]), ls="--", color="grey", lw=0.8)
        ax.set_xticks(x, months["scope"].to_list(), rotation=45, fontsize=7)
        ax.set_title(measure, fontsize=9)
    for ax in flat[len(measures) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def note_map(note_diversity: pl.DataFrame) -> Figure:
    """Notes by consensus (x: group-aware consensus of the two sides) and divisiveness
    (y: gap between the sides' helpful shares), coloured by the scorer's own status (the
    final status also waits for the stabilization delay, scoring-core.md §9.4)."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    n_notes = note_diversity.height
    note_diversity = _at_most(note_diversity)
    if note_diversity.height < n_notes:
        ax.set_title(f"{note_diversity.height:,} of {n_notes:,} notes (random sample)", fontsize=8)
    status = note_diversity["status"].fill_null("NEEDS_MORE_RATINGS").to_list()
    x = note_diversity["consensus"].to_numpy()
    y = note_diversity["divisiveness"].to_numpy()
    labels = np.asarray(status)
    for name, colour in _STATUS_COLOURS.items():
        m = labels == name
        if m.any():
            ax.scatter(x[m], y[m], s=6, alpha=0.6, color=colour, label=name, lw=0)
    other = ~np.isin(labels, list(_STATUS_COLOURS))
    if other.any():
        ax.scatter(x[other], y[other], s=6, alpha=0.6, color="#7570b3", label="other", lw=0)
    ax.set_xlabel("consensus: P(helpful | left) × P(helpful | right)")
    ax.set_ylabel("divisiveness: |P(helpful | left) − P(helpful | right)|")
    ax.legend(fontsize=7, markerscale=3)
    fig.tight_layout()
    return fig


def opinion_map(raters: pl.DataFrame) -> Figure:
    """Raters by their positions on the first two note axes of the vote matrix, by opinion
    group."""
    fig, ax = plt.subplots(figsize=(6.0, 4.6))
    shown = _at_most(raters)
    if shown.height < raters.height:
        ax.set_title(f"{shown.height:,} of {raters.height:,} raters (random sample)", fontsize=8)
    for g in sorted(set(raters["group"].to_list())):
        size = int((raters["group"] == g).sum())
        rows = shown.filter(pl.col("group") == g)
        ax.scatter(rows["x"], rows["y"], s=5, alpha=0.5, lw=0, label=f"group {g} ({size:,})")
    ax.set_xlabel("position on note axis 1")
    ax.set_ylabel("position on note axis 2")
    ax.legend(fontsize=8, markerscale=3)
    fig.tight_layout()
    return fig


def group_similarity_heatmap(group_similarity: pl.DataFrame) -> Figure:
    """Agreement rate of co-rating pairs between and within opinion groups."""
    k = int(group_similarity["groupA"].to_numpy().max(initial=-1)) + 1
    rates = np.full((k, k), np.nan)
    a = group_similarity["groupA"].to_numpy()
    b = group_similarity["groupB"].to_numpy()
    rates[a, b] = group_similarity["agreementRate"].to_numpy()
    fig, ax = plt.subplots(figsize=(1.2 * k + 2.4, 1.0 * k + 1.8))
    lo, hi = float(np.nanmin(rates)), float(np.nanmax(rates))
    im = ax.imshow(rates, cmap="magma", vmin=lo, vmax=hi)
    for i in range(k):
        for j in range(k):
            if np.isfinite(rates[i, j]):
                light = rates[i, j] > (lo + hi) / 2  # magma is light at the top
                ax.text(
                    j,
                    i,
                    f"{rates[i, j]:.2f}",
                    ha="center",
                    va="center",
                    color="black" if light else "white",
                )
    ax.set_xticks(range(k), [f"group {i}" for i in range(k)])
    ax.set_yticks(range(k), [f"group {i}" for i in range(k)])
    fig.colorbar(im, ax=ax, label="agreement rate")
    fig.tight_layout()
    return fig
