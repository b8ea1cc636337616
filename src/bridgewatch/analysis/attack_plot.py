"""The attack benchmark's plot (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

__all__ = ["plot_attack_bench"]


def plot_attack_bench(table: pl.DataFrame, path: str | Path) -> Path:
    """Three panels against brigade share: promoted targets rated helpful (%), good notes
    suppressed (%), honest helpful-rate drop (points); one line per brigade kind and defence
    setting. ``table`` is ``bridgewatch.analysis.attack.summarize``'s output."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    panels = (
        ("promoted_crh", "promote_targets", "promoted targets rated helpful (%)"),
        ("good_suppressed", "good_targets", "good notes suppressed (%)"),
        ("honest_helpful_drop", None, "honest helpful rate drop (points)"),
    )
    base = table.filter(pl.col("brigade") == "none")
    for brigade, marker in (
        ("fresh", "o"),
        ("sleeper", "s"),
        ("two-camp", "^"),
        ("slow", "v"),
    ):
        for defences, style in (("off", "--"), ("on", "-")):
            rows = pl.concat(
                [
                    base.filter(pl.col("defences") == defences),
                    table.filter((pl.col("brigade") == brigade) & (pl.col("defences") == defences)),
                ]
            ).sort("share")
            if rows.height <= base.height // 2:
                continue
            x = (100.0 * rows["share"]).to_list()
            for ax, (num, den, _title) in zip(axes, panels, strict=True):
                if den is None:
                    y = rows[num].to_list()
                else:
                    y = [
                        100.0 * n / d if d else 0.0
                        for n, d in zip(rows[num].to_list(), rows[den].to_list(), strict=True)
                    ]
                ax.plot(x, y, style, marker=marker, label=f"{brigade}, defences {defences}")
    for ax, (_n, _d, title) in zip(axes, panels, strict=True):
        ax.set_xlabel("brigade size (% of raters, each brigade)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].set_ylim(-3, 103)
    axes[1].set_ylim(-3, 103)
    axes[2].axhline(2.0, color="grey", lw=0.8, ls=":")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out
