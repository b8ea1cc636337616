"""bridgewatch: crowdsourced context notes scored by bridging matrix factorization."""

import os
from importlib.metadata import PackageNotFoundError, version

# One OpenBLAS thread unless the user chose otherwise (set before numpy loads OpenBLAS). The
# scorer's BLAS calls are on vectors and small matrices (L-BFGS-B of the topic classifier,
# Anderson mixing), where a second thread only spins: on a busy 2-core machine it tripled the
# classifier's CPU time. The heavy kernels are numba and do not use BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

try:
    __version__ = version("bridgewatch")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["ALGORITHM", "DEFAULT_SEED", "__version__"]

# Sets the allocator configuration of polars before any module loads polars.
from bridgewatch import _allocator  # noqa: F401

# The published algorithm this build implements (``bridgewatch info``, the web app's about page).
ALGORITHM = "Community Notes scoring, reference commit 273c895 (2026-07-17)"

# The random seed of every command that takes ``--seed`` (score, simulate, analyze, worker,
# demo) when none is given; set here once, at the edge, and passed down explicitly. The same
# data and seed give bit-identical output.
DEFAULT_SEED = 1
