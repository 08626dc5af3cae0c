"""What a CUDA training step asks of the device, counted (mg.cuda.stats()): after warm-up a step
allocates nothing outside the pool, copies nothing back to the host, never synchronises, and makes
at most one host-to-device copy per input tensor (the images and the labels), and queues every launch
and copy on the backend's one stream, none on the default stream.

LeNet-5- and ResNet-shaped networks run under the simulator at tiny sizes (the counts are what a GPU
run makes); LeNet-5 and ResNet-18 themselves run on numba-cuda's real host path with the launches
recorded instead of run (``probe_steps``), whose driver-level counts must agree with mg.cuda.stats().
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F
from minigrad.optim import SGD, Adam

from test_cuda_training import tiny_lenet, tiny_resnet  # the networks whose steps match the CPU there

pytest.importorskip("minigrad.backend.cuda", reason="numba-cuda is not installed")

pytestmark = pytest.mark.needs_cuda
INPUT_TENSORS = 2  # images and labels
STEP_BUDGET = dict(allocations=0, d2h_copies=0, synchronizations=0)


def _training_step(build, image_shape, make_optimizer, batch=2):
    """A step as a data loader feeds it: host images uploaded, host labels validated, then uploaded."""
    model = build().to("cuda")
    optimizer = make_optimizer(model.parameters())
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch, *image_shape)).astype(np.float32)
    labels = rng.integers(0, 3, batch)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(mg.tensor(images, device="cuda")), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


@pytest.mark.parametrize("build, image_shape, make_optimizer", [
    (tiny_lenet, (1, 8, 8), lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=1e-4)),
    (tiny_resnet, (2, 4, 4), lambda p: Adam(p, lr=1e-3)),
], ids=["lenet-sgd", "resnet-adam"])
def test_a_warm_step_stays_on_the_device_until_the_loss_is_read(build, image_shape, make_optimizer, cuda_counts):
    step = _training_step(build, image_shape, make_optimizer)
    step(), step()  # warm-up: optimizer state, and the pool filled to the step's peak
    stats = cuda_counts(step)
    assert {k: stats[k] for k in STEP_BUDGET} == STEP_BUDGET, stats
    assert stats["h2d_copies"] <= INPUT_TENSORS, stats
    assert stats["pool_hits"] > 0 and stats["launches"] > 0
    queued = stats["launches"] + stats["h2d_copies"] + stats["d2h_copies"] + stats["d2d_copies"]
    assert stats["by_stream"] == {"backend": queued, "default": 0, "other": 0}, "all on the backend's stream"
    losses = []
    stats = cuda_counts(lambda: losses.append(step().item()))
    assert stats["d2h_copies"] == 1 and np.isfinite(losses[0]), "loss.item() is the step's one copy back"
    assert stats["synchronizations"] == 1, "loss.item() waits for the stream once, after its copy"
    assert stats["by_stream"]["default"] == 0


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_counts_its_batches_on_the_host(momentum, cuda_counts):
    """num_batches_tracked += 1 (and 1/n for momentum=None) cost the device nothing; the running
    statistics still follow torch's, and the counter is saved and validated as torch's int64."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).standard_normal((4, 3, 2, 2)).astype(np.float32)
    layer = mg.nn.BatchNorm2d(3, momentum=momentum).to("cuda")
    reference = torch.nn.BatchNorm2d(3, momentum=momentum)
    layer(mg.tensor(x, device="cuda"))
    stats = cuda_counts(lambda: layer(mg.tensor(x, device="cuda")))
    assert stats["d2h_copies"] == 0 and stats["synchronizations"] == 0, stats
    assert stats["launches"] <= 2, stats["launches_by_kernel"]
    for _ in range(2):
        reference(torch.from_numpy(x))
    assert layer.num_batches_tracked.item() == 2 and layer.num_batches_tracked.device == "cpu"
    np.testing.assert_allclose(layer.running_var.numpy(), reference.running_var.numpy(), rtol=1e-5)
    state = layer.state_dict()
    assert state["num_batches_tracked"].dtype == np.int64 and state["num_batches_tracked"] == 2
    with pytest.raises(mg.nn.StateDictError, match="num_batches_tracked"):
        layer.load_state_dict({**state, "num_batches_tracked": np.array(1.5)})
    layer.load_state_dict({**state, "num_batches_tracked": np.array(9)})
    assert layer.to("cuda").num_batches_tracked.item() == 9


def test_labels_are_checked_on_the_host_before_any_upload(cuda_counts):
    logits = mg.zeros(2, 3, device="cuda")
    with pytest.raises(ValueError, match=r"target labels must lie in \[0, 2\]"):
        cuda_counts(lambda: F.cross_entropy(logits, np.array([0, 3])))
    assert mg.cuda.stats()["h2d_copies"] == 0 and mg.cuda.stats()["launches"] == 0


@pytest.mark.parametrize("model", ["LeNet-5", "ResNet-18"])
def test_a_real_models_step_stays_on_the_device(probe_steps, model):
    row = probe_steps[model]
    assert {k: row[k] for k in STEP_BUDGET} == STEP_BUDGET, row
    assert row["h2d_copies"] <= INPUT_TENSORS, row
    assert row["counters_agree"], "mg.cuda.stats() and the driver-level counts differ"
    assert row["on_default_stream"] == 0, "the stand-in driver saw a launch or copy on the default stream"
    assert row["by_stream"] == {"backend": row["launches"] + row["h2d_copies"] + row["d2h_copies"],
                                "default": 0, "other": 0}, row["by_stream"]


@pytest.mark.parametrize("model, budget", [("LeNet-5", 40), ("ResNet-18", 250)])
def test_launch_budget_of_a_training_step(probe_steps, model, budget):
    assert probe_steps[model]["launches"] <= budget, probe_steps[model]["launches_by_kernel"]


def test_mg_cuda_is_there_without_importing_numba_cuda():
    import subprocess
    import sys
    code = ("import sys, minigrad as mg; assert callable(mg.cuda.stats) and callable(mg.cuda.reset_stats); "
            "print(sorted(m for m in sys.modules if m.startswith(('numba.cuda', 'kernels.cuda'))))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stdout + run.stderr[-2000:]


@pytest.mark.parametrize("scale, shift", [(0.5, 3), (-1.2345678, 0.000271828)])
def test_python_numbers_in_tensor_arithmetic_are_not_copied_to_the_device(scale, shift, cuda_counts):
    """y * a + b on CUDA: each number reaches a kernel as an argument (the number lifted to a constant
    tensor is filled on the device), so even a value never seen before costs no host-to-device copy;
    the values are the CPU twin's."""
    x = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    y = mg.tensor(x, device="cuda")
    results = []
    stats = cuda_counts(lambda: results.append(y * scale + shift))
    assert stats["h2d_copies"] == 0 and stats["d2h_copies"] == 0, stats
    np.testing.assert_array_equal(results[0].numpy(), (mg.tensor(x) * scale + shift).numpy())
    assert results[0].dtype == np.float32
