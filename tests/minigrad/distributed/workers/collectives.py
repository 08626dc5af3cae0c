"""Run on 2 ranks by test_collectives.py: every collective once, results saved to OUT/rank{r}.npz."""
import sys

import numpy as np

import minigrad as mg
from minigrad import distributed as dist, nn

out = sys.argv[1]
world = dist.init(timeout=60)
r = world.rank
mine = np.random.default_rng([7, r]).standard_normal((3, 4))  # conftest.rank_input(r)
results = {}

results["sum"] = dist.all_reduce(mg.tensor(mine.copy(), dtype=mg.float64), "sum").numpy()
results["mean"] = dist.all_reduce(mg.tensor(mine.copy(), dtype=mg.float64), "mean").numpy()
results["int_sum"] = dist.all_reduce(mg.tensor(np.arange(5) * (r + 1)), "sum").numpy()
results["broadcast_from_1"] = dist.broadcast(mg.tensor(mine.copy(), dtype=mg.float64), src=1).numpy()
dist.barrier()
cuda = dist.all_reduce(mg.tensor(mine.copy(), dtype=mg.float64, device="cuda"), "sum")  # the simulator: host staging
results["cuda_sum"], results["cuda_device"] = cuda.numpy(), np.array(cuda.device)
results["transport"] = np.array(dist.nccl.device_transport().name)

# DistributedDataParallel: different initial weights per rank, rank 0's win; tiny buckets
mg.manual_seed(100 + r)
model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).to(dtype=mg.float64)
ddp = dist.DistributedDataParallel(model, bucket_cap_mb=100 / 2**20)
results["buckets"] = np.array(len(ddp.buckets))
x_all = np.random.default_rng(1).standard_normal((8, 4))
y_all = np.random.default_rng(2).integers(0, 3, 8)
x, y = mg.tensor(x_all[4 * r:4 * r + 4], dtype=mg.float64), mg.tensor(y_all[4 * r:4 * r + 4])
for name, p in model.named_parameters():
    results["initial." + name] = p.numpy().copy()
launched_after = []  # how many gradients were ready when each bucket was started
start_bucket = ddp._launch
object.__setattr__(ddp, "_launch", lambda bucket: (launched_after.append(sum(len(b.ready) for b in ddp.buckets)),
                                                   start_bucket(bucket)))
nn.functional.cross_entropy(ddp(x), y).backward()
ddp.finish_gradient_sync()
results["ready_at_launch"] = np.array(launched_after)
for name, p in model.named_parameters():
    results["grad." + name] = p.grad.numpy().copy()
opt = mg.optim.SGD(model.parameters(), lr=0.1)
for _ in range(3):
    opt.step()
    opt.zero_grad()
    nn.functional.cross_entropy(ddp(x), y).backward()
for name, p in model.named_parameters():
    results["after." + name] = p.numpy().copy()

# CUDA gradients (the simulator): host buckets, and device buckets as NCCL would take them, with a
# stand-in that reduces a device buffer through the host (NCCL itself needs real GPUs)
for on_device in (False, True):
    dist.nccl._transport = type("DeviceStandIn", (dist.nccl.HostStaging,), {"on_device": on_device})()
    mg.manual_seed(100 + r)
    gpu_model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).to("cuda", dtype=mg.float64)
    gpu_ddp = dist.DistributedDataParallel(gpu_model, bucket_cap_mb=100 / 2**20)
    nn.functional.cross_entropy(gpu_ddp(x.to("cuda")), y.to("cuda")).backward()
    gpu_ddp.finish_gradient_sync()
    results[f"cuda_device_buckets_{on_device}"] = np.array(sum(b.on_device for b in gpu_ddp.buckets))
    for name, p in gpu_model.named_parameters():
        results[f"cuda_grad_{on_device}." + name] = p.grad.numpy().copy()
        results[f"cuda_grad_device_{on_device}." + name] = np.array(p.grad.device)

# a parameter left out of the loss: named, not silently left un-averaged
partial = nn.Sequential(nn.Linear(4, 3), nn.Linear(4, 3)).to(dtype=mg.float64)
partial_ddp = dist.DistributedDataParallel(partial, bucket_cap_mb=100 / 2**20)
partial[0](x).sum().backward()
try:
    partial_ddp.finish_gradient_sync()
    results["unused_error"] = np.array("")
except RuntimeError as e:
    results["unused_error"] = np.array(str(e))

# SyncBatchNorm over the global batch (8, 3, 2, 2), rank r holding rows 4r..4r+3
x_bn = np.random.default_rng(3).standard_normal((8, 3, 2, 2)) * 2 + 1
g_bn = np.random.default_rng(4).standard_normal((8, 3, 2, 2))
bn = nn.SyncBatchNorm(3).to(dtype=mg.float64)
with mg.no_grad():
    bn.weight.copy_(np.array([1.5, -0.5, 2.0]))
    bn.bias.copy_(np.array([0.1, 0.2, -0.3]))
xb = mg.tensor(x_bn[4 * r:4 * r + 4], dtype=mg.float64, requires_grad=True)
yb = bn(xb)
(yb * mg.tensor(g_bn[4 * r:4 * r + 4], dtype=mg.float64)).sum().backward()
results.update(bn_y=yb.numpy(), bn_dx=xb.grad.numpy(), bn_dw=bn.weight.grad.numpy(), bn_db=bn.bias.grad.numpy(),
               bn_running_mean=bn.running_mean.numpy(), bn_running_var=bn.running_var.numpy())

np.savez(f"{out}/rank{r}.npz", **results)
