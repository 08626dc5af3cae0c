"""Compile recorded kernel signatures to PTX with NVVM and assemble them with ptxas, no GPU needed.

    python -m kernels.cuda.ptx_check SIGNATURES.json sm_80 sm_90 > RESULTS.json

SIGNATURES.json is a list of {"kernel": recipe, "args": [encoded argument types]} (kernels.cuda.recipes).
Every entry is compiled for every architecture; RESULTS.json lists, per entry and architecture, the
registers, spill bytes, and the error (None when it assembled). Must run without
NUMBA_ENABLE_CUDASIM. numba-cuda asks the current device for its compute capability while it
compiles device functions; there is no device here, so a stand-in with the target's capability
answers.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
    raise SystemExit("kernels.cuda.ptx_check compiles real PTX: run it without NUMBA_ENABLE_CUDASIM=1")

from numba import cuda  # noqa: E402
from numba.cuda import dispatcher  # noqa: E402

from kernels.cuda.recipes import decode_argument, rebuild  # noqa: E402

RESOURCES = re.compile(r"Used (\d+) registers")
SPILLS = re.compile(r"(\d+) bytes spill stores, (\d+) bytes spill loads")


class _TargetDevice:
    compute_capability = (9, 0)


def _assemble(ptx, arch, directory):
    """(registers, spill bytes, error or None) of ptxas -v on the PTX text."""
    source = os.path.join(directory, "kernel.ptx")
    with open(source, "w") as f:
        f.write(ptx)
    done = subprocess.run(["ptxas", f"-arch={arch}", "-v", source, "-o", os.devnull],
                          capture_output=True, text=True)
    if done.returncode:
        return None, None, done.stderr.strip()[-2000:]
    registers = max((int(r) for r in RESOURCES.findall(done.stderr)), default=0)
    spills = sum(int(a) + int(b) for a, b in SPILLS.findall(done.stderr))
    return registers, spills, None


def check(entries, archs):
    dispatcher.get_current_device = lambda: _TargetDevice
    results = []
    with tempfile.TemporaryDirectory() as directory:
        for entry in entries:
            kernel = rebuild(entry["kernel"])
            signature = tuple(decode_argument(a) for a in entry["args"])
            for arch in archs:
                _TargetDevice.compute_capability = (int(arch[3:-1]), int(arch[-1]))
                try:
                    ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=_TargetDevice.compute_capability)
                    registers, spills, error = _assemble(ptx, arch, directory)
                except Exception as e:  # a typing or NVVM error: report it with the entry
                    registers, spills, error = None, None, f"{type(e).__name__}: {e}"[-2000:]
                results.append({"kernel": entry["kernel"], "args": entry["args"], "arch": arch,
                                "registers": registers, "spill_bytes": spills, "error": error})
    return results


def main(argv):
    if len(argv) < 2:
        print("usage: python -m kernels.cuda.ptx_check SIGNATURES.json ARCH [ARCH ...]", file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        entries = json.load(f)
    json.dump(check(entries, argv[1:]), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
