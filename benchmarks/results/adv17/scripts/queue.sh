#!/bin/bash
cd /work/data/adv17
while [ ! -f head_core_s78/attack_bench_cells.parquet ]; do sleep 10; done
./run.sh /tmp/adv17-head/src head_core_s78_params --seeds 7,8 --shares 5,15 --scorers core --structures all --kinds pool,aged-pool,rotating,aged,two-camp --pool-share 8 --pool-max-overlap 2 --rotating-per-wave 4 --targets 15
for v in base head; do
./run.sh /tmp/adv17-$v/src ${v}_core_big7 --seeds 7 --shares 0,5,15 --scorers core --structures all --notes 3000 --raters 8000 --ratings 150000
done
for v in base head; do
./run.sh /tmp/adv17-$v/src ${v}_all_emb78 --seeds 7,8 --shares 0,5,15 --scorers all --structures all --kinds embedded
done
for v in base head; do
./run.sh /tmp/adv17-$v/src ${v}_core_r5 --seeds 7 --shares 5,15 --scorers core --structures all --reaction-minutes 5
done
for v in base head; do
./run.sh /tmp/adv17-$v/src ${v}_core_r360 --seeds 8 --shares 5,15 --scorers core --structures all --reaction-minutes 360
done
echo ALLDONE > queue.done
