"""tinyconv.distributed: two MPI ranks (``mpirun -np 2`` on loopback, started here) against one
process, the sampler's shards, the optimizer wrapper, and the errors without MPI or a GPU."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import distributed as dist
from tinyconv.data import DataLoader, TensorDataset
from tinyconv.distributed.buckets import buckets

import distributed_worker as worker

WORKER = os.path.join(os.path.dirname(__file__), "distributed_worker.py")
EXAMPLE_DRIVER = os.path.join(os.path.dirname(__file__), "example_driver.py")


def mpirun(*args, script=WORKER, timeout=60):
    """Run ``script`` on 2 ranks over loopback; return the finished process (output as text)."""
    if shutil.which("mpirun") is None:
        pytest.skip("mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev)")
    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install 'tinyconv[mpi]')")
    command = ["mpirun", "-np", "2", "--oversubscribe", "--mca", "btl", "self,vader,tcp",
               "--mca", "btl_tcp_if_include", "lo", "--mca", "btl_vader_single_copy_mechanism", "none"]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    env = dict(os.environ, NUMBA_NUM_THREADS="1", TINYCONV_BLAS_THREADS="1")
    return subprocess.run(command + [sys.executable, script, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.mark.mpi
def test_two_ranks_step_like_one_process_with_the_global_batch(tmp_path):
    child = mpirun("step", str(tmp_path))
    assert child.returncode == 0, child.stdout + child.stderr
    ranks = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in (0, 1)]

    tc.manual_seed(0)
    net = worker.model()
    optimizer = tc.optim.SGD(net.parameters(), lr=0.5)
    x, y = worker.data()[np.arange(worker.GLOBAL_BATCH)]
    totals = worker.sgd_step(net, optimizer, tc.Tensor(x), tc.Tensor(y))
    worker.sgd_step(net, optimizer, tc.Tensor(x), tc.Tensor(y))
    expected = net.state_dict()
    for saved in ranks:
        np.testing.assert_allclose(saved.pop("totals"), totals, rtol=1e-12)
        assert not saved.pop("spare_has_grad")
        np.testing.assert_array_equal(saved.pop("running_mean"), [1.0, 1.0])
        assert saved.keys() == expected.keys()
        for name in expected:
            np.testing.assert_allclose(saved[name], expected[name], rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.mpi
def test_a_raising_rank_stops_the_whole_job():
    child = mpirun("raise", timeout=60)
    assert child.returncode != 0
    assert "RuntimeError: rank 1 fails on purpose" in child.stderr


@pytest.mark.mpi
@pytest.mark.parametrize("victim, moment", [(1, "before"), (0, "inside")])
def test_a_rank_killed_in_the_gradient_all_reduce_ends_the_job(victim, moment):
    """SIGKILL leaves no exception to catch: the job must still end (Open MPI's mpirun kills the
    other ranks and says which one died), not wait forever in the collective (the 60 s bound)."""
    child = mpirun("kill", str(victim), moment, timeout=60)
    assert child.returncode != 0, child.stdout + child.stderr
    assert re.search(rf"process rank {victim} with PID \d+ on node \S+ exited on signal 9", child.stderr), child.stderr
    assert "finished" not in child.stdout


@pytest.mark.mpi
def test_lenet_example_on_two_ranks_prints_and_saves_once_and_resumes(tmp_path):
    """examples/mnist_lenet.py --distributed on a synthetic stand-in for MNIST."""
    first = mpirun("--distributed", "--epochs", "1", "--out-dir", str(tmp_path), script=EXAMPLE_DRIVER, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("2 processes") == first.stdout.count("epoch  1: train loss") == 1
    with open(tmp_path / "history.json") as f:
        one = json.load(f)
    second = mpirun("--distributed", "--epochs", "2", "--resume", "--out-dir", str(tmp_path),
                    script=EXAMPLE_DRIVER, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("1 epoch done") == second.stdout.count("epoch  2: train loss") == 1
    with open(tmp_path / "history.json") as f:
        two = json.load(f)
    assert [h["epoch"] for h in two] == [1, 2] and two[0] == one[0]
    assert 0 <= two[1]["test_accuracy"] <= 1 and two[1]["train_loss"] < two[0]["train_loss"]


@pytest.mark.parametrize("n, replicas, drop_last", [(10, 3, False), (10, 3, True), (9, 3, False), (2, 4, False),
                                                    (60000, 2, False), (0, 2, False)])
def test_sampler_shards_are_disjoint_and_cover_the_epoch(n, replicas, drop_last):
    for epoch in (0, 1):
        shards = []
        for rank in range(replicas):
            sampler = dist.DistributedSampler(range(n), replicas, rank, seed=4, drop_last=drop_last)
            sampler.set_epoch(epoch)
            shards.append(list(sampler))
            assert len(shards[-1]) == len(sampler)
        assert len({len(s) for s in shards}) == 1
        every = np.concatenate(shards).astype(int)
        distinct = set(every.tolist())
        if drop_last:
            assert len(distinct) == len(every) == n - n % replicas
        else:
            assert distinct == set(range(n)) and len(every) - n == (-n) % replicas
            if len(every) == len(distinct):  # no padding: pairwise disjoint
                assert all(not set(a) & set(b) for i, a in enumerate(shards) for b in shards[i + 1:])


def test_sampler_orders_change_with_the_epoch_and_repeat_with_it():
    a, b = dist.DistributedSampler(range(50), 2, 0, seed=1), dist.DistributedSampler(range(50), 2, 0, seed=1)
    first = list(a)
    a.set_epoch(1)
    assert list(a) != first and list(b) == first
    b.set_epoch(1)
    assert list(a) == list(b)
    assert list(dist.DistributedSampler(range(7), 2, 1, shuffle=False)) == [1, 3, 5, 0]  # padded with index 0


def test_sampler_errors():
    with pytest.raises(ValueError, match=r"rank: expected an int in \[0, 2\), got 2"):
        dist.DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas: expected a positive int, got 0"):
        dist.DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="dataset: expected an object with len"):
        dist.DistributedSampler(5, 1, 0)
    with pytest.raises(ValueError, match="epoch: expected a non-negative int, got -1"):
        dist.DistributedSampler(range(4), 1, 0).set_epoch(-1)


def test_loader_with_a_sampler_visits_the_shard_and_resumes_mid_epoch():
    ds = TensorDataset(np.arange(20, dtype=np.float32)[:, None], np.arange(20))
    sampler = dist.DistributedSampler(ds, num_replicas=3, rank=2, seed=0)
    loader = DataLoader(ds, batch_size=3, sampler=sampler)
    assert len(loader) == 3
    labels = [y.data.tolist() for _, y in loader]
    assert sum(labels, []) == list(sampler)
    it = iter(loader)
    next(it)
    state = loader.state_dict()
    again = DataLoader(ds, batch_size=3, sampler=dist.DistributedSampler(ds, 3, 2, seed=5))
    again.load_state_dict(state)
    assert [y.data.tolist() for _, y in again] == labels[1:]
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, shuffle=True, sampler=sampler)
    with pytest.raises(ValueError, match="order: expected the sampler's 7 dataset indices"):
        again.load_state_dict(dict(state, order=np.arange(6)))


def test_without_a_process_group():
    assert dist.get_rank() == 0 and dist.get_world_size() == 1 and not dist.is_initialized()
    with pytest.raises(RuntimeError, match=r"no process group: call tinyconv.distributed.init_process_group\(\)"):
        dist.all_reduce(np.zeros(3))
    with pytest.raises(ValueError, match="backend: expected one of .*'mpi', 'nccl'.*, got 'gloo'"):
        dist.init_process_group("gloo")


def test_importing_tinyconv_does_not_import_mpi4py():
    code = "import sys, tinyconv; assert 'mpi4py' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_nccl_without_a_gpu_says_why():
    if tc.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(tc.cuda.DeviceUnavailableError, match="backend 'nccl' is not available: CuPy"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_distributed_optimizer_delegates_to_the_wrapped_one():
    p = tc.Parameter(np.ones(3, np.float32))
    inner = tc.optim.Adam([p], lr=0.1)
    wrapped = dist.DistributedOptimizer(inner)
    wrapped.lr *= 0.5
    assert inner.lr == wrapped.lr == 0.05 and wrapped.params == [p]
    assert wrapped.state_dict() == inner.state_dict()
    with pytest.raises(TypeError, match="optimizer: expected a tinyconv.optim.Optimizer, got list"):
        dist.DistributedOptimizer([p])
    with pytest.raises(ValueError, match="bucket_cap_mb: expected a finite number > 0, got 0"):
        dist.DistributedOptimizer(inner, bucket_cap_mb=0)


def test_buckets_group_by_dtype_and_respect_the_cap():
    arrays = [np.zeros(n, dtype) for n, dtype in [(10, np.float32), (10, np.float32), (30, np.float32),
                                                  (5, np.float64), (5, np.float32)]]
    assert buckets(arrays, cap_bytes=80) == [[0, 1], [2], [4], [3]]
    assert buckets(arrays, cap_bytes=2**20) == [[0, 1, 2, 4], [3]]


# ------------------------------------------------ the NCCL path, against stand-ins for CuPy and NCCL (no GPU here)

class FakeCupyArray:
    """Stands in for a cupy.ndarray: a NumPy array's dtype, size and flags, a device pointer."""

    def __init__(self, array):
        self.dtype, self.size, self.flags = array.dtype, array.size, array.flags
        self.data = type("Memory", (), {"ptr": 4096})()


class FakeComm:
    def __init__(self, *args):
        self.args, self.calls = args, []

    def allReduce(self, *args):
        self.calls.append(("allReduce",) + args)

    def bcast(self, *args):
        self.calls.append(("bcast",) + args)


@pytest.fixture
def fake_gpu(monkeypatch):
    """tinyconv.backend sees a CuPy with 4 GPUs (current stream 77) and tinyconv.distributed.nccl
    sees NCCL; returns the GPUs used."""
    from types import SimpleNamespace
    from tinyconv import backend
    from tinyconv.distributed import nccl as tinyconv_nccl
    used = []
    device = lambda i: SimpleNamespace(use=lambda: used.append(i))
    cupy = SimpleNamespace(ndarray=FakeCupyArray, cuda=SimpleNamespace(
        Device=device, runtime=SimpleNamespace(getDeviceCount=lambda: 4),
        get_current_stream=lambda: SimpleNamespace(ptr=77)))
    nccl = SimpleNamespace(NcclCommunicator=FakeComm, get_unique_id=lambda: (1, 2, 3), NCCL_FLOAT16=6,
                           NCCL_FLOAT32=7, NCCL_FLOAT64=8, NCCL_INT32=2, NCCL_INT64=4,
                           NCCL_SUM=0, NCCL_PROD=1, NCCL_MAX=2, NCCL_MIN=3)
    monkeypatch.setattr(backend, "_cupy", lambda: cupy)
    monkeypatch.setattr(tinyconv_nccl, "require_nccl", lambda: nccl)
    return used


def test_nccl_communicator_takes_the_gpu_of_its_local_rank(fake_gpu):
    from tinyconv.distributed import nccl
    comm = nccl.nccl_communicator(8, (1, 2, 3), rank=5, local_rank=5)
    assert fake_gpu == [1] and comm.args == (8, (1, 2, 3), 5)


def test_gpu_arrays_go_to_nccl_in_place_on_the_current_stream(fake_gpu, monkeypatch):
    from tinyconv.distributed import process_group
    comm = FakeComm()
    world = type("MPIComm", (), {"rank": 0, "size": 2})()
    monkeypatch.setattr(process_group, "_group", {"backend": "nccl", "comm": world, "local_rank": 0, "nccl": comm})
    dist.all_reduce(FakeCupyArray(np.zeros(5, np.float32)), op="max")
    dist.broadcast(FakeCupyArray(np.zeros(3, np.int64)), root=0)
    assert comm.calls == [("allReduce", 4096, 4096, 5, 7, 2, 77), ("bcast", 4096, 3, 4, 0, 77)]
    with pytest.raises(TypeError, match=r"array: expected one of the dtypes .* for NCCL, got uint8"):
        dist.all_reduce(FakeCupyArray(np.zeros(2, np.uint8)))


def test_gpu_arrays_under_the_mpi_backend_are_refused(fake_gpu, monkeypatch):
    from tinyconv.distributed import process_group
    monkeypatch.setattr(process_group, "_group", {"backend": "mpi", "comm": None, "local_rank": 0, "nccl": None})
    with pytest.raises(RuntimeError, match=r"array: a CuPy array needs the 'nccl' backend, got backend 'mpi'"):
        dist.all_reduce(FakeCupyArray(np.zeros(2, np.float32)))
