"""DistributedDataParallel: the same model on every rank, each rank on its own shard of the batch,
gradients averaged over the ranks before every optimizer step:

    g ← (g₀ + g₁ + … + g_{K-1}) / K        (each g_r the gradient of rank r's mean loss)

so K ranks of batch B take the same steps as one process with batch K·B (the mean of K equal-sized
means is the mean of their union).

The wrapper broadcasts rank 0's weights (and buffers) when it is built, so every replica starts
equal. The gradients travel in buckets of at most ``bucket_cap_mb`` megabytes, the parameters taken
in reverse order (the order backward reaches them). A gradient hook on every parameter copies its
gradient into its bucket's buffer; when a bucket is full it is handed to MPI at once (non-blocking
Iallreduce, in bucket order, the same on every rank), so it travels while backward computes the
earlier layers. The hook of the last gradient waits for all buckets and writes the averages back
into ``.grad``: when ``loss.backward()`` returns the gradients are synchronized.
``finish_gradient_sync()`` (before ``opt.step()``) checks that, and names any parameter that got no
gradient.

Buffers (BatchNorm's running statistics) are rank 0's at every training forward, as PyTorch's
``broadcast_buffers=True``; the batch statistics stay each rank's own unless the model uses
``nn.SyncBatchNorm``. CUDA gradients go by NCCL, one all-reduce per bucket on a device buffer (then
without overlap: NCCL is waited for at once), or else through the host buckets above (one copy to
the host per gradient), see ``minigrad.distributed.nccl``.
"""
from __future__ import annotations

import time

import numpy as np

from ..nn.module import Module
from . import collectives
from .world import wait, world


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer ``flat`` (offsets into it)."""

    def __init__(self, params):
        self.params = params
        sizes = [p.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.flat = np.zeros(int(self.offsets[-1]), dtype=params[0].dtype)
        self.ready, self.request = set(), None
        self.on_device = False  # reduced in device memory by NCCL (then ``flat`` is unused)

    def nbytes(self):
        return self.flat.nbytes


class DistributedDataParallel(Module):
    """``DistributedDataParallel(model)``: call it as the model; ``.module`` is the model itself."""

    def __init__(self, module: Module, bucket_cap_mb: float = 25.0, broadcast_buffers: bool = True):
        super().__init__()
        if not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be > 0, got {bucket_cap_mb}")
        self.module = module
        self.world = world()
        object.__setattr__(self, "broadcast_buffers", broadcast_buffers)
        params = [p for p in module.parameters() if p.requires_grad]
        for p in params:
            collectives.broadcast(p, 0)
        self._broadcast_buffers_now()
        object.__setattr__(self, "buckets", self._make_buckets(params, bucket_cap_mb * 2**20))
        if any(p.device == "cuda" for p in params) and self.world.size > 1:
            from .nccl import device_transport
            for b in self.buckets:
                b.on_device = b.params[0].device == "cuda" and device_transport().on_device
        object.__setattr__(self, "_bucket_of", {id(p): b for b in self.buckets for p in b.params})
        object.__setattr__(self, "_slot_of", {id(p): i for b in self.buckets for i, p in enumerate(b.params)})
        object.__setattr__(self, "_next_launch", 0)
        object.__setattr__(self, "communication_seconds", 0.0)
        object.__setattr__(self, "_handles", [p.register_post_accumulate_grad_hook(self._gradient_ready)
                                              for p in params])

    @staticmethod
    def _make_buckets(params, cap_bytes):
        """Reverse parameter order, a new bucket when the cap is passed or the dtype or device changes."""
        buckets, current, size = [], [], 0
        for p in reversed(params):
            if current and (size + p.size * p.dtype.itemsize > cap_bytes or
                            (p.dtype, p.device) != (current[0].dtype, current[0].device)):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += p.size * p.dtype.itemsize
        if current:
            buckets.append(_Bucket(current))
        return buckets

    def _broadcast_buffers_now(self):
        for b in self.module.buffers():
            if b is not None:
                collectives.broadcast(b, 0)

    def forward(self, *args, **kwargs):
        if any(b.ready for b in self.buckets):
            self.finish_gradient_sync()
        if self.training and self.broadcast_buffers and self.world.size > 1:
            self._broadcast_buffers_now()
        return self.module(*args, **kwargs)

    # ---- during backward -----------------------------------------------------------------------
    def _gradient_ready(self, param):
        if self.world.size == 1:
            return
        bucket = self._bucket_of[id(param)]
        if not bucket.on_device:
            i = self._slot_of[id(param)]
            bucket.flat[bucket.offsets[i]:bucket.offsets[i + 1]] = param.grad.numpy().reshape(-1)
        bucket.ready.add(id(param))
        while self._next_launch < len(self.buckets) and self._is_full(self.buckets[self._next_launch]):
            self._launch(self.buckets[self._next_launch])
            object.__setattr__(self, "_next_launch", self._next_launch + 1)
        for b in self.buckets[:self._next_launch]:
            if b.request is not None:
                b.request.Test()  # lets MPI move the launched buckets along
        if self._next_launch == len(self.buckets):
            self._write_back_averages()

    @staticmethod
    def _is_full(bucket):
        return len(bucket.ready) == len(bucket.params)

    def _launch(self, bucket):
        start = time.perf_counter()
        if bucket.on_device:
            self._reduce_on_device(bucket)
        else:
            bucket.request = collectives.start_all_reduce_array(bucket.flat)
        object.__setattr__(self, "communication_seconds", self.communication_seconds + time.perf_counter() - start)

    def _write_back_averages(self):
        """Wait for every bucket, then .grad ← sum / K for each parameter (a fresh tensor on its device)."""
        from ..tensor import tensor
        start = time.perf_counter()
        for k, bucket in enumerate(self.buckets):
            if bucket.request is not None:
                wait(bucket.request, f"the gradient bucket {k} of {len(self.buckets)} ({bucket.nbytes()} bytes)")
        object.__setattr__(self, "communication_seconds", self.communication_seconds + time.perf_counter() - start)
        for bucket in self.buckets:
            if not bucket.on_device:
                bucket.flat /= self.world.size
                for p, lo, hi in zip(bucket.params, bucket.offsets[:-1], bucket.offsets[1:]):
                    p.grad = tensor(bucket.flat[lo:hi].reshape(p.shape), dtype=p.dtype, device=p.device)
            bucket.ready, bucket.request = set(), None
        object.__setattr__(self, "_next_launch", 0)

    @staticmethod
    def _reduce_on_device(bucket):
        """One device buffer of the bucket's gradients, averaged over the ranks by NCCL, split back."""
        from ..tensor import cat
        from .nccl import device_transport
        flat = cat([p.grad.reshape(-1) for p in bucket.params])
        device_transport().all_reduce(flat, "mean")
        for p, lo, hi in zip(bucket.params, bucket.offsets[:-1], bucket.offsets[1:]):
            p.grad = flat[int(lo):int(hi)].reshape(p.shape).clone()

    # ---- before the optimizer step -----------------------------------------------------------
    def finish_gradient_sync(self):
        """Raise unless the last backward averaged every gradient (all hooks fired); else nothing to do."""
        if not any(b.ready for b in self.buckets):
            return
        waiting = [name for name, p in self.module.named_parameters()
                   if id(p) in self._bucket_of and id(p) not in self._bucket_of[id(p)].ready]
        if waiting:
            raise RuntimeError(
                f"DistributedDataParallel: backward gave no gradient to {', '.join(waiting[:5])}"
                f"{' …' if len(waiting) > 5 else ''}, so the gradients could not be averaged over the ranks; "
                "every parameter must take part in the loss")

    def assert_replicas_equal(self):
        """Raise RuntimeError unless every rank's weights are bitwise rank 0's (a cheap digest compared)."""
        import hashlib
        digest = hashlib.sha256()
        for p in self.module.parameters():
            digest.update(np.ascontiguousarray(p.numpy()).tobytes())
        mine = np.frombuffer(digest.digest(), dtype=np.uint8)
        differing = collectives.all_reduce_array(np.array([int(np.any(mine != collectives.broadcast_array(mine)))]))
        if differing[0]:
            raise RuntimeError(f"the weights of {int(differing[0])} rank(s) differ bitwise from rank 0's")

    def extra_repr(self):
        sizes = ", ".join(f"{b.nbytes() / 2**20:.2f}" for b in self.buckets)
        return f"world_size={self.world.size}, buckets (MB): [{sizes}]"
