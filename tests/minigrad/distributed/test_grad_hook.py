"""Tensor.register_post_accumulate_grad_hook: the hook DistributedDataParallel launches buckets from."""
import numpy as np
import pytest
import torch

import minigrad as mg


def test_hook_sees_the_final_gradient_once_per_backward_like_pytorch():
    w_np = np.array([1.0, -2.0, 3.0])
    seen, seen_torch = [], []
    w = mg.tensor(w_np, dtype=mg.float64, requires_grad=True)
    handle = w.register_post_accumulate_grad_hook(lambda leaf: seen.append(leaf.grad.numpy().copy()))
    wt = torch.tensor(w_np, requires_grad=True)
    wt.register_post_accumulate_grad_hook(lambda leaf: seen_torch.append(leaf.grad.numpy().copy()))
    for _ in range(2):  # used twice in the graph, accumulated over two backwards
        ((w * w).sum() + (w.exp() * w).sum()).backward()
        ((wt * wt).sum() + (wt.exp() * wt).sum()).backward()
    assert (len(seen), len(seen_torch)) == (2, 2)
    for ours, theirs in zip(seen, seen_torch):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    handle.remove()
    (w * w).sum().backward()
    assert len(seen) == 2


def test_hook_on_a_non_leaf_is_refused():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="works only on leaves"):
        (w * 2).register_post_accumulate_grad_hook(print)
