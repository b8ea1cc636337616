cd /work/data/als_new3
for i in 1 2; do
  for v in main:/work/data/als_base/src buf:/work/data/als_new2/src; do
    T=${v%%:*}; S=${v#*:}
    PYTHONPATH=$S /work/main/.venv/bin/python als_synthetic.py 30000000 > /work/data/als_out/ab30_${T}_$i.txt 2>&1
  done
done
