"""Server-rendered SVG charts (no JavaScript, no CDN): pure functions, data in, markup out.

Every chart has a ``<title>`` and ``<desc>`` (read by screen readers) and uses colours with
at least 4.5:1 contrast on white. Coordinates are rounded to 0.1 px.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from html import escape

__all__ = [
    "NARROW_WIDTH",
    "STATUS_COLOURS",
    "histogram_svg",
    "intercept_factor_svg",
    "rater_axis_svg",
    "responsive",
    "status_lines_svg",
]

STATUS_COLOURS: dict[str, str] = {
    "CURRENTLY_RATED_HELPFUL": "#116329",
    "CURRENTLY_RATED_NOT_HELPFUL": "#a40e26",
    "NEEDS_MORE_RATINGS": "#57606a",
}
_LEVEL_COLOURS = {"HELPFUL": "#116329", "SOMEWHAT_HELPFUL": "#7d4e00", "NOT_HELPFUL": "#a40e26"}
_LEVEL_LABELS = {"HELPFUL": "Yes", "SOMEWHAT_HELPFUL": "Somewhat", "NOT_HELPFUL": "No"}
# Charts are drawn twice: 640 units wide for wide screens and NARROW_WIDTH for phones, where
# the SVG is shown at about this many CSS px, so its 12-14 unit text stays 12-14 px.
NARROW_WIDTH = 360


def responsive(wide: str, narrow: str) -> str:
    """Both renderings of a chart; the stylesheet shows the narrow one on small screens.

    Parameters
    ----------
    wide, narrow : SVG markup of the same chart drawn 640 and ``NARROW_WIDTH`` units wide.
    """
    return f'<div class="chart-wide">{wide}</div><div class="chart-narrow">{narrow}</div>'


def _open(width: int, height: int, title: str, desc: str) -> list[str]:
    # Ids unique per title so that several charts on one page keep their own labels.
    key = "c" + hashlib.sha1(f"{title}|{width}".encode()).hexdigest()[:8]
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{key}t {key}d" class="chart">',
        f'<title id="{key}t">{escape(title)}</title><desc id="{key}d">{escape(desc)}</desc>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _f(x: float) -> str:
    return f"{x:.1f}"


def _tick(v: float) -> str:
    """A signed axis label without trailing zeros: -1.5, -0.75, 0, +1."""
    if v == 0:
        return "0"
    return f"{v:+.2f}".rstrip("0").rstrip(".")


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    step = (hi - lo) / (n - 1)
    return [lo + k * step for k in range(n)]


def rater_axis_svg(points: Sequence[tuple[float, str]], *, title: str, width: int = 640) -> str:
    """Who rated a note how, along the viewpoint axis.

    Parameters
    ----------
    points : (rater factor f_u, helpfulness level name) per rating with a known factor.
    title : the chart's accessible title.
    width : viewBox width in user units (640 wide screens, ``NARROW_WIDTH`` phones).

    Returns
    -------
    SVG markup: one row per answer (Yes / Somewhat / No), a dot per rater at their factor
    (clipped to [-1.5, 1.5]), a dashed line at 0 dividing the two sides.
    """
    narrow = width < 480
    height, left, right = 190, 90, 20
    rows = ["HELPFUL", "SOMEWHAT_HELPFUL", "NOT_HELPFUL"]
    span = 1.5

    def x(v: float) -> float:
        v = max(-span, min(span, v))
        return left + (v + span) / (2 * span) * (width - left - right)

    counts = {lvl: sum(1 for _, level in points if level == lvl) for lvl in rows}
    desc = f"{len(points)} ratings placed by rater factor. " + ", ".join(
        f"{_LEVEL_LABELS[k]}: {v}" for k, v in counts.items()
    )
    parts = _open(width, height, title, desc)
    parts.append(
        f'<line x1="{_f(x(0))}" y1="10" x2="{_f(x(0))}" y2="{height - 40}" '
        'stroke="#57606a" stroke-dasharray="4 3"/>'
    )
    for r, level in enumerate(rows):
        y = 30 + r * 45
        parts.append(
            f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" font-size="14" '
            f'fill="#1f2328">{_LEVEL_LABELS[level]}</text>'
        )
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="#d0d7de"/>')
        for k, (factor, lvl) in enumerate(points):
            if lvl != level:
                continue
            jitter = ((k * 7919) % 11 - 5) * 1.6
            parts.append(
                f'<circle cx="{_f(x(factor))}" cy="{_f(y + jitter)}" r="6" '
                f'fill="{_LEVEL_COLOURS[level]}" fill-opacity="0.8"><title>factor '
                f"{factor:.2f}: {_LEVEL_LABELS[level]}</title></circle>"
            )
    base = height - 25
    ticks = (-1.5, -0.75, 0.0, 0.75, 1.5) if narrow else (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)
    for v in ticks:
        parts.append(
            f'<text x="{_f(x(v))}" y="{base}" text-anchor="middle" font-size="12" '
            f'fill="#1f2328">{_tick(v)}</text>'
        )
    parts.append(
        f'<text x="{_f(x(-0.75))}" y="{height - 6}" text-anchor="middle" font-size="12" '
        'fill="#1f2328">← one side</text>'
        f'<text x="{_f(x(0.75))}" y="{height - 6}" text-anchor="middle" font-size="12" '
        'fill="#1f2328">other side →</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(
    values: Sequence[float], *, title: str, n_bins: int = 20, width: int = 640
) -> str:
    """A histogram of ``values`` (e.g. rater factors) over their range, ``n_bins`` bars,
    ``width`` user units wide."""
    height, left, bottom = 240, 50, 40
    finite = [v for v in values if math.isfinite(v)]
    parts = _open(width, height, title, f"Histogram of {len(finite)} values.")
    if not finite:
        parts.append('<text x="20" y="40" font-size="14">No data yet.</text></svg>')
        return "".join(parts)
    lo, hi = min(finite), max(finite)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    counts = [0] * n_bins
    for v in finite:
        counts[min(n_bins - 1, int((v - lo) / (hi - lo) * n_bins))] += 1
    top = max(counts)
    bar_w = (width - left - 20) / n_bins
    plot_h = height - bottom - 15
    for k, c in enumerate(counts):
        h = plot_h * c / top
        parts.append(
            f'<rect x="{_f(left + k * bar_w + 1)}" y="{_f(15 + plot_h - h)}" '
            f'width="{_f(bar_w - 2)}" height="{_f(h)}" fill="#0550ae">'
            f"<title>{lo + k * (hi - lo) / n_bins:.2f} to "
            f"{lo + (k + 1) * (hi - lo) / n_bins:.2f}: {c}</title></rect>"
        )
    for v in _ticks(lo, hi, 5 if width >= 480 else 3):
        xx = left + (v - lo) / (hi - lo) * (width - left - 20)
        parts.append(
            f'<text x="{_f(xx)}" y="{height - bottom + 18}" text-anchor="middle" '
            f'font-size="12" fill="#1f2328">{v:.2f}</text>'
        )
    parts.append(
        f'<text x="{left - 8}" y="22" text-anchor="end" font-size="12" fill="#1f2328">{top}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def intercept_factor_svg(
    notes: Sequence[tuple[float, float, str]],
    *,
    title: str,
    crh_threshold: float,
    crnh_intercept: float,
    crnh_factor_multiplier: float,
    width: int = 640,
) -> str:
    """Notes' intercept (y) against factor (x), coloured by status, thresholds drawn,
    ``width`` user units wide.

    The Helpful threshold is the line i_n = ``crh_threshold``; the Not Helpful boundary is
    i_n = ``crnh_intercept`` + ``crnh_factor_multiplier`` |f_n| (a "V").
    """
    height, left, bottom = (380, 60, 45) if width >= 480 else (320, 48, 45)
    xs, ys = (-1.0, 1.0), (-0.8, 0.8)
    for f, i, _ in notes:
        xs = (min(xs[0], f), max(xs[1], f))
        ys = (min(ys[0], i), max(ys[1], i))

    def px(f: float) -> float:
        return left + (f - xs[0]) / (xs[1] - xs[0]) * (width - left - 20)

    def py(i: float) -> float:
        return 15 + (ys[1] - i) / (ys[1] - ys[0]) * (height - bottom - 15)

    by_status = {s: sum(1 for *_, st in notes if st == s) for s in STATUS_COLOURS}
    desc = f"{len(notes)} scored notes. " + ", ".join(f"{k}: {v}" for k, v in by_status.items())
    parts = _open(width, height, title, desc)
    parts.append(
        f'<line x1="{_f(px(xs[0]))}" y1="{_f(py(crh_threshold))}" x2="{_f(px(xs[1]))}" '
        f'y2="{_f(py(crh_threshold))}" stroke="#116329" stroke-dasharray="6 4"/>'
        f'<text x="{_f(px(xs[1]) - 4)}" y="{_f(py(crh_threshold) - 6)}" text-anchor="end" '
        f'font-size="12" fill="#116329">Helpful: intercept ≥ {crh_threshold:.2f}</text>'
    )
    v_pts = [(f, crnh_intercept + crnh_factor_multiplier * abs(f)) for f in (xs[0], 0.0, xs[1])]
    key = "clip" + hashlib.sha1(f"{title}|{width}".encode()).hexdigest()[:8]
    plot_h = height - bottom - 15
    parts.append(
        f'<clipPath id="{key}"><rect x="{left}" y="15" width="{width - left - 20}" '
        f'height="{plot_h}"/></clipPath>'
        f'<polyline fill="none" stroke="#a40e26" stroke-dasharray="6 4" '
        f'clip-path="url(#{key})" points="'
        + " ".join(f"{_f(px(f))},{_f(py(i))}" for f, i in v_pts)
        + '"/>'
        f'<text x="{left + 6}" y="{15 + plot_h - 6}" font-size="12" fill="#a40e26">'
        "Not helpful: below the red V</text>"
    )
    for f, i, st in notes:
        parts.append(
            f'<circle cx="{_f(px(f))}" cy="{_f(py(i))}" r="5" '
            f'fill="{STATUS_COLOURS.get(st, "#57606a")}" fill-opacity="0.85">'
            f"<title>factor {f:.2f}, intercept {i:.2f}: {escape(st)}</title></circle>"
        )
    for v in _ticks(xs[0], xs[1]):
        parts.append(
            f'<text x="{_f(px(v))}" y="{height - bottom + 18}" text-anchor="middle" '
            f'font-size="12" fill="#1f2328">{v:.1f}</text>'
        )
    for v in _ticks(ys[0], ys[1]):
        parts.append(
            f'<text x="{left - 6}" y="{_f(py(v) + 4)}" text-anchor="end" font-size="12" '
            f'fill="#1f2328">{v:.1f}</text>'
        )
    parts.append(
        f'<text x="{_f((left + width) / 2)}" y="{height - 6}" text-anchor="middle" '
        'font-size="12" fill="#1f2328">note factor</text>'
        f'<text x="14" y="{_f(height / 2)}" font-size="12" fill="#1f2328" '
        f'transform="rotate(-90 14 {_f(height / 2)})" text-anchor="middle">note intercept</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def status_lines_svg(
    days: Sequence[str], series: Mapping[str, Sequence[int]], *, title: str, width: int = 640
) -> str:
    """Counts per status over time: one line per status, one point per day.

    Parameters
    ----------
    days : ISO dates, the x axis, oldest first.
    series : status name -> count per day (same length as ``days``).
    width : viewBox width in user units.
    """
    height, left, bottom = 260, 50, 45
    parts = _open(
        width,
        height,
        title,
        f"{len(days)} days. "
        + ", ".join(f"{k}: {v[-1] if v else 0} now" for k, v in series.items()),
    )
    if not days:
        parts.append('<text x="20" y="40" font-size="14">No scoring run yet.</text></svg>')
        return "".join(parts)
    top = max(1, max((max(v) for v in series.values() if v), default=1))
    n = len(days)

    def px(k: int) -> float:
        return left + (k / max(1, n - 1)) * (width - left - 20)

    def py(c: float) -> float:
        return 15 + (1 - c / top) * (height - bottom - 15)

    for status, counts in series.items():
        colour = STATUS_COLOURS.get(status, "#0550ae")
        pts = " ".join(f"{_f(px(k))},{_f(py(c))}" for k, c in enumerate(counts))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{pts}"/>')
    for k in sorted({0, n // 2, n - 1} if width >= 480 else {0, n - 1}):
        anchor = "start" if k == 0 else ("end" if k == n - 1 else "middle")
        parts.append(
            f'<text x="{_f(px(k))}" y="{height - bottom + 18}" text-anchor="{anchor}" '
            f'font-size="12" fill="#1f2328">{escape(days[k])}</text>'
        )
    parts.append(
        f'<text x="{left - 6}" y="{_f(py(top) + 4)}" text-anchor="end" font-size="12" '
        f'fill="#1f2328">{top}</text><text x="{left - 6}" y="{_f(py(0) + 4)}" '
        'text-anchor="end" font-size="12" fill="#1f2328">0</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
