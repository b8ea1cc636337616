#!/bin/bash
cd /work/data/adv17
while [ ! -f queue.done ]; do sleep 10; done
./run.sh /tmp/adv17-head/src head_all_ap_p8 --seeds 7 --shares 15 --scorers all --structures all --kinds aged-pool --pool-share 8 --pool-max-overlap 2
echo done > queue2.done
