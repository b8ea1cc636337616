"""One thread per task on a worker: the tasks are the parallelism.

A worker process (a ``processes:N`` child, a Dask worker) runs one task per core. A task
whose BLAS, numba or polars calls each started a thread per core would oversubscribe the
machine, so every worker pins those libraries to one thread before its first task
(``pin_threads``: a process pool's initializer, a Dask worker plugin) and again in each
task's thread (numba's thread count is per thread). Dask's nanny does not pass the
client's environment on, hence the pinning in the worker itself. The results do not
depend on it: bridgewatch's kernels split their work the same way whatever the thread
count (``scoring._threads``).
"""

from __future__ import annotations

import os
import sys

__all__ = ["THREAD_ENV_VARS", "pin_threads"]

# Read by the libraries when they load: set before their import, they pin it for good.
THREAD_ENV_VARS: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "POLARS_MAX_THREADS",
)


def pin_threads(n_threads: int = 1) -> None:
    """Limit BLAS/OpenMP, numba and (not yet loaded) polars to ``n_threads`` threads.

    Environment variables for the libraries not loaded yet; ``threadpoolctl`` for BLAS and
    OpenMP pools already loaded; ``numba.set_num_threads`` for the calling thread (numba's
    limit is per thread). ``NUMBA_NUM_THREADS`` is only set before numba loads (numba refuses
    a change once its threads run). Idempotent and cheap after the first call.
    """
    if n_threads < 1:
        raise ValueError(f"threads must be >= 1, got {n_threads}")
    value = str(n_threads)
    for name in THREAD_ENV_VARS:
        os.environ[name] = value
    if "numba" not in sys.modules:
        os.environ["NUMBA_NUM_THREADS"] = value
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn's stack
        pass
    else:
        threadpool_limits(n_threads)
    if "numba" in sys.modules:
        import numba

        try:
            numba.set_num_threads(n_threads)
        except ValueError:  # more than numba started with: it keeps all of them
            pass
