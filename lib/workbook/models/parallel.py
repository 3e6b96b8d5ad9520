"""Where the workbook fits: one native thread per process, and joblib's worker processes for n_jobs != 1.

evaluate, cross_validate_model, compare_models and the search fit inside `fitting_context()`; fit there too
when calling `.fit` yourself on a busy machine. compare_models and the search take `n_jobs` (joblib's
convention): with n_jobs != 1 they fit in worker processes (`worker_processes`), each with one native thread.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import joblib
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

N_JOBS = 2  # the forests' threads: the machine has 2 cores; compare_models and the search take their own n_jobs
# Native threads (OpenMP for boosting and k-NN, BLAS for ElasticNet) while the workbook fits and scores.
# On a busy 2-core machine two OpenMP threads spin against each other (measured: 8 s instead of 1 s for
# one boosting fit), and one thread makes float sums come out identical run after run (with two BLAS
# threads an ElasticNet CV score moved in the 7th digit), so the comparison table is reproducible.
NATIVE_THREADS = 1


@contextmanager
def fitting_context() -> Iterator[None]:
    """Where the workbook fits and scores models: NATIVE_THREADS threads, ElasticNet's stop at max_iter quiet.

    With a near-zero penalty on collinear columns (each market fixes both Source and Destination dummies)
    coordinate descent reaches max_iter before its duality-gap test passes, although the fit is stable:
    10x more iterations moved the twin's MAE by under 2 %. The warning would only clutter the notebook.
    """
    with threadpool_limits(limits=NATIVE_THREADS), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def check_n_jobs(n_jobs: Any) -> int:
    """Return `n_jobs` (joblib's convention: 1 = this process, 2 = two processes, -1 = all cores) or raise."""
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero integer (1 = this process, -1 = all cores), got {n_jobs!r}")
    return int(n_jobs)


def worker_processes(n_jobs: int) -> AbstractContextManager:
    """joblib's process workers (loky), each started with NATIVE_THREADS native threads; nothing for one process.

    Only around a call that really uses several processes: in this process the loky setting would also reach
    the forests' own Parallel, which would then start processes instead of threads. max_nbytes=None: the
    frames (a few MB) are pickled to the workers, not memory-mapped through temporary files.
    """
    if joblib.effective_n_jobs(n_jobs) == 1:
        return nullcontext()
    return joblib.parallel_config(backend="loky", inner_max_num_threads=NATIVE_THREADS, max_nbytes=None)
