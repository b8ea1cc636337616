"""The report of an ``Analysis``: one self-contained HTML file (figures inline as base64
PNG, no scripts, no network) and one Parquet file per table.

Layout of the output directory::

    report.html
    tables/<name>.parquet   one per table of ``Analysis.tables()``
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from matplotlib.figure import Figure

from bridgewatch.analysis.embeddings import plots
from bridgewatch.analysis.embeddings.run import Analysis
from bridgewatch.io import atomic_output

__all__ = [
    "REPORT_FILE",
    "TABLES_DIR",
    "ReportFigure",
    "render_html",
    "report_figures",
    "write_report",
]

REPORT_FILE = "report.html"
TABLES_DIR = "tables"

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;
margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
img{max-width:100%}.note{color:#555;font-size:.92em}
"""

_MAX_ROWS = 40


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return html.escape("" if value is None else str(value))


def _table(frame: pl.DataFrame, max_rows: int = _MAX_ROWS) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.head(max_rows).iter_rows()
    )
    more = (
        f'<p class="note">first {max_rows} of {frame.height:,} rows; all in the Parquet table.</p>'
        if frame.height > max_rows
        else ""
    )
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _figure(fig: Figure, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{plots.png_base64(fig)}">'


def _section(title: str, text: str, *parts: str) -> str:
    return f"<h2>{html.escape(title)}</h2><p>{text}</p>" + "".join(parts)


def _sections(a: Analysis) -> list[str]:
    out: list[str] = []
    overall = a.polarization.filter(pl.col("scope") == "all").drop("scope")
    out.append(
        _section(
            "Polarization",
            "Each measure grows with polarization (side_parity is context: the smaller side "
            "over the larger). bimodality, ashman_d, esteban_ray and side_parity describe the "
            "rater factors; cross_side_disagreement, modularity and insularity the agreement "
            "graph, with sides learned on one half of the notes and judged on the other. "
            "Intervals are 90% Poisson-bootstrap intervals over raters (factor measures) or "
            "notes (agreement-graph measures).",
            _table(overall),
        )
    )
    if a.polarization.filter(pl.col("scope") != "all").height:
        out.append(
            _section(
                "Polarization over time",
                "Per calendar month of ratings; the dashed line is the whole run.",
                _figure(plots.polarization_over_time(a.polarization), "polarization by month"),
            )
        )
    out.append(
        _section(
            "Rater factors by scorer",
            "Distribution of each scorer's rater factor: two modes mean two viewpoints.",
            _figure(plots.factor_histograms(a.rater_embeddings), "rater factor histograms"),
        )
    )
    out.append(
        _section(
            f"Notes: intercept against factor ({a.scorer})",
            "Density of notes, with the status thresholds of the Core rules drawn.",
            _figure(
                plots.intercept_factor_density(a.note_embeddings, a.scorer),
                "note intercept against factor",
            ),
        )
    )
    if a.helpful_share is not None:
        out.append(
            _section(
                "Helpful share by side",
                "Share of HELPFUL votes by rater bucket (factor below −0.15, between, above "
                "0.15) on notes of each bucket.",
                _figure(plots.helpful_share_bars(a.helpful_share), "helpful share by side"),
                _table(a.helpful_share),
            )
        )
    if a.note_diversity is not None:
        liked = int(a.note_diversity["likedByDifferentPerspectives"].sum())
        out.append(
            _section(
                "Note map: consensus against divisiveness",
                f"{liked:,} of {a.note_diversity.height:,} rated notes were liked by people "
                "with different perspectives (HELPFUL from both sides).",
                _figure(plots.note_map(a.note_diversity), "note map"),
            )
        )
    if a.side_similarity is not None:
        out.append(
            _section(
                "Agreement within and between sides",
                "Share of co-rating rater pairs that cast the same vote.",
                _table(a.side_similarity),
            )
        )
    g = a.opinion_groups
    if g is not None:
        ari = (
            a.group_comparison.unique("reference").select("reference", "ari")
            if (a.group_comparison is not None)
            else pl.DataFrame()
        )
        out.append(
            _section(
                "Opinion groups",
                f"{g.raters.height:,} raters placed; {g.k} groups chosen by silhouette. "
                "Adjusted Rand index against the factor sides and the modeling groups:",
                _table(ari),
                _table(g.silhouettes),
                _figure(plots.opinion_map(g.raters), "opinion map"),
            )
        )
    if a.group_similarity is not None:
        out.append(
            _section(
                "Group similarity",
                "Agreement rate of co-rating pairs between and within opinion groups.",
                _figure(plots.group_similarity_heatmap(a.group_similarity), "group heatmap"),
            )
        )
    if a.concentration is not None:
        out.append(
            _section(
                "Rating concentration",
                "Share of ratings by the most active raters.",
                _table(a.concentration),
            )
        )
    if a.robustness is not None:
        out.append(
            _section(
                "Robustness",
                "Core re-scored with other seeds and without the most active raters, "
                "compared with the first run (factor signs aligned).",
                _table(a.robustness),
            )
        )
    return out


@dataclass(frozen=True)
class ReportFigure:
    """One of the report's figures, rendered.

    Parameters
    ----------
    key : stable name (``factor_histograms``, ``note_map``, ...).
    title, caption : what the report says above and under it.
    png_base64 : the PNG, base64 text for a ``data:image/png`` URI.
    """

    key: str
    title: str
    caption: str
    png_base64: str


def report_figures(a: Analysis) -> list[ReportFigure]:
    """The report's figures that ``a`` has data for, in the report's order (the web app's
    transparency page shows these for the live community)."""
    todo: list[tuple[str, str, str, Callable[[], Figure]]] = []
    if a.polarization.filter(pl.col("scope") != "all").height:
        todo.append(
            (
                "polarization_over_time",
                "Polarization over time",
                "Each measure per calendar month of ratings with its 90% bootstrap interval; "
                "the dashed line is the whole run.",
                lambda: plots.polarization_over_time(a.polarization),
            )
        )
    todo.append(
        (
            "factor_histograms",
            "Rater factors by scorer",
            "Distribution of each scorer's rater factor: two modes mean two viewpoints.",
            lambda: plots.factor_histograms(a.rater_embeddings),
        )
    )
    todo.append(
        (
            "intercept_factor_density",
            f"Notes: intercept against factor ({a.scorer})",
            "Density of notes, with the status thresholds of the Core rules drawn.",
            lambda: plots.intercept_factor_density(a.note_embeddings, a.scorer),
        )
    )
    if (share := a.helpful_share) is not None:
        todo.append(
            (
                "helpful_share_bars",
                "Helpful share by side",
                "Share of HELPFUL votes by rater bucket (factor below -0.15, between, above "
                "0.15) on notes of each bucket.",
                lambda: plots.helpful_share_bars(share),
            )
        )
    if (diversity := a.note_diversity) is not None:
        todo.append(
            (
                "note_map",
                "Note map: consensus against divisiveness",
                "Each note by how much both sides found it helpful (x) and how much they "
                "disagreed (y), coloured by status.",
                lambda: plots.note_map(diversity),
            )
        )
    if (groups := a.opinion_groups) is not None:
        todo.append(
            (
                "opinion_map",
                "Opinion groups",
                f"Raters by their positions on the vote matrix's note axes; {groups.k} groups "
                "chosen by silhouette.",
                lambda: plots.opinion_map(groups.raters),
            )
        )
    if (similarity := a.group_similarity) is not None:
        todo.append(
            (
                "group_similarity_heatmap",
                "Group similarity",
                "Agreement rate of co-rating pairs between and within opinion groups.",
                lambda: plots.group_similarity_heatmap(similarity),
            )
        )
    return [
        ReportFigure(key, title, caption, plots.png_base64(draw()))
        for key, title, caption, draw in todo
    ]


def render_html(analysis: Analysis, title: str = "bridgewatch analysis") -> str:
    """The report as one HTML document (figures inline)."""
    body = "".join(_sections(analysis))
    listing = ", ".join(f"{html.escape(n)}.parquet" for n in analysis.tables())
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="note">Sides and buckets by the {html.escape(analysis.scorer)} scorer\'s '
        f"rater factor. Tables: {TABLES_DIR}/ ({listing}).</p>"
        f"{body}</body></html>"
    )


def write_report(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    title: str = "bridgewatch analysis",
) -> Path:
    """Write ``report.html`` and ``tables/*.parquet`` into ``out_dir`` (created if needed);
    returns the report's path. Each file appears under its name only once complete."""
    out = Path(out_dir)
    (out / TABLES_DIR).mkdir(parents=True, exist_ok=True)
    for name, frame in analysis.tables().items():
        path = out / TABLES_DIR / f"{name}.parquet"
        with atomic_output(path) as handle:
            frame.write_parquet(handle)
    report = out / REPORT_FILE
    with atomic_output(report) as handle:
        handle.write(render_html(analysis, title).encode("utf-8"))
    return report
