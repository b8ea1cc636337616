"""Per-cell rows of two attack-bench runs (defences on), side by side."""
import sys
import polars as pl
a = pl.read_parquet(sys.argv[1]); b = pl.read_parquet(sys.argv[2])
keys = ["brigade", "share", "defences", "seed"]
cols = ["promoted_crh", "promote_crh_ref", "good_suppressed", "good_targets", "honest_lost", "honest_gained", "honest_removed", "honest_flagged", "structure_flagged", "circle_good_lost_ref", "cpu_s"]
j = a.select(keys + cols).join(b.select(keys + cols), on=keys, suffix="_new").sort(keys)
print("| brigade | share | def | seed | promoted (ref) | good suppressed | honest lost/gained | honest ratings removed | honest raters flagged (struct) | circle good lost vs ref | CPU s |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in j.iter_rows(named=True):
    def f(c):
        o, n = r[c], r[c + "_new"]
        return f"{o}" if o == n else f"{o} -> **{n}**"
    print(f"| {r['brigade']} | {r['share']:.0%} | {r['defences']} | {r['seed']} | {f('promoted_crh')} ({r['promote_crh_ref']}) | {f('good_suppressed')}/{r['good_targets']} | {f('honest_lost')} / {f('honest_gained')} | {f('honest_removed')} | {f('honest_flagged')} ({f('structure_flagged')}) | {f('circle_good_lost_ref')} | {r['cpu_s']:.1f} -> {r['cpu_s_new']:.1f} |")
