#!/bin/bash
set -e
R=/work/wt/adv17/benchmarks/results/adv17
cd /work/data/adv17
mkdir -p $R/scripts
for d in base_* head_*; do
  [ -f $d/attack_bench_cells.parquet ] || continue
  mkdir -p $R/$d
  cp $d/attack_bench_cells.parquet $d/attack_bench_cells.tsv $d/attack_bench.md $R/$d/
  PYTHONPATH=/work/wt/adv17/src /work/main/.venv/bin/python /work/wt/adv17/benchmarks/attack_seeds.py $d/attack_bench_cells.parquet > $R/$d/seeds.md 2>/dev/null
  grep -E "User time|System time|Maximum resident|Elapsed" $d/time.txt > $R/$d/time.txt
done
for r in core_s78 core_s78_params core_big7 all_emb78 core_r5 core_r360; do
  [ -f head_$r/attack_bench_cells.parquet ] || continue
  PYTHONPATH=/work/wt/adv17/src /work/main/.venv/bin/python /work/wt/adv17/benchmarks/diff_bench_cells.py base_$r head_$r > $R/${r}_diff.txt 2>&1
done
cp *.txt $R/ 2>/dev/null || true
rm -f $R/queue*.log
cp run.sh queue.sh queue2.sh collect.sh $R/scripts/
