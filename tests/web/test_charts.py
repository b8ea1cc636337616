from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from bridgewatch.web.charts import (
    histogram_svg,
    intercept_factor_svg,
    rater_axis_svg,
    status_lines_svg,
)

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_rater_axis_places_one_dot_per_rating_on_the_right_side() -> None:
    root = _parse(
        rater_axis_svg([(-1.0, "HELPFUL"), (1.0, "NOT_HELPFUL"), (9.0, "HELPFUL")], title="t<")
    )
    dots = root.findall(f"{NS}circle")
    assert len(dots) == 3
    xs = sorted(float(d.get("cx", "0")) for d in dots)
    # -1.0 maps left of the 0 line, +1.0 and the clipped 9.0 (-> 1.5) right of it.
    zero = float(root.findall(f"{NS}line")[0].get("x1", "0"))
    assert xs[0] < zero < xs[1] < xs[2]
    assert root.find(f"{NS}title") is not None and root.find(f"{NS}title").text == "t<"  # type: ignore[union-attr]


def test_histogram_bars_sum_to_the_count() -> None:
    root = _parse(histogram_svg([0.0, 0.1, 0.1, 1.0, float("nan")], title="h", n_bins=4))
    bars = root.findall(f"{NS}rect")[1:]  # the first rect is the background
    counts = [int(b.find(f"{NS}title").text.rsplit(": ", 1)[1]) for b in bars]  # type: ignore[union-attr]
    assert counts == [3, 0, 0, 1]


def test_histogram_without_data() -> None:
    assert "No data yet." in histogram_svg([], title="h")


def test_scatter_draws_thresholds_and_points() -> None:
    svg = intercept_factor_svg(
        [(0.0, 0.5, "CURRENTLY_RATED_HELPFUL"), (0.2, -0.5, "CURRENTLY_RATED_NOT_HELPFUL")],
        title="s",
        crh_threshold=0.4,
        crnh_intercept=-0.05,
        crnh_factor_multiplier=-0.8,
    )
    root = _parse(svg)
    assert len(root.findall(f"{NS}circle")) == 2
    assert len(root.findall(f"{NS}polyline")) == 1  # the CRNH "V"
    assert "intercept ≥ 0.40" in svg


def test_status_lines_one_polyline_per_status() -> None:
    root = _parse(
        status_lines_svg(["2026-11-01", "2026-11-02"], {"A": [1, 2], "B": [0, 1]}, title="x")
    )
    lines = root.findall(f"{NS}polyline")
    assert len(lines) == 2
    assert len(lines[0].get("points", "").split()) == 2


def test_narrow_rater_axis_keeps_text_readable_and_ids_apart() -> None:
    from bridgewatch.web.charts import NARROW_WIDTH, responsive

    points = [(-1.0, "HELPFUL"), (0.4, "SOMEWHAT_HELPFUL"), (1.2, "NOT_HELPFUL")]
    wide = rater_axis_svg(points, title="t")
    narrow = rater_axis_svg(points, title="t", width=NARROW_WIDTH)
    root = _parse(narrow)
    assert root.get("viewBox") == f"0 0 {NARROW_WIDTH} 190"
    # Shown about NARROW_WIDTH px wide on a phone, so text units are roughly px: >= 12.
    sizes = [float(t.get("font-size", "0")) for t in root.iter(f"{NS}text")]
    assert sizes and min(sizes) >= 12
    # Every dot stays inside the drawing, and the labels do not overlap: tick labels at
    # least 40 units apart.
    xs = [float(c.get("cx", "0")) for c in root.iter(f"{NS}circle")]
    assert len(xs) == 3 and all(0 < x < NARROW_WIDTH for x in xs)
    ticks = sorted(float(t.get("x", "0")) for t in root.iter(f"{NS}text") if t.get("y") == "165")
    assert len(ticks) == 5 and all(b - a >= 40 for a, b in itertools.pairwise(ticks))
    both = responsive(wide, narrow)
    ids = [i for i in (_parse(wide).find(f"{NS}title"), root.find(f"{NS}title")) if i is not None]
    assert ids[0].get("id") != ids[1].get("id")
    assert both.index("chart-wide") < both.index("chart-narrow")
