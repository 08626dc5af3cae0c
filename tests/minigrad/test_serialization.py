import errno
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg


def test_round_trip_nested_state(tmp_path):
    state = {"model": {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": mg.tensor([1.0, 2.0])},
             "optimizer": {"state": {0: {"step": 3, "buf": np.ones(2)}}, "param_groups": [{"lr": 0.1, "ids": (0, 1)}]},
             "epoch": 4, "name": "lenet5", "none": None, "flag": True}
    path = mg.save(state, tmp_path / "ckpt.npz")
    back = mg.load(path)
    np.testing.assert_array_equal(back["model"]["w"], state["model"]["w"])
    assert back["model"]["w"].dtype == np.float32
    np.testing.assert_array_equal(back["model"]["b"], [1.0, 2.0])
    assert back["optimizer"]["state"][0]["step"] == 3 and 0 in back["optimizer"]["state"]
    assert back["optimizer"]["param_groups"][0]["ids"] == (0, 1)
    assert (back["epoch"], back["name"], back["none"], back["flag"]) == (4, "lenet5", None, True)


def test_save_is_atomic_when_interrupted(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": np.zeros(3)}, path)

    class Boom:
        pass

    with pytest.raises(TypeError, match="cannot store a Boom"):
        mg.save({"a": np.ones(3), "b": Boom()}, path)
    np.testing.assert_array_equal(mg.load(path)["a"], np.zeros(3))
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz"]


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": np.random.rand(1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        mg.load(path)


def test_object_arrays_are_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "ckpt.npz"
    with pytest.raises(TypeError, match=r"obj\['state'\]\[0\]: an array of dtype object"):
        mg.save({"state": [np.array([1, "x", None], dtype=object)]}, path)
    assert os.listdir(tmp_path) == []


def _structure_bytes(text):
    return np.frombuffer(text.encode(), dtype=np.uint8)


@pytest.mark.parametrize("write, problem", [
    (lambda p: np.save(p, np.ones(3)), r"single NumPy array \(\.npy\)"),
    (lambda p: np.savez(p, __structure__=_structure_bytes('{"__array__": "a0"}')), "array 'a0' it names is missing"),
    (lambda p: np.savez(p, __structure__=_structure_bytes("{not json")), "__structure__ entry is broken"),
    (lambda p: np.savez(p, __structure__=np.array([255, 254], dtype=np.uint8)), "__structure__ entry is broken"),
    (lambda p: np.savez(p, __structure__=_structure_bytes('{"__dict__": [[1]]}')), "key, value"),
    (lambda p: np.savez(p, __structure__=_structure_bytes('{"__dict__": [[[1], 2]]}')), "cannot be a key"),
    (lambda p: np.savez(p, __structure__=_structure_bytes('{"oops": 1}')), "none of array, tuple or dict"),
], ids=["npy", "missing-array", "bad-json", "not-utf8", "bad-pair", "unhashable-key", "unknown-entry"])
def test_load_of_anything_but_a_checkpoint_is_one_value_error_naming_the_path(tmp_path, write, problem):
    path = tmp_path / "ckpt.npz"
    with open(path, "wb") as f:
        write(f)
    with pytest.raises(ValueError, match=problem) as info:
        mg.load(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_load_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):  # as torch.load
        mg.load(tmp_path / "nothing.npz")


WRITER = """
import sys, time
from minigrad.atomic import atomic_write
with atomic_write(sys.argv[1]) as f:
    f.write(b"x" * 100_000); f.flush()
    print("writing", flush=True)
    time.sleep(120)
"""


def _start_writer(path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.stdout.readline().strip() == "writing"
    return proc


def _temporaries(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".part"))


def test_temporaries_of_killed_writers_never_accumulate(tmp_path):
    path = tmp_path / "ckpt.npz"
    for _ in range(3):  # each writer is killed with SIGKILL mid-write: it cannot clean up after itself
        proc = _start_writer(path)
        proc.kill()
        proc.wait()
        assert len(_temporaries(tmp_path)) == 1  # the next writer removed the previous one's file
    alive = _start_writer(path)
    try:
        assert len(_temporaries(tmp_path)) == 1
        mg.save({"a": np.arange(3)}, path)
        assert len(_temporaries(tmp_path)) == 1  # the running writer's file is left alone
    finally:
        alive.kill()
        alive.wait()
    mg.save({"a": np.arange(4)}, path)
    assert _temporaries(tmp_path) == [] and sorted(os.listdir(tmp_path)) == ["ckpt.npz"]
    np.testing.assert_array_equal(mg.load(path)["a"], np.arange(4))


def test_write_errors_name_the_users_path_not_the_temporary_one(tmp_path, monkeypatch):
    import minigrad.atomic

    folder_in_the_way = tmp_path / "ckpt.npz"
    folder_in_the_way.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        mg.save({"a": np.zeros(2)}, folder_in_the_way)
    assert str(folder_in_the_way) in str(info.value) and ".part" not in str(info.value)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(minigrad.atomic.os, "fsync", disk_full)
    path = tmp_path / "other.npz"
    with pytest.raises(OSError, match="No space left on device") as info:
        mg.save({"a": np.zeros(2)}, path)
    assert info.value.errno == errno.ENOSPC and str(path) in str(info.value)
    assert _temporaries(tmp_path) == [] and not path.exists()


def test_load_of_another_kind_of_file_says_it_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('[{"epoch": 1}]')
    with pytest.raises(ValueError, match=f"{path} is not a minigrad checkpoint: it is not an .npz"):
        mg.load(path)
