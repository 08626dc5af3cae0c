"""Run on 2 ranks by test_failures.py: rank 1 fails (MODE kill, stall or raise) after two all-reduces
while rank 0 keeps all-reducing; the job must end anyway."""
import os
import signal
import sys
import time

import numpy as np

from minigrad import distributed as dist

mode = sys.argv[1]
world = dist.init()
for step in range(100000):
    if world.rank == 1 and step == 2:
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif mode == "stall":
            time.sleep(600)
        else:
            raise ValueError("rank 1 meets a bad batch")
    dist.all_reduce_array(np.ones(4))
