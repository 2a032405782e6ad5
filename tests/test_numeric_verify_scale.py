"""Scale-out of the ground truth: any concurrent.futures.Executor takes the truth in chunks and gives the
same report as one process; a local dask.distributed cluster of 2 workers does too (skipped without dask)."""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import sympy as sp

import symce as sc
from symce.numeric.verify import compute_truth, verify

t = sp.Symbol("t", positive=True)
z = sp.Symbol("z", real=True)
BCE = sc.cross_entropy(sc.Bernoulli(t), sc.Bernoulli.from_logit(z))


def stable(t, z):
    return (1 - t) * np.logaddexp(0, z) + t * np.logaddexp(0, -z)


def test_an_executor_gives_the_same_report_and_progress_is_reported():
    serial = verify(stable, BCE, n=3000, grid_max=200)
    seen = []
    with ProcessPoolExecutor(2) as pool:
        parallel = verify(stable, BCE, n=3000, grid_max=200, executor=pool,
                          progress=lambda done, total: seen.append((done, total)))
    np.testing.assert_array_equal(serial.truth, parallel.truth)
    assert serial.metrics() == parallel.metrics() and serial.verdicts == parallel.verdicts
    assert seen[-1][0] == seen[-1][1] == serial.truth.size and len(seen) >= 2  # chunks of 2000 points


def test_compute_truth_in_small_chunks_on_threads():
    cols = np.array([[0.0, 0.5, 1.0, 0.25, 0.75], [-40.0, 0.0, 40.0, 3.0, -3.0]])
    a, ok = compute_truth(BCE.result, [t, z], cols)
    with ThreadPoolExecutor(2) as pool:
        b, ok2 = compute_truth(BCE.result, [t, z], cols, executor=pool, chunk=2)
    np.testing.assert_array_equal(a, b)
    assert ok.all() and ok2.all()


def test_a_local_dask_cluster_of_two_workers():
    distributed = pytest.importorskip("dask.distributed", reason="dask is an optional extra (pip install "
                                      "'symce[dask]'); this test needs it")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        rep = verify(stable, BCE, n=2000, grid_max=100, executor=client.get_executor())
    serial = verify(stable, BCE, n=2000, grid_max=100)
    np.testing.assert_array_equal(serial.truth, rep.truth)


def test_progress_true_draws_a_tqdm_bar_or_says_what_it_needs():
    from symce.errors import ArgumentTypeError

    try:
        import tqdm  # noqa: F401
    except ImportError:
        with pytest.raises(ArgumentTypeError, match="tqdm"):
            verify(stable, BCE, n=50, grid_max=10, progress=True)
    else:
        assert verify(stable, BCE, n=50, grid_max=10, progress=True).passed
