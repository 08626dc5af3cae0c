"""The collectives, DistributedDataParallel and SyncBatchNorm on 2 ranks (workers/collectives.py, one
mpirun), against results computed here by hand or by PyTorch on the global batch in one process."""
import numpy as np
import pytest
import torch

from .conftest import WORKERS, rank_input

RANKS = 2


@pytest.fixture(scope="module")
def ranks(mpirun, tmp_path_factory):
    out = tmp_path_factory.mktemp("collectives")
    proc = mpirun(RANKS, WORKERS / "collectives.py", out, env={"NUMBA_ENABLE_CUDASIM": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [dict(np.load(out / f"rank{r}.npz")) for r in range(RANKS)], proc.stderr


def test_all_reduce_equals_the_sum_computed_by_hand(ranks):
    results, _ = ranks
    by_hand = rank_input(0) + rank_input(1)
    for r in range(RANKS):
        np.testing.assert_array_equal(results[r]["sum"], by_hand)
        np.testing.assert_array_equal(results[r]["mean"], by_hand / 2)
        np.testing.assert_array_equal(results[r]["int_sum"], np.arange(5) * 3)
        assert results[r]["int_sum"].dtype == np.int64


def test_broadcast_gives_every_rank_the_source_ranks_values(ranks):
    results, _ = ranks
    for r in range(RANKS):
        np.testing.assert_array_equal(results[r]["broadcast_from_1"], rank_input(1))


def test_cuda_tensors_fall_back_to_host_staged_mpi_under_the_simulator_and_say_so(ranks):
    results, stderr = ranks
    for r in range(RANKS):
        assert str(results[r]["transport"]) == "mpi-host-staging"
        assert str(results[r]["cuda_device"]) == "cuda"
        np.testing.assert_array_equal(results[r]["cuda_sum"], rank_input(0) + rank_input(1))
    assert stderr.count("CUDA tensors go through MPI with host staging: the CUDA simulator") == 1


def _torch_mlp(results):
    layers = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 3)).double()
    with torch.no_grad():
        for name, p in layers.named_parameters():
            p.copy_(torch.from_numpy(results[0]["initial." + name]))
    return layers


def test_ddp_starts_every_rank_from_rank_0s_weights(ranks):
    results, _ = ranks
    initial = [k for k in results[0] if k.startswith("initial.")]
    assert initial
    for k in initial:
        np.testing.assert_array_equal(results[1][k], results[0][k])


def test_ddp_gradients_in_many_buckets_are_those_of_the_global_batch(ranks):
    results, _ = ranks
    assert int(results[0]["buckets"]) >= 3  # 100-byte buckets: the hooks launched several
    for r in range(RANKS):  # each bucket started during backward, as soon as its gradients were in
        launched_after = results[r]["ready_at_launch"].tolist()
        assert len(launched_after) == int(results[r]["buckets"]) and launched_after == sorted(set(launched_after))
        assert launched_after[0] < 4  # 4 parameters: the first bucket left before backward reached the rest
    x = torch.from_numpy(np.random.default_rng(1).standard_normal((8, 4)))
    y = torch.from_numpy(np.random.default_rng(2).integers(0, 3, 8))
    model = _torch_mlp(results)
    torch.nn.functional.cross_entropy(model(x), y).backward()
    for name, p in model.named_parameters():
        for r in range(RANKS):
            np.testing.assert_allclose(results[r]["grad." + name], p.grad.numpy(), rtol=1e-12, atol=1e-14)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        opt.step()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(results[0]["after." + name], results[1]["after." + name])  # bitwise
        np.testing.assert_allclose(results[0]["after." + name], p.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("on_device", [False, True])
def test_ddp_averages_cuda_gradients_in_host_buckets_or_device_buckets(ranks, on_device):
    results, _ = ranks
    for r in range(RANKS):
        assert int(results[r][f"cuda_device_buckets_{on_device}"]) == (int(results[r]["buckets"]) if on_device else 0)
        names = [k.split(".", 1)[1] for k in results[r] if k.startswith("grad.")]
        for name in names:
            assert str(results[r][f"cuda_grad_device_{on_device}." + name]) == "cuda"
            np.testing.assert_allclose(results[r][f"cuda_grad_{on_device}." + name], results[0]["grad." + name],
                                       rtol=1e-12, atol=1e-14)


def test_ddp_names_the_parameters_that_got_no_gradient(ranks):
    results, _ = ranks
    for r in range(RANKS):
        assert str(results[r]["unused_error"]).startswith(
            "DistributedDataParallel: backward gave no gradient to 1.weight, 1.bias, so the gradients")


def test_sync_batchnorm_on_2_ranks_is_batchnorm_of_the_global_batch(ranks):
    results, _ = ranks
    x = torch.from_numpy(np.random.default_rng(3).standard_normal((8, 3, 2, 2)) * 2 + 1).requires_grad_()
    g = torch.from_numpy(np.random.default_rng(4).standard_normal((8, 3, 2, 2)))
    bn = torch.nn.BatchNorm2d(3).double()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0], dtype=torch.float64))
        bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3], dtype=torch.float64))
    y = bn(x)
    (y * g).sum().backward()
    tol = dict(rtol=1e-10, atol=1e-12)
    for r in range(RANKS):
        rows = slice(4 * r, 4 * r + 4)
        np.testing.assert_allclose(results[r]["bn_y"], y.detach().numpy()[rows], **tol)
        np.testing.assert_allclose(results[r]["bn_dx"], x.grad.numpy()[rows], **tol)
        np.testing.assert_allclose(results[r]["bn_running_mean"], bn.running_mean.numpy(), **tol)
        np.testing.assert_allclose(results[r]["bn_running_var"], bn.running_var.numpy(), **tol)
    # each rank holds its part of dγ, dβ; DistributedDataParallel's sum over ranks (×1/K per rank loss) is the whole
    np.testing.assert_allclose(results[0]["bn_dw"] + results[1]["bn_dw"], bn.weight.grad.numpy(), **tol)
    np.testing.assert_allclose(results[0]["bn_db"] + results[1]["bn_db"], bn.bias.grad.numpy(), **tol)
