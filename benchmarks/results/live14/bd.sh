#!/bin/bash
# usage: bd.sh TAG N PASSES TARGETFILE -- pass_breakdown (head's script) for base and head at the same time
TAG=$1; N=$2; P=$3; T=$(paste -sd, $4)
OUT=/work/wt/live/benchmarks/results/live14
HEADC=$(cd /work/wt/live && git rev-parse --short HEAD)
run() {
  side=$1; src=$2; c=$3
  f=$OUT/${TAG}_${side}.txt
  echo "== $side $src (commit $c) start $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" > $f
  echo "== command: PYTHONPATH=$src python benchmarks/pass_breakdown.py $N --passes $P --targets <$(basename $4)>" >> $f
  PYTHONPATH=$src nice -n 5 /work/main/.venv/bin/python /work/wt/live/benchmarks/pass_breakdown.py $N --passes $P --targets $T >> $f 2>&1
  echo "== end $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)" >> $f
}
run base /work/scratch/live/base/src f68da92 &
run head /work/wt/live/src $HEADC &
wait
