"""The attack benchmark's plot (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.axes import Axes

__all__ = ["plot_attack_bench"]

_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "*")
_PANELS = (
    ("promoted_crh", "promote_targets", "promoted targets rated helpful (%)"),
    ("good_suppressed", "good_targets", "good notes suppressed (%)"),
    ("honest_helpful_drop", None, "honest helpful rate drop (points)"),
    ("honest_removed_pct", None, "honest ratings removed (%)"),
    ("honest_flagged", None, "honest raters flagged"),
)


def _ratio(rows: pl.DataFrame, num: str, den: str | None) -> list[float]:
    if den is None:
        return [float(v) for v in rows[num].fill_null(0.0).to_list()]
    return [
        100.0 * n / d if d else 0.0
        for n, d in zip(rows[num].to_list(), rows[den].to_list(), strict=True)
    ]


def _cost_panel(ax: Axes, cost: pl.DataFrame) -> None:
    """Bars of the smallest successful brigade per kind, defences off and on (hatched at the
    cap when no brigade up to the cap succeeded)."""
    kinds = list(dict.fromkeys(cost["brigade"].to_list()))
    width = 0.4
    for offset, (defences, colour) in enumerate((("off", "tab:red"), ("on", "tab:blue"))):
        rows = {
            r["brigade"]: r
            for r in cost.filter(pl.col("defences") == defences).iter_rows(named=True)
        }
        for i, kind in enumerate(kinds):
            r = rows.get(kind)
            if r is None:
                continue
            failed = r["members"] is None
            height = r["cap_members"] if failed else r["members"]
            ax.bar(
                i + (offset - 0.5) * width,
                height,
                width,
                color="white" if failed else colour,
                edgecolor=colour,
                hatch="//" if failed else None,
                label=f"defences {defences}" if i == 0 else None,
            )
    ax.set_xticks(range(len(kinds)), kinds, rotation=30, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("accounts")
    ax.set_title(
        "attack cost: accounts to get half the targets through\n(hatched: none up to the cap)",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")


def plot_attack_bench(
    table: pl.DataFrame, path: str | Path, cost: pl.DataFrame | None = None
) -> Path:
    """Panels against brigade share: promoted targets rated helpful (%), good notes
    suppressed (%), honest helpful-rate drop (points), honest ratings removed in any scorer's
    view (%), honest raters flagged or revoked (Core's view and flags alone in tables written
    before these columns); one line per brigade kind and defence setting. With ``cost``
    (``attack_cost.cost_table``), a sixth panel of the attack cost per kind. ``table`` is
    ``bridgewatch.analysis.attack.summarize``'s output."""
    fig, grid = plt.subplots(2, 3, figsize=(16, 8.5))
    axes = list(grid.flat)
    panels = list(_PANELS)
    if "honest_helpful_drop_matched" in table.columns:
        # Against the matched reference (the defences' own effect on honest notes); older
        # tables only have the drop against the unmatched reference.
        panels[2] = (
            "honest_helpful_drop_matched",
            None,
            "honest helpful rate drop vs matched reference (points)",
        )
    if "honest_removed_any_pct" in table.columns:
        # Collateral in any scorer's view and revoked establishments (older tables: Core's
        # view alone, flags without revocations).
        panels[3] = ("honest_removed_any_pct", None, "honest ratings removed, any scorer (%)")
        panels[4] = ("honest_flagged_any", None, "honest raters flagged or revoked")
    base = table.filter(pl.col("brigade") == "none")
    kinds = [k for k in dict.fromkeys(table["brigade"].to_list()) if k != "none"]
    for brigade, marker in zip(kinds, _MARKERS * 2, strict=False):
        for defences, style in (("off", "--"), ("on", "-")):
            rows = pl.concat(
                [
                    base.filter(pl.col("defences") == defences),
                    table.filter((pl.col("brigade") == brigade) & (pl.col("defences") == defences)),
                ],
                how="diagonal_relaxed",
            ).sort("share")
            x = (100.0 * rows["share"]).to_list()
            for ax, (num, den, _title) in zip(axes, panels, strict=False):
                ax.plot(
                    x,
                    _ratio(rows, num, den),
                    style,
                    marker=marker,
                    label=f"{brigade}, defences {defences}",
                )
    for ax, (_n, _d, title) in zip(axes, panels, strict=False):
        ax.set_xlabel("brigade size (% of raters, each brigade)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(-3, 103)
    axes[1].set_ylim(-3, 103)
    axes[2].axhline(0.5, color="grey", lw=0.8, ls=":")
    axes[2].axhline(-0.5, color="grey", lw=0.8, ls=":")
    axes[3].axhline(0.5, color="grey", lw=0.8, ls=":")
    axes[0].legend(fontsize=7, ncol=2)
    if cost is not None and cost.height:
        _cost_panel(axes[5], cost)
    else:
        axes[5].axis("off")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
