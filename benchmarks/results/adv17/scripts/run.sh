#!/bin/bash
# run.sh SRC OUTDIR args...
SRC=$1; OUT=$2; shift 2
mkdir -p $OUT
PYTHONPATH=$SRC nice -n 5 /usr/bin/time -v /work/main/.venv/bin/python -c "from bridgewatch.cli import main; main()" attack-bench --outdir $OUT "$@" > $OUT/stdout.txt 2> $OUT/time.txt
