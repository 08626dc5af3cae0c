import os

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
