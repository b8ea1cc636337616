#!/bin/bash
# usage: lag.sh TAG SIDE  (SIDE base|head) -- the 1M lag command of the README, head's bench
TAG=$1; SIDE=$2
OUT=/work/wt/live/benchmarks/results/live14
if [ $SIDE = base ]; then SRC=/work/scratch/live/base/src; C=f68da92; else SRC=/work/wt/live/src; C=$(cd /work/wt/live && git rev-parse --short HEAD); fi
f=$OUT/lag1m_${TAG}_${SIDE}.txt
echo "== $SIDE $SRC (commit $C) start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" > $f
echo "== command: PYTHONPATH=$SRC python benchmarks/bench_realtime.py --backend postgresql --rate 500 --seconds 20 --drive direct --backlog 0 --settle --notes 33333 --raters 66666 --ratings 1000000 --diligence frozen" >> $f
cd /work/wt/live && PYTHONPATH=$SRC nice -n 5 /work/main/.venv/bin/python benchmarks/bench_realtime.py --backend postgresql --rate 500 --seconds 20 --drive direct --backlog 0 --settle --notes 33333 --raters 66666 --ratings 1000000 --diligence frozen >> $f 2>&1
echo "== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $f
grep -h "^==\|\[direct\]" $f
