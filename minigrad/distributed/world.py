"""The processes that train together: who this one is (rank), how many there are (world size), and
how a failure in one of them ends all of them.

``init()`` reads both from MPI (mpi4py; started by ``mpirun -n K``). Without mpirun, or without
mpi4py, it is a world of one process, so the same script runs alone unchanged.

No rank may hang: every collective is started non-blocking and waited for with a deadline
(``timeout`` seconds, default 300 or $MINIGRAD_DISTRIBUTED_TIMEOUT); past it, and on any uncaught
exception, the rank prints one line saying why and calls MPI_Abort, which ends the whole job.
"""
from __future__ import annotations

import os
import sys
import time

DEFAULT_TIMEOUT_S = 300.0


class World:
    """rank, size, local_rank (the rank among those on this machine), the MPI communicator (None for a
    world of one without MPI) and the collective timeout in seconds."""

    def __init__(self, comm, rank: int, size: int, local_rank: int, local_size: int, timeout: float):
        self.comm, self.rank, self.size = comm, rank, size
        self.local_rank, self.local_size, self.timeout = local_rank, local_size, timeout

    def __repr__(self):
        return f"World(rank={self.rank}, size={self.size}, local_rank={self.local_rank}, timeout={self.timeout}s)"


_world: World | None = None


def init(timeout: float | None = None) -> World:
    """Join the job (once; later calls return the same World) and install the abort-on-failure hook."""
    global _world
    if _world is not None:
        return _world
    if timeout is None:
        timeout = float(os.environ.get("MINIGRAD_DISTRIBUTED_TIMEOUT", DEFAULT_TIMEOUT_S))
    if not timeout > 0:
        raise ValueError(f"init: timeout must be a positive number of seconds, got {timeout}")
    launched = int(os.environ.get("OMPI_COMM_WORLD_SIZE", os.environ.get("PMI_SIZE", "1")))
    try:
        from mpi4py import MPI
    except ImportError:
        if launched > 1:
            raise RuntimeError("this process was started by mpirun but mpi4py is missing: "
                               "pip install mpi4py (or pip install minigrad[distributed])") from None
        _world = World(None, 0, 1, 0, 1, timeout)
        return _world
    comm = MPI.COMM_WORLD
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    _world = World(comm, comm.Get_rank(), comm.Get_size(), local.Get_rank(), local.Get_size(), timeout)
    local.Free()
    if _world.size > 1:
        _install_abort_hook(_world)
    return _world


def world() -> World:
    """The World of ``init()`` (calling it if nobody has)."""
    return _world if _world is not None else init()


def get_rank() -> int:
    return world().rank


def get_world_size() -> int:
    return world().size


def abort(message: str, code: int = 1):
    """Print ``message`` (prefixed by the rank) and end every rank of the job with status ``code``."""
    w = world()
    print(f"minigrad.distributed: rank {w.rank} of {w.size}: {message}; aborting all ranks", file=sys.stderr,
          flush=True)
    if w.comm is not None and w.size > 1:
        w.comm.Abort(code)
    raise SystemExit(code)


def _install_abort_hook(w: World):
    previous = sys.excepthook

    def abort_on_uncaught(kind, value, tb):
        previous(kind, value, tb)
        abort(f"uncaught {kind.__name__}: {str(value).splitlines()[0] if str(value) else ''}")

    sys.excepthook = abort_on_uncaught


def wait(request, what: str):
    """Wait for a non-blocking MPI request, aborting the job when it takes more than the timeout."""
    w = world()
    deadline = time.monotonic() + w.timeout
    pause = 1e-5
    while not request.Test():
        if time.monotonic() > deadline:
            abort(f"waited more than {w.timeout:g} s for {what} (another rank failed or stalled; "
                  "the limit is init(timeout=) or $MINIGRAD_DISTRIBUTED_TIMEOUT)")
        time.sleep(pause)
        pause = min(2 * pause, 1e-3)
