#!/bin/bash
# usage: ab.sh TAG N PASSES  -- base (f68da92 src) and head (worktree src) at the same time,
# the head's bench_realtime.py for both sides.
TAG=$1; N=$2; P=$3
OUT=/work/wt/live/benchmarks/results/live14
BENCH=/work/wt/live/benchmarks/bench_realtime.py
run() {
  side=$1; src=$2
  f=$OUT/${TAG}_${side}.txt
  echo "== $side $src (commit $4) start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" > $f
  PYTHONPATH=$src nice -n 5 /work/main/.venv/bin/python $BENCH --pass-cpu $N --batch-size 500 --diligence frozen --passes $P >> $f 2>&1
  echo "== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $f
}
HEADC=$(cd /work/wt/live && git rev-parse --short HEAD)
run base /work/scratch/live/base/src x f68da92 &
run head /work/wt/live/src x $HEADC &
wait
grep -h "^==\|median" $OUT/${TAG}_base.txt $OUT/${TAG}_head.txt
