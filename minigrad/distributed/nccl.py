"""How CUDA tensors travel between ranks: NCCL when it can run, else MPI with host staging.

NCCL (through CuPy's ``cupy.cuda.nccl``) reduces straight between GPU memories: it is handed the raw
device pointer of a tensor's numba array (``__cuda_array_interface__``) and works on it in place.
It needs CuPy built with NCCL, a real GPU (the CUDA simulator has none) and one GPU per rank (NCCL
refuses two ranks on one GPU, so a single GPU cannot run NCCL between two ranks). When any of these
is missing, ``device_transport()`` picks ``HostStaging``: device → host, MPI, host → device, and
says why in one line on stderr (once, from rank 0).
"""
from __future__ import annotations

import os
import sys

import numpy as np

from .collectives import _write_back, all_reduce_array, broadcast_array, broadcast_object
from .world import world

_transport = None


def gpus_for_ranks(local_size: int) -> list[str]:
    """The CUDA_VISIBLE_DEVICES entry each local rank uses: its own GPU while there are enough, else shared."""
    visible = [d for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    if not visible:
        visible = [str(i) for i in range(local_size)]
    return [visible[r % len(visible)] for r in range(local_size)]


def bind_gpu():
    """Give this rank its GPU (CUDA_VISIBLE_DEVICES = its entry), before anything touches CUDA."""
    w = world()
    if w.size > 1:
        os.environ["CUDA_VISIBLE_DEVICES"] = gpus_for_ranks(w.local_size)[w.local_rank]


def why_not_nccl() -> str | None:
    """None when NCCL can carry this job's CUDA tensors, else the reason it cannot."""
    w = world()
    if w.size == 1:
        return "a world of one process sends nothing"
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return "the CUDA simulator has no GPU memory for NCCL"
    if len(set(gpus_for_ranks(w.local_size))) < w.local_size:
        return f"{w.local_size} ranks share {len(set(gpus_for_ranks(w.local_size)))} GPU(s) and NCCL needs one per rank"
    try:
        from cupy.cuda import nccl
        nccl.get_version()
    except Exception as e:  # ImportError, or CuPy built without NCCL
        return f"CuPy's NCCL is not available ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
    return None


def device_transport():
    """The job's transport for CUDA tensors (chosen once, the same on every rank)."""
    global _transport
    if _transport is None:
        reasons = all_reduce_array(np.array([why_not_nccl() is not None], dtype=np.int64))
        if reasons[0] == 0:
            _transport = Nccl()
        else:
            reason = why_not_nccl() or "another rank cannot use NCCL"
            if world().rank == 0:
                print(f"minigrad.distributed: CUDA tensors go through MPI with host staging: {reason}",
                      file=sys.stderr, flush=True)
            _transport = HostStaging()
    return _transport


class HostStaging:
    """CUDA tensors copied to the host, reduced by MPI, copied back."""

    name = "mpi-host-staging"
    on_device = False  # DistributedDataParallel stages CUDA gradients through its host buckets

    def all_reduce(self, tensor, op):
        _write_back(tensor, all_reduce_array(tensor.numpy(), op))

    def broadcast(self, tensor, src):
        _write_back(tensor, broadcast_array(tensor.numpy(), src))


_NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
               "int32": "NCCL_INT32", "int64": "NCCL_INT64", "uint8": "NCCL_UINT8"}


class Nccl:
    """One NCCL communicator over all ranks (its id made by rank 0 and sent over MPI); collectives on the
    default stream, in place on the tensor's device memory. The CUDA backend queues its kernels on a
    non-blocking stream, which the default stream does not wait for, so each collective starts after
    the device has finished everything queued (and the host waits for it to end)."""

    name = "nccl"
    on_device = True  # DistributedDataParallel reduces CUDA gradient buckets in device memory

    def __init__(self):
        from cupy.cuda import nccl
        w = world()
        self.nccl = nccl
        uid = broadcast_object(nccl.get_unique_id() if w.rank == 0 else None)
        self.comm = nccl.NcclCommunicator(w.size, uid, w.rank)

    def _pointer(self, tensor):
        interface = tensor.__cuda_array_interface__
        contiguous = np.dtype(interface["typestr"]).itemsize * np.cumprod((1,) + tuple(interface["shape"][::-1]))[:-1][::-1]
        if interface["strides"] is not None and tuple(interface["strides"]) != tuple(contiguous):
            raise ValueError("NCCL needs a contiguous CUDA tensor; pass tensor.clone()")
        kind = getattr(self.nccl, _NCCL_TYPES[str(tensor.dtype)])
        return interface["data"][0], tensor.size, kind

    def _synchronize(self):
        import cupy
        cupy.cuda.runtime.deviceSynchronize()

    def all_reduce(self, tensor, op):
        pointer, count, kind = self._pointer(tensor)
        self._synchronize()
        self.comm.allReduce(pointer, pointer, count, kind, self.nccl.NCCL_SUM, 0)
        self._synchronize()
        if op == "mean":
            _write_back(tensor, tensor * (1.0 / world().size))

    def broadcast(self, tensor, src):
        pointer, count, kind = self._pointer(tensor)
        self._synchronize()
        self.comm.bcast(pointer, count, kind, src, 0)
        self._synchronize()
