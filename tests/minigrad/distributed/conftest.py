"""Fixtures for the distributed tests: ``mpirun`` (runs a command on K ranks of Open MPI) and the inputs
each rank's worker draws, so that the tests can compute the expected results by hand."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).parents[3]
WORKERS = Path(__file__).parent / "workers"


def rank_input(rank, shape=(3, 4), seed=7):
    """What rank ``rank`` contributes to the collectives (workers/collectives.py draws the same)."""
    return np.random.default_rng([seed, rank]).standard_normal(shape)


@pytest.fixture(scope="session")
def mpirun():
    """run(K, *args, timeout=, env=) -> CompletedProcess of ``mpirun -n K python *args`` (as root too)."""
    if shutil.which("mpirun") is None:
        pytest.skip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev; .ci/run does)")
    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install mpi4py)")

    def run(ranks, *args, timeout=120, env=None):
        environment = {**os.environ, "PYTHONPATH": str(REPO), "OMPI_ALLOW_RUN_AS_ROOT": "1",
                       "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_btl": "self,vader", **(env or {})}
        command = ["mpirun", "--oversubscribe", "-n", str(ranks), sys.executable, *map(str, args)]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=environment, cwd=REPO)

    return run
