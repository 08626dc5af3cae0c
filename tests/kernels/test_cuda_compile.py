"""Every kernel signature a LeNet-5 and a ResNet-18 training step launch compiles for sm_80 and sm_90
with no register spill: launches recorded (not run) under the simulator, compiled to PTX by NVVM and
assembled by ptxas in a subprocess without the simulator (kernels.cuda.ptx_check).

The default suite compiles the first signature launched from each hot module for sm_90 (the
representative set, about 15 s); the full set, both architectures (34 signatures, 70-190 s), is
marked slow."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
from kernels.cuda.recipes import encode_argument, recipe
from minigrad.models.lenet import LeNet5
from minigrad.models.resnet import ResNet18
from minigrad.nn import functional as F
from minigrad.optim import SGD, Adam

pytestmark = pytest.mark.needs_cuda
simulator_kernel = pytest.importorskip("numba.cuda.simulator.kernel")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _nvvm_missing():
    """Why no PTX can be made and assembled here, or None."""
    if shutil.which("ptxas") is None:
        return "ptxas (CUDA toolkit) is not on PATH"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    probe = ("from numba.cuda.cudadrv import nvvm, nvrtc; "
             "assert nvvm.is_available(), 'no NVVM'; nvrtc._get_nvrtc_version()")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    return None if done.returncode == 0 else f"NVVM or NVRTC not found: {done.stderr.strip().splitlines()[-1:]}"


def _record_step_launches(monkeypatch):
    """{(kernel recipe, argument types)} launched by LeNet-5 (SGD and Adam) and ResNet-18 (SGD) steps."""
    launched = {}
    run = simulator_kernel.FakeCUDAKernel.__call__

    def record(kernel, *args):
        if kernel._device or simulator_kernel._kernel_context:
            return run(kernel, *args)
        entry = {"kernel": recipe(kernel), "args": [encode_argument(a) for a in args]}
        launched[json.dumps(entry)] = entry

    monkeypatch.setattr(simulator_kernel.FakeCUDAKernel, "__call__", record)
    models = [(LeNet5, (1, 28, 28), SGD), (LeNet5, (1, 28, 28), Adam), (lambda: ResNet18(num_classes=10), (3, 32, 32), SGD)]
    for build, shape, optimizer in models:
        mg.manual_seed(0)
        model = build().to("cuda")
        opt = optimizer(model.parameters(), lr=0.01, **({"momentum": 0.9} if optimizer is SGD else {}))
        x = mg.tensor(np.zeros((4,) + shape, np.float32), device="cuda")
        y = mg.tensor(np.zeros(4, np.int64), device="cuda")
        for _ in range(2):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    return list(launched.values())


def _check(entries, archs, tmp_path):
    reason = _nvvm_missing()
    if reason:
        pytest.skip(reason)
    signatures = tmp_path / "signatures.json"
    signatures.write_text(json.dumps(entries))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-m", "kernels.cuda.ptx_check", str(signatures), *archs],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout)
    assert len(results) == len(entries) * len(archs)
    failures = [r for r in results if r["error"] or r["spill_bytes"]]
    assert not failures, json.dumps(failures[:5], indent=1)
    return results


REPRESENTATIVE = ("kernels.cuda.batchnorm", "kernels.cuda.optim", "kernels.cuda.gemm", "kernels.cuda.conv")


def _one_per_module(entries):
    """The first signature launched from each module in REPRESENTATIVE (NVVM and ptxas take 2-5 s a kernel)."""
    chosen = {}
    for entry in entries:
        if entry["kernel"][0] in REPRESENTATIVE:
            chosen.setdefault(entry["kernel"][0], entry)
    return list(chosen.values())


def _scalar_operand_launches():
    """Signatures of the scalar-operand elementwise kernels (a step of these models launches none,
    user arithmetic like y * 0.5 does): a number passed by value, float32 and float64."""
    from numba import cuda
    from kernels.cuda import elementwise as ew
    entries = []
    for dtype in (np.float32, np.float64):
        a = cuda.to_device(np.zeros(4, dtype))
        for make, args in ((ew._scalar_right_kernel, (a, a, dtype(0.5))), (ew._scalar_left_kernel, (a, dtype(0.5), a))):
            entries.append({"kernel": recipe(make(ew._multiply)), "args": [encode_argument(x) for x in args]})
    return entries


def test_step_kernels_assemble_without_spills_representative(monkeypatch, tmp_path):
    entries = _record_step_launches(monkeypatch)
    assert len(entries) > 20
    _check(_one_per_module(entries) + _scalar_operand_launches()[:1], ["sm_90"], tmp_path)


@pytest.mark.slow
def test_every_step_kernel_signature_assembles_without_spills(monkeypatch, tmp_path):
    entries = _record_step_launches(monkeypatch) + _scalar_operand_launches()
    results = _check(entries, ["sm_80", "sm_90"], tmp_path)
    print(f"{len(entries)} signatures, max {max(r['registers'] for r in results)} registers, no spills")
