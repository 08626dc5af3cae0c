"""Collectives over all ranks, on NumPy arrays (``*_array``) and on tensors, in place like PyTorch's:

    all_reduce(t, "sum")    t ← t₀ + t₁ + … + t_{K-1}        (every rank gets the same result)
    all_reduce(t, "mean")   t ← (t₀ + … + t_{K-1}) / K
    broadcast(t, src)       t ← t_src
    barrier()               returns once every rank has called it

CPU tensors go through MPI; CUDA tensors through NCCL when it can run, else through MPI with host
staging (device → host, MPI, host → device), see ``minigrad.distributed.nccl``. Every wait has the
World's timeout (``minigrad.distributed.world.wait``).
"""
from __future__ import annotations

import numpy as np

from .world import wait, world

OPS = ("sum", "mean")


def _check_op(op, dtype):
    if op not in OPS:
        raise ValueError(f"all_reduce: op must be one of {', '.join(OPS)}, got {op!r}")
    if op == "mean" and np.dtype(dtype).kind != "f":
        raise TypeError(f"all_reduce: op='mean' needs a floating-point tensor, got dtype {np.dtype(dtype)}")


def start_all_reduce_array(buffer: np.ndarray):
    """Start summing the contiguous array ``buffer`` over all ranks, in place; returns the MPI request
    (None in a world of one) to pass to ``world.wait``."""
    w = world()
    if w.comm is None or w.size == 1:
        return None
    from mpi4py import MPI
    return w.comm.Iallreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)


def all_reduce_array(values, op: str = "sum") -> np.ndarray:
    """A new array: the sum (or mean) of ``values`` over all ranks."""
    buffer = np.array(values, order="C")
    _check_op(op, buffer.dtype)
    request = start_all_reduce_array(buffer)
    if request is not None:
        wait(request, f"all_reduce of an array of shape {buffer.shape}")
    if op == "mean":
        buffer /= world().size
    return buffer


def broadcast_array(values, src: int = 0) -> np.ndarray:
    """A new array: rank ``src``'s ``values`` on every rank (same shape and dtype everywhere)."""
    w = world()
    _check_src(src, w)
    buffer = np.array(values, order="C")
    if w.comm is not None and w.size > 1:
        wait(w.comm.Ibcast(buffer, root=src), f"broadcast of an array of shape {buffer.shape} from rank {src}")
    return buffer


def broadcast_object(obj, src: int = 0):
    """Rank ``src``'s picklable ``obj`` on every rank."""
    w = world()
    _check_src(src, w)
    if w.comm is None or w.size == 1:
        return obj
    import pickle
    payload = np.frombuffer(pickle.dumps(obj), dtype=np.uint8) if w.rank == src else np.empty(0, np.uint8)
    length = broadcast_array(np.array([payload.size], dtype=np.int64), src)[0]
    buffer = payload.copy() if w.rank == src else np.empty(int(length), np.uint8)
    return pickle.loads(broadcast_array(buffer, src).tobytes())


def barrier():
    w = world()
    if w.comm is not None and w.size > 1:
        wait(w.comm.Ibarrier(), "a barrier")


def _check_src(src, w):
    if not 0 <= src < w.size:
        raise ValueError(f"broadcast: src must be a rank in [0, {w.size}), got {src}")


def all_reduce(tensor, op: str = "sum"):
    """Sum (or average) ``tensor`` over all ranks, in place; returns it."""
    _check_op(op, tensor.dtype)
    if tensor.device == "cuda":
        from .nccl import device_transport
        device_transport().all_reduce(tensor, op)
        return tensor
    return _write_back(tensor, all_reduce_array(tensor.numpy(), op))


def broadcast(tensor, src: int = 0):
    """Rank ``src``'s values into ``tensor`` on every rank, in place; returns it."""
    if tensor.device == "cuda":
        from .nccl import device_transport
        device_transport().broadcast(tensor, src)
        return tensor
    return _write_back(tensor, broadcast_array(tensor.numpy(), src))


def _write_back(tensor, values: np.ndarray):
    """``tensor.copy_(values)`` outside the graph (a collective is not differentiated), on its device."""
    from ..autodiff import no_grad
    with no_grad():
        tensor.copy_(values)
    return tensor
