"""Data-parallel training over MPI (and NCCL between GPUs): ``mpirun -n K python -m minigrad.train --distributed``.

    from minigrad import distributed as dist
    world = dist.init()                          # rank and size from mpirun; a world of 1 without it
    model = dist.DistributedDataParallel(model)  # rank 0's weights everywhere, gradients averaged in backward
    loader = DataLoader(train, batch_size=64, sampler=dist.DistributedSampler(train))  # the rank's shard
    dist.all_reduce(t, "sum"); dist.broadcast(t, src=0); dist.barrier()
"""
from ..data.sampler import DistributedSampler
from .collectives import all_reduce, all_reduce_array, barrier, broadcast, broadcast_array, broadcast_object
from .ddp import DistributedDataParallel
from .sync_batchnorm import SyncBatchNorm, all_reduce_sum
from .world import World, abort, get_rank, get_world_size, init, world
