"""A rank that dies, stalls or raises ends the whole job with a clear message; no rank hangs."""
import time

import pytest

from .conftest import WORKERS

TIMEOUT_S = 4


@pytest.mark.parametrize("mode, message", [
    ("kill", "signal 9"),  # mpirun notices the dead process and ends the others
    ("stall", f"rank 0 of 2: waited more than {TIMEOUT_S} s for all_reduce"),
    ("raise", "rank 1 of 2: uncaught ValueError: rank 1 meets a bad batch; aborting all ranks"),
])
def test_a_failing_rank_ends_the_job_within_the_timeout(mpirun, mode, message):
    start = time.monotonic()
    proc = mpirun(2, WORKERS / "failing_rank.py", mode, env={"MINIGRAD_DISTRIBUTED_TIMEOUT": str(TIMEOUT_S)},
                  timeout=90)
    assert proc.returncode != 0
    assert message in proc.stdout + proc.stderr, (proc.stdout + proc.stderr)[-2000:]
    assert time.monotonic() - start < 60
