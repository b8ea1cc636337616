# usage: ab.sh TAG_A SRC_A TAG_B SRC_B REPS OUTDIR
cd /work/wt/als
for i in $(seq 1 $5); do
  for side in A B; do
    if [ $side = A ]; then T=$1; S=$2; else T=$3; S=$4; fi
    PYTHONPATH=$S /work/main/.venv/bin/python benchmarks/als_anatomy.py /work/data/als_dump10m mf1 mf2 > $6/ab_${T}_$i.txt 2>&1
  done
done
