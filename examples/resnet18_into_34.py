"""A trained ResNet-18 fits exactly into a ResNet-34 (seed 002, ResNet):

    "copy over the parameters and set parameters of the additional blocks to be 0. The additional blocks
     will only serve to apply an additional ReLU, but this makes no difference as ReLU is idempotent."

ResNet-34 has [3, 4, 6, 3] BasicBlocks where ResNet-18 has [2, 2, 2, 2]. Each stage of the 34 takes the
18's blocks first; every extra block gets all-zero parameters, so its residual branch is exactly 0
(bn2's γ = β = 0) and the block computes ReLU(0 + x) = x, since x is already the output of a ReLU.
The script trains a ResNet-18 for a few SGD steps (so its weights and BatchNorm statistics are not the
initial ones), embeds it, and prints the largest difference between the two networks' outputs (0).

    python examples/resnet18_into_34.py [--steps 5] [--size 16]
"""
import argparse

import numpy as np

import minigrad as mg
from minigrad import models, nn, optim


def train_briefly(model, steps: int, size: int, seed: int = 0):
    """A few SGD steps on random images and labels (training mode: BatchNorm statistics move too)."""
    rng = np.random.default_rng(seed)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    for _ in range(steps):
        x = mg.tensor(rng.standard_normal((8, 3, size, size)))
        y = mg.tensor(rng.integers(0, 10, 8))
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model


def embed(resnet18, resnet34):
    """Copy ResNet-18's parameters and buffers into ResNet-34; zero every parameter of the extra blocks."""
    state18 = resnet18.state_dict()
    state = {}
    for name, value in resnet34.state_dict().items():
        if name in state18:
            state[name] = state18[name]
        elif name.endswith(("running_mean", "running_var", "num_batches_tracked")):
            state[name] = value  # the extra blocks' BatchNorm statistics do not matter: γ = β = 0
        else:
            state[name] = np.zeros_like(np.asarray(value))
    resnet34.load_state_dict(state)
    return resnet34


def extra_blocks(resnet34):
    """Names of the blocks ResNet-34 has beyond ResNet-18's (layer1.2, layer2.2, layer2.3, ...)."""
    return [f"layer{i + 1}.{b}" for i, n in enumerate([3, 4, 6, 3]) for b in range(2, n)]


def compare(steps: int = 5, size: int = 16, seed: int = 0):
    """(max |ResNet-18(x) - ResNet-34(x)| on fresh images in evaluation mode, the 18's outputs, both models)."""
    mg.manual_seed(seed)
    resnet18 = train_briefly(models.ResNet18(), steps, size, seed).eval()
    resnet34 = embed(resnet18, models.ResNet34()).eval()
    x = mg.tensor(np.random.default_rng(seed + 1).standard_normal((4, 3, size, size)))
    with mg.no_grad():
        out18, out34 = resnet18(x).numpy(), resnet34(x).numpy()
    return float(np.abs(out18 - out34).max()), out18, resnet18, resnet34


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5, help="SGD steps of the ResNet-18 before embedding")
    parser.add_argument("--size", type=int, default=16, help="image size (32 for CIFAR-10)")
    args = parser.parse_args(argv)
    difference, out18, resnet18, resnet34 = compare(args.steps, args.size)
    print(f"ResNet-18: {sum(p.size for p in resnet18.parameters()):,} parameters; ResNet-34: "
          f"{sum(p.size for p in resnet34.parameters()):,}")
    print(f"zeroed blocks of the ResNet-34: {', '.join(extra_blocks(resnet34))}")
    print(f"ResNet-18 logits of the first image: {np.array2string(out18[0], precision=4)}")
    print(f"max |ResNet-18(x) - ResNet-34(x)| = {difference}")


if __name__ == "__main__":
    main()
