"""``python -m minigrad.train``: train a model on an image-classification dataset, end to end.

    python -m minigrad.train --model lenet5 --dataset mnist --data-dir ~/data/mnist --epochs 2 --seed 0

Each epoch shows a progress bar with the running loss and accuracy, then appends
{epoch, train_loss, train_acc, test_loss, test_acc, seconds} to OUT/metrics.json, writes the
checkpoint OUT/checkpoint.npz (model, optimizer, scheduler and random-generator state, atomically)
and redraws OUT/curves.png. ``--resume OUT/checkpoint.npz`` continues a run so that its metrics equal
those of an uninterrupted run with the same seed.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

MODELS = ("lenet5", "lenet5-relu", "resnet18", "resnet34", "vgg", "nin")
DATASETS = ("mnist-sample", "mnist", "fashion-mnist", "cifar10")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "exponential")


class UsageError(Exception):
    """A mistake in the command line or the data: printed as one line, exit status 2."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m minigrad.train", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="lenet5", help=f"one of {', '.join(MODELS)}")
    p.add_argument("--dataset", default="mnist-sample", help=f"one of {', '.join(DATASETS)}")
    p.add_argument("--data-dir", default=None, help="folder with the dataset files (else the cache, see minigrad.data)")
    p.add_argument("--download", action="store_true", help="download the dataset into the cache if missing")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None, help="default: 0.05 for SGD, 1e-3 for Adam/AdamW/RMSprop")
    p.add_argument("--optimizer", default="sgd", help=f"one of {', '.join(OPTIMIZERS)}")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--scheduler", default="cosine", help=f"one of {', '.join(SCHEDULERS)}")
    p.add_argument("--augment", action="store_true", help="random crops (and flips for CIFAR-10)")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs/latest", help="folder for metrics.json, checkpoint.npz, curves.png")
    p.add_argument("--resume", default=None, metavar="CKPT", help="checkpoint to continue from")
    p.add_argument("--tta", action="store_true", help="test-time augmentation: average over flipped/shifted copies")
    p.add_argument("--limit-train", type=int, default=None, metavar="N", help="use only the first N training images")
    p.add_argument("--limit-test", type=int, default=None, metavar="N", help="use only the first N test images")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--stop-after-steps", type=int, default=None, help=argparse.SUPPRESS)  # simulates a crash
    args = p.parse_args(argv)
    for name, value, valid in (("model", args.model, MODELS), ("dataset", args.dataset, DATASETS),
                               ("optimizer", args.optimizer, OPTIMIZERS), ("scheduler", args.scheduler, SCHEDULERS)):
        if value not in valid:
            raise UsageError(f"unknown {name} {value!r}; choose one of: {', '.join(valid)}")
    if args.device not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {args.device!r}; choose cpu or cuda")
    if args.epochs < 1 or args.batch_size < 1:
        raise UsageError("--epochs and --batch-size must be at least 1")
    if args.lr is None:
        args.lr = 0.05 if args.optimizer == "sgd" else 1e-3
    return args


# ---- pieces -------------------------------------------------------------------------------------

def build_data(args):
    from . import data

    pad_to = 32 if args.model in ("resnet18", "resnet34", "vgg", "nin") and args.dataset != "cifar10" else None
    try:
        train = data.get_dataset(args.dataset, root=args.data_dir, train=True, download=args.download,
                                 augment=args.augment, pad_to=pad_to)
        test = data.get_dataset(args.dataset, root=args.data_dir, train=False, download=args.download,
                                augment=False, pad_to=pad_to)
    except (FileNotFoundError, ValueError, OSError) as e:
        raise UsageError(str(e).splitlines()[0]) from None
    if args.limit_train:
        train = data.Subset(train, range(min(args.limit_train, len(train))))
    if args.limit_test:
        test = data.Subset(test, range(min(args.limit_test, len(test))))
    return train, test


def build_model(args, in_channels, num_classes=10):
    from . import models

    if args.model.startswith("lenet5"):
        variant = "relu" if args.model == "lenet5-relu" else "classic"
        return models.LeNet5(variant=variant, num_classes=num_classes, in_channels=in_channels)
    if args.model == "resnet18":
        return models.ResNet18(num_classes=num_classes, in_channels=in_channels)
    if args.model == "resnet34":
        return models.ResNet34(num_classes=num_classes, in_channels=in_channels)
    if args.model == "vgg":
        return models.VGG("VGG11", num_classes=num_classes, in_channels=in_channels)
    return models.NiN(num_classes=num_classes, in_channels=in_channels)


def build_optimizer(args, model, steps_per_epoch):
    from . import optim

    params = model.parameters()
    if args.optimizer == "sgd":
        opt = optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay, nesterov=args.momentum > 0)
    elif args.optimizer == "adam":
        opt = optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    elif args.optimizer == "adamw":
        opt = optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    else:
        opt = optim.RMSprop(params, lr=args.lr, weight_decay=args.weight_decay)
    sched = None
    if args.scheduler == "step":
        sched = optim.lr_scheduler.StepLR(opt, step_size=max(1, args.epochs // 3), gamma=0.1)
    elif args.scheduler == "cosine":
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    elif args.scheduler == "exponential":
        sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    return opt, sched


def _progress(iterable, total, desc, quiet):
    if quiet:
        return iterable
    from tqdm import tqdm
    return tqdm(iterable, total=total, desc=desc, leave=True, dynamic_ncols=True, file=sys.stderr)


def _tta_views(x):
    """The batch itself plus horizontally flipped (images wider than 28) or 1-pixel shifted copies."""
    views = [x]
    if x.shape[-1] >= 32:
        views.append(x[..., ::-1])
    else:
        padded = x.pad(((0, 0), (0, 0), (1, 1), (1, 1)))
        views += [padded[..., 1:-1, :-2], padded[..., 1:-1, 2:]]
    return views


def train_one_epoch(model, loader, opt, args, epoch, F, mg, steps_done):
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    bar = _progress(loader, len(loader), f"epoch {epoch}/{args.epochs} train", args.quiet)
    for x, y in bar:
        x, y = x.to(args.device), y.to(args.device)
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)
        opt.zero_grad()
        loss.backward()
        opt.step()
        n = y.shape[0]
        total_loss += loss.item() * n
        correct += int((logits.argmax(axis=1) == y).numpy().sum())
        seen += n
        steps_done += 1
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{100 * correct / seen:.2f}%")
        if args.stop_after_steps is not None and steps_done >= args.stop_after_steps:
            raise KeyboardInterrupt(f"stopped after {steps_done} steps (--stop-after-steps)")
    return total_loss / seen, correct / seen, steps_done


def evaluate(model, loader, args, F, mg, desc="test"):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with mg.no_grad():
        for x, y in _progress(loader, len(loader), desc, args.quiet):
            x, y = x.to(args.device), y.to(args.device)
            if args.tta:
                logits = sum(model(v).softmax(axis=1) for v in _tta_views(x)).log()
                loss = F.nll_loss(logits - logits.logsumexp(axis=1, keepdims=True), y)
            else:
                logits = model(x)
                loss = F.cross_entropy(logits, y)
            n = y.shape[0]
            total_loss += loss.item() * n
            correct += int((logits.argmax(axis=1) == y).numpy().sum())
            seen += n
    return total_loss / seen, correct / seen


def _write_json(path, obj):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
    os.replace(tmp, path)


# ---- the run --------------------------------------------------------------------------------------

def run(args) -> list:
    import minigrad as mg
    import minigrad.nn.functional as F
    from . import data
    from .curves import plot_curves

    if args.device == "cuda":
        try:
            mg.zeros(1, device="cuda")
        except RuntimeError as e:
            raise UsageError(str(e).splitlines()[0]) from None
    mg.manual_seed(args.seed)
    train_set, test_set = build_data(args)
    in_channels = int(np.shape(train_set[0][0])[0])
    model = build_model(args, in_channels).to(args.device)
    train_loader = data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = data.DataLoader(test_set, batch_size=max(256, args.batch_size), shuffle=False)
    opt, sched = build_optimizer(args, model, len(train_loader))
    history, start_epoch = [], 1
    os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.npz")
    if args.resume:
        try:
            state = mg.load(args.resume)
        except (OSError, ValueError) as e:
            raise UsageError(f"cannot resume from {args.resume}: {e}") from None
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        if sched is not None and state.get("scheduler") is not None:
            sched.load_state_dict(state["scheduler"])
        mg.set_rng_state(state["rng"])
        train_loader.load_state_dict(state["loader"])
        history = list(state["history"])
        start_epoch = int(state["epoch"]) + 1
    steps_done = 0
    for epoch in range(start_epoch, args.epochs + 1):
        t0 = time.perf_counter()
        train_loss, train_acc, steps_done = train_one_epoch(model, train_loader, opt, args, epoch, F, mg, steps_done)
        test_loss, test_acc = evaluate(model, test_loader, args, F, mg)
        if sched is not None:
            sched.step()
        history.append({"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc, "test_loss": test_loss,
                        "test_acc": test_acc, "seconds": round(time.perf_counter() - t0, 3)})
        _write_json(os.path.join(args.out, "metrics.json"), history)
        mg.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                 "scheduler": None if sched is None else sched.state_dict(), "rng": mg.get_rng_state(),
                 "loader": train_loader.state_dict(), "history": history, "epoch": epoch,
                 "args": {k: v for k, v in vars(args).items() if k not in ("resume", "stop_after_steps")}},
                ckpt_path)
        plot_curves(history, os.path.join(args.out, "curves.png"))
        print(f"epoch {epoch}: train loss {train_loss:.4f} acc {100 * train_acc:.2f}% | test loss {test_loss:.4f} "
              f"acc {100 * test_acc:.2f}% | {history[-1]['seconds']:.1f} s", flush=True)
    return history


def main(argv=None) -> int:
    try:
        args = parse_args(argv)
        run(args)
    except UsageError as e:
        print(f"minigrad.train: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print(f"minigrad.train: interrupted ({e}); continue with --resume {os.path.join(args.out, 'checkpoint.npz')}",
              file=sys.stderr)
        return 130
    print(f"metrics: {os.path.join(args.out, 'metrics.json')}; checkpoint: {os.path.join(args.out, 'checkpoint.npz')}; "
          f"curves: {os.path.join(args.out, 'curves.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
