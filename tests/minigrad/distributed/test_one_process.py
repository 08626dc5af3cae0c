"""What runs without mpirun: a world of one, DistributedSampler's shards, the loader resuming a shard,
the choice between NCCL and host staging, SyncBatchNorm's gradients, and refusals of bad input."""
import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad import distributed as dist, nn
from minigrad.data import DataLoader, DistributedSampler, TensorDataset
from minigrad.distributed import nccl


def test_a_process_without_mpirun_is_a_world_of_one_where_collectives_change_nothing():
    world = dist.init()
    assert (world.rank, world.size) == (0, 1)
    t = mg.tensor([1.0, -2.0], dtype=mg.float64)
    np.testing.assert_array_equal(dist.all_reduce(t, "mean").numpy(), [1.0, -2.0])
    np.testing.assert_array_equal(dist.broadcast(t, 0).numpy(), [1.0, -2.0])
    dist.barrier()


@pytest.mark.parametrize("call, error, message", [
    (lambda t: dist.all_reduce(t, "max"), ValueError, "op must be one of sum, mean, got 'max'"),
    (lambda t: dist.all_reduce(mg.tensor([1, 2]), "mean"), TypeError, "op='mean' needs a floating-point tensor"),
    (lambda t: dist.broadcast(t, src=1), ValueError, r"src must be a rank in \[0, 1\), got 1"),
])
def test_bad_collective_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call(mg.tensor([1.0]))


@pytest.mark.parametrize("n, ranks, pad, drop_last", [(10, 3, True, False), (10, 3, False, False),
                                                      (10, 3, False, True), (12, 4, True, False)])
def test_shards_split_the_epoch_order_like_one_process_with_k_times_the_batch(n, ranks, pad, drop_last):
    dataset = np.arange(n)
    shards = [DistributedSampler(dataset, ranks, r, seed=3, pad=pad, drop_last=drop_last) for r in range(ranks)]
    for epoch in (0, 1):
        for s in shards:
            s.set_epoch(epoch)
        order = np.random.default_rng([3, epoch]).permutation(n)  # the single-process loader's order
        merged = np.stack([s.indices() for s in shards], axis=1).reshape(-1) if pad or drop_last else \
            np.concatenate([s.indices() for s in shards])
        if drop_last:
            np.testing.assert_array_equal(merged, order[:n - n % ranks])
        elif pad:
            np.testing.assert_array_equal(merged, np.resize(order, len(merged)))
            assert len({len(s) for s in shards}) == 1
        else:
            assert sorted(merged) == list(range(n))  # each sample once
    assert not np.array_equal(shards[0].indices(), (shards[0].set_epoch(0), shards[0].indices())[1])


@pytest.mark.parametrize("kwargs, message", [(dict(num_replicas=2, rank=2), r"rank must be in \[0, 2\)"),
                                             (dict(num_replicas=0, rank=0), "num_replicas must be an int >= 1"),
                                             (dict(num_replicas=2, rank=0, seed=-1), "seed must be an int >= 0")])
def test_bad_sampler_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DistributedSampler(np.arange(4), **kwargs)


def test_a_loader_over_a_shard_resumes_mid_epoch_exactly_and_refuses_another_world():
    data = TensorDataset(np.arange(40, dtype=np.float64).reshape(20, 2), np.arange(20))
    make = lambda ranks=2: DataLoader(data, batch_size=3, sampler=DistributedSampler(data, ranks, 1, seed=9),
                                      seed=9, as_numpy=True)
    full = make()
    uninterrupted = [y.tolist() for _ in range(2) for _, y in full]
    stopped = make()
    first = []
    for _, y in stopped:
        first.append(y.tolist())
        if len(first) == 2:
            break
    resumed = make()
    resumed.load_state_dict(stopped.state_dict())
    rest = [y.tolist() for _, y in resumed] + [y.tolist() for _, y in resumed]
    assert first + rest == uninterrupted
    assert len(full) == 4  # ceil(10 samples of the shard / 3)
    with pytest.raises(ValueError, match="num_replicas 2 .this loader: 4."):
        make(4).load_state_dict(stopped.state_dict())
    with pytest.raises(ValueError, match="give sampler or shuffle=True, not both"):
        DataLoader(data, shuffle=True, sampler=DistributedSampler(data, 2, 0))


def test_nccl_is_refused_with_a_reason_and_host_staging_is_the_fallback(monkeypatch):
    assert nccl.why_not_nccl() == "a world of one process sends nothing"
    t = mg.tensor([1.0, 2.0], dtype=mg.float64, device="cuda")  # the simulator in `make test`
    assert dist.all_reduce(t, "sum").device == "cuda"
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])
    assert nccl.device_transport().name == "mpi-host-staging"


@pytest.mark.parametrize("visible, ranks, expected", [("", 2, ["0", "1"]), ("3,5", 2, ["3", "5"]),
                                                      ("0", 2, ["0", "0"]), ("2,4,6", 2, ["2", "4"])])
def test_each_local_rank_gets_its_own_gpu_while_there_are_enough(monkeypatch, visible, ranks, expected):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert nccl.gpus_for_ranks(ranks) == expected


def test_sync_batchnorm_in_a_world_of_one_is_batchnorm_values_gradients_and_running_statistics():
    x_np = np.random.default_rng(0).standard_normal((4, 3, 2, 2)) * 3 - 1
    g_np = np.random.default_rng(1).standard_normal((4, 3, 2, 2))
    bn = nn.SyncBatchNorm(3, momentum=None).to(dtype=mg.float64)
    x = mg.tensor(x_np, dtype=mg.float64, requires_grad=True)
    (bn(x) * mg.tensor(g_np, dtype=mg.float64)).sum().backward()
    ref = torch.nn.BatchNorm2d(3, momentum=None).double()
    xt = torch.from_numpy(x_np).requires_grad_()
    (ref(xt) * torch.from_numpy(g_np)).sum().backward()
    for ours, theirs in ((x.grad, xt.grad), (bn.weight.grad, ref.weight.grad), (bn.running_var, ref.running_var),
                         (bn.running_mean, ref.running_mean)):
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    bn.eval()
    np.testing.assert_allclose(bn(x).numpy(), ref.eval()(xt).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_sync_batchnorm_gradcheck_and_conversion():
    bn = nn.SyncBatchNorm(2).to(dtype=mg.float64)
    x = mg.tensor(np.random.default_rng(2).standard_normal((3, 2, 2)), dtype=mg.float64, requires_grad=True)
    assert mg.gradcheck(lambda x: bn(x), (x,))
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())
    weight = model[1].weight
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(converted[1], nn.SyncBatchNorm) and converted[1].weight is weight
    with pytest.raises(ValueError, match=r"expects input of shape \(N, 2, ...\), got \(3, 5\)"):
        nn.SyncBatchNorm(2)(mg.zeros(3, 5))


def test_ddp_in_a_world_of_one_leaves_gradients_alone_and_names_parameters_without_one():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(3, 2))  # the second one unused below
    ddp = dist.DistributedDataParallel(model.to(dtype=mg.float64))
    x = mg.tensor(np.ones((4, 3)), dtype=mg.float64)
    ddp.module[0](x).sum().backward()
    ddp.finish_gradient_sync()  # a world of one sends nothing: no bucket is waited for
    np.testing.assert_array_equal(model[0].bias.grad.numpy(), [4.0, 4.0])
    with pytest.raises(ValueError, match="bucket_cap_mb must be > 0"):
        dist.DistributedDataParallel(model, bucket_cap_mb=0)
