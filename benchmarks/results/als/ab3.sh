cd /work/wt/als
for i in 1 2 3; do
  for v in main:/work/data/als_base/src skip:/work/data/als_new1/src buf:/work/data/als_new2/src; do
    T=${v%%:*}; S=${v#*:}
    PYTHONPATH=$S /work/main/.venv/bin/python benchmarks/als_anatomy.py /work/data/als_dump10m mf1 mf2 > /work/data/als_out/ab3_${T}_$i.txt 2>&1
  done
done
