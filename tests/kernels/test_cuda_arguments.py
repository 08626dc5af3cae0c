"""kernels.cuda.arguments packs every launch's arguments exactly as numba-cuda's own
``_Kernel._prepare_args`` does: same values, same types, same order, for every kernel of a LeNet-5
and a ResNet-18 training step, and it declines what it does not know.

The step runs in a child process without NUMBA_ENABLE_CUDASIM, under benchmarks/cuda_host_probe.py's
stand-in driver (numba-cuda's real typing and packing; cuda.core's parameter buffer is filled from
the packed arguments; no kernel runs).
"""
import textwrap
import types as pytypes

import pytest

pytestmark = pytest.mark.needs_cuda

CHILD = textwrap.dedent("""
    import collections, ctypes, json
    import cuda_host_probe as probe
    probe.install()
    from kernels.cuda import arguments, counters
    import cuda_counts

    compared, declined = collections.Counter(), []
    own_packer = arguments.packer

    def described(kernel_arguments):
        return [(type(v), v.value if isinstance(v, ctypes._SimpleCData) else v) for v in kernel_arguments]

    def checked_packer(kernel):
        pack = own_packer(kernel)
        name = counters.kernel_name(kernel.py_func)
        if pack is None:
            declined.append(name)
            return None

        def both(args):
            ours, theirs = pack(args), []
            for numba_type, value in zip(kernel.argument_types, args):
                kernel._prepare_args(numba_type, value, 0, [], theirs)
            assert described(ours) == described(theirs), (name, described(ours), described(theirs))
            compared[name] += 1
            return ours
        return both
    arguments.packer = checked_packer

    launched = {}
    for model, batch in (("lenet", 8), ("resnet", 2)):
        step = cuda_counts.make_step(model, batch, small=True)
        for _ in range(2):
            step()
        counters.reset()
        step()
        launched[model] = counters.stats()["launches_by_kernel"]
    from kernels.cuda import launch
    unpacked = [counters.kernel_name(l.compiled.py_func) for l in launch._compiled.values() if l.pack is None]
    print(json.dumps({"compared": compared, "declined": declined, "launched": launched, "unpacked": unpacked}))
""")


def test_every_launch_of_a_training_step_is_packed_as_numba_cuda_packs_it(host_probe):
    import json
    report = json.loads(host_probe(CHILD).strip().splitlines()[-1])
    assert report["declined"] == [] and report["unpacked"] == []
    for model, kernels in report["launched"].items():
        assert kernels, model
        unchecked = {name for name in kernels if report["compared"].get(name, 0) < kernels[name]}
        assert not unchecked, f"{model}: launches not compared with numba-cuda's packing: {unchecked}"


@pytest.fixture
def arguments():
    from kernels.cuda import arguments
    return arguments


def test_types_numba_cuda_packs_differently_are_declined(arguments):
    from numba.cuda import types
    for numba_type in (types.float16, types.complex64, types.complex128, types.NPDatetime("s")):
        assert arguments._argument_packer(numba_type) is None, numba_type
    assert arguments._argument_packer(types.Tuple((types.int64, types.float16))) is None
    assert arguments._argument_packer(types.UniTuple(types.int64, 2)) is not None


@pytest.mark.parametrize("changes", [{"debug": True}, {"extensions": [object()]},
                                     {"argument_types": (object(),)}])
def test_kernels_that_need_numba_cudas_own_launch_are_declined(arguments, changes):
    from numba.cuda import types
    kernel = pytypes.SimpleNamespace(debug=False, extensions=[], argument_types=(types.int64,),
                                     py_func=test_kernels_that_need_numba_cudas_own_launch_are_declined)
    assert arguments.packer(kernel) is not None
    assert arguments.packer(pytypes.SimpleNamespace(**{**vars(kernel), **changes})) is None


def test_scalars_and_tuples_are_packed_in_order_and_wrong_arity_raises(arguments):
    import ctypes
    from numba.cuda import types
    kernel = pytypes.SimpleNamespace(debug=False, extensions=[], py_func=test_kernels_that_need_numba_cudas_own_launch_are_declined,
                                     argument_types=(types.int64, types.uint32, types.float32, types.float64,
                                                     types.boolean, types.UniTuple(types.int32, 2)))
    packed = arguments.packer(kernel)((-3, 7, 0.5, 0.25, True, (1, 2)))
    assert [(type(v), getattr(v, "value", v)) for v in packed] == [
        (ctypes.c_int64, -3), (ctypes.c_uint32, 7), (ctypes.c_float, 0.5), (ctypes.c_double, 0.25), (bool, True),
        (ctypes.c_int32, 1), (ctypes.c_int32, 2)]
    with pytest.raises(TypeError, match="takes 6 arguments, got 5"):
        arguments.packer(kernel)((1, 2, 0.5, 0.25, True))
    with pytest.raises(ValueError, match="a tuple of 2 expected, got 3"):
        arguments.packer(kernel)((1, 2, 0.5, 0.25, True, (1, 2, 3)))


class _Compiled:
    """A stand-in compiled kernel of one int64 argument whose numba-cuda packing is `packed(value)`."""

    def __init__(self, packed):
        from numba.cuda import types
        self.debug, self.extensions, self.cooperative, self._codelibrary = False, [], False, object()
        self.argument_types, self.py_func, self._packed = (types.int64,), _Compiled, packed

    def _prepare_args(self, numba_type, value, stream, retr, out):
        out.extend(self._packed(value))


@pytest.mark.parametrize("numba_packs, expected", [
    (lambda v: [__import__("ctypes").c_int64(v)], "ours"),     # as this numba-cuda packs: kept
    (lambda v: [__import__("ctypes").c_int32(v)], None),       # another ctypes type: numba-cuda's launch
    (lambda v: [__import__("ctypes").c_int64(v + 1)], None),   # another value
    (lambda v: [v], None),                                     # a plain int
    (lambda v: [], None),                                      # fewer values
])
def test_the_first_launch_compares_the_packing_with_numba_cudas_own(monkeypatch, numba_packs, expected):
    from kernels.cuda import launch
    monkeypatch.setattr(launch, "_dispatcher", lambda: pytypes.SimpleNamespace(launch=None, LaunchConfig=None))
    monkeypatch.setattr(launch.streams, "core_stream", lambda: 0)  # the simulator has no cuda.core stream
    pack = launch._checked_packer(_Compiled(numba_packs), (5,))
    assert (pack is not None) == (expected == "ours")


def test_another_numba_cuda_keeps_its_own_launch(monkeypatch):
    import ctypes
    from kernels.cuda import launch
    compiled = _Compiled(lambda v: [ctypes.c_int64(v)])
    monkeypatch.setattr(launch, "_dispatcher", lambda: pytypes.SimpleNamespace(LaunchConfig=None))  # no cuda.core launch
    assert launch._checked_packer(compiled, (5,)) is None
    monkeypatch.setattr(launch, "_dispatcher", lambda: pytypes.SimpleNamespace(launch=None, LaunchConfig=None))
    compiled.cooperative = True  # launched with cooperative_launch by numba-cuda
    assert launch._checked_packer(compiled, (5,)) is None
    compiled.cooperative = False
    del compiled._codelibrary
    assert launch._checked_packer(compiled, (5,)) is None


def test_a_kernel_another_numba_cuda_launches_gets_only_normalised_dimensions(monkeypatch):
    """Where numba-cuda has no cuda.core LaunchConfig, the launch goes to its ``_Kernel.launch`` with the
    grid and block numba-cuda normalises, and no LaunchConfig is built."""
    import ctypes
    from kernels.cuda import launch
    calls = []
    compiled = _Compiled(lambda v: [ctypes.c_int64(v)])
    compiled.launch = lambda *a: calls.append(a)
    monkeypatch.setattr(launch, "_dispatcher", lambda: pytypes.SimpleNamespace())
    monkeypatch.setattr(launch, "_geometries", {})
    monkeypatch.setattr(launch.streams, "core_stream", lambda: "stream")
    launcher = launch._Launcher(compiled, (5,))
    assert launcher.pack is None
    launcher((5,), 4, 256, 0)
    assert calls == [((5,), (4, 1, 1), (256, 1, 1), "stream", 0)]
