import sys
import time

import numpy as np

from bridgewatch.scoring.manipulation import ThinPoolConfig, find_thin_pools

d = np.load(f"/work/data/adv17/scratch/{sys.argv[1]}.npz")
best = 1e9
for _ in range(3):
    t = time.process_time()
    r = find_thin_pools(
        d["note"],
        d["rater"],
        d["level"],
        int(d["n_raters"]),
        ThinPoolConfig(),
        block=d["block"],
        established=d["established"],
    )
    best = min(best, time.process_time() - t)
print(sys.argv[1], f"cpu {best:.3f} s", "flagged", int(r.flagged.sum()))
