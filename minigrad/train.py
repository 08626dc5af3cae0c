"""``python -m minigrad.train``: train a model on an image-classification dataset, end to end.

    python -m minigrad.train --model lenet5 --dataset mnist --data-dir ~/data/mnist --epochs 2 --seed 0

Each epoch shows a progress bar with the running loss and accuracy, then writes the checkpoint
OUT/checkpoint.npz (model, optimizer, scheduler, random-generator and loader state, and the settings,
atomically), appends {epoch, lr, train_loss, train_acc, test_loss, test_acc, seconds} to
OUT/metrics.json (after the checkpoint, so it never lists an epoch whose checkpoint is missing) and
redraws OUT/curves.png.

``--resume OUT/checkpoint.npz --epochs N`` continues a run to N epochs in all: the settings not on
the command line are the checkpoint's, those given win and are recorded. Interrupted and resumed with
the same settings, a run's metrics equal those of an uninterrupted one. The schedule is always over
--epochs, so resuming a cosine run to more epochs continues along a cosine over the new total, and
--lr, --momentum, --weight-decay, --scheduler, --label-smoothing given at resume apply from the next
epoch. A checkpoint of another --model, --dataset, --optimizer, --batch-size, --limit-train or --seed
is an error (a new run, not a continuation), and so is --epochs not above the epochs done.

``mpirun -n K python -m minigrad.train --distributed ...`` trains data-parallel on K processes
(minigrad.distributed): each rank reads its shard of every epoch (--batch-size per rank, so the global
batch is K times it), gradients are averaged over the ranks during backward, metrics are summed over
the ranks, and rank 0 alone writes the checkpoint, metrics and curves. A checkpoint resumes only with
the same K. A rank that fails ends the job (MPI_Abort), and no collective waits longer than
$MINIGRAD_DISTRIBUTED_TIMEOUT seconds (default 300).

Errors: a bad setting or unusable checkpoint is one line and exit status 2, before any file is
written; a loss that turns nan or inf, or a checkpoint that cannot be written (a full disk), stops
training with one line and exit status 1, leaving the last good checkpoint in place.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

MODELS = ("lenet5", "lenet5-relu", "resnet18", "resnet34", "vgg", "nin")
DATASETS = ("mnist-sample", "mnist", "fashion-mnist", "cifar10")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "exponential")
DTYPES = ("float32", "float64")


DEFAULTS = dict(model="lenet5", dataset="mnist-sample", data_dir=None, download=False, device="cpu", epochs=2,
                batch_size=64, lr=None, optimizer="sgd", momentum=0.9, weight_decay=5e-4, scheduler="cosine",
                augment=False, label_smoothing=0.0, seed=0, out="runs/latest", resume=None, tta=False,
                limit_train=None, limit_test=None, quiet=False, stop_after_steps=None, dtype="float32",
                distributed=False)
# what makes a checkpoint's run that run: a different value at --resume is an error, not a continuation
RUN_IDENTITY = ("model", "dataset", "optimizer", "batch_size", "limit_train", "seed", "dtype")
NOT_RECORDED = ("resume", "stop_after_steps", "given")


class UsageError(Exception):
    """A mistake in the command line or the data: printed as one line, exit status 2."""


class RunFailed(Exception):
    """Training cannot go on (the loss diverged, the disk is full): printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse_args(argv=None):
    """The command line as a Namespace (defaults filled in), with ``given``: the settings it names.

    Every value is checked here (UsageError, before any file is written); with ``--resume`` the
    settings not given are taken from the checkpoint by ``run``.
    """
    p = _Parser(prog="python -m minigrad.train", description=__doc__.split("\n\n")[0],
                argument_default=argparse.SUPPRESS)

    def add(flag, help="", **kwargs):
        dest = flag.lstrip("-").replace("-", "_")
        default = DEFAULTS[dest]
        shown = "" if default is None or kwargs.get("action") == "store_true" else f" (default: {default})"
        p.add_argument(flag, help=help + shown if help is not argparse.SUPPRESS else help, **kwargs)

    add("--model", f"one of {', '.join(MODELS)}")
    add("--dataset", f"one of {', '.join(DATASETS)}")
    add("--data-dir", "folder with the dataset files (else the cache, see minigrad.data)")
    add("--download", "download the dataset into the cache if missing", action="store_true")
    add("--device", "cpu or cuda")
    add("--epochs", "the total number of epochs (with --resume: including those done)", type=int)
    add("--batch-size", type=int)
    add("--lr", "default: 0.05 for SGD, 1e-3 for Adam/AdamW/RMSprop", type=float)
    add("--optimizer", f"one of {', '.join(OPTIMIZERS)}")
    add("--momentum", "SGD's (Nesterov) momentum", type=float)
    add("--weight-decay", type=float)
    add("--scheduler", f"one of {', '.join(SCHEDULERS)}, over --epochs epochs")
    add("--augment", "random crops (and flips for CIFAR-10)", action="store_true")
    add("--label-smoothing", "in [0, 1]", type=float)
    add("--seed", type=int)
    add("--out", "folder for metrics.json, checkpoint.npz, curves.png")
    add("--resume", "checkpoint to continue from; settings not given are the checkpoint's", metavar="CKPT")
    add("--tta", "test-time augmentation: average over flipped/shifted copies", action="store_true")
    add("--limit-train", "use only the first N training images", type=int, metavar="N")
    add("--limit-test", "use only the first N test images", type=int, metavar="N")
    add("--quiet", "no progress bars", action="store_true")
    add("--dtype", f"one of {', '.join(DTYPES)} for the weights and images")
    add("--distributed", "data-parallel over the ranks of mpirun -n K (--batch-size is per rank)",
        action="store_true")
    add("--stop-after-steps", argparse.SUPPRESS, type=int)  # simulates a crash
    given = vars(p.parse_args(argv))
    args = argparse.Namespace(**{**DEFAULTS, **given}, given=set(given))
    if args.resume is None:
        _resolve_lr(args)
    check_args(args)
    return args


def _resolve_lr(args):
    if args.lr is None:
        args.lr = 0.05 if args.optimizer == "sgd" else 1e-3


def check_args(args):
    """Raise UsageError (one line) for the first bad setting."""
    for name, value, valid in (("model", args.model, MODELS), ("dataset", args.dataset, DATASETS),
                               ("optimizer", args.optimizer, OPTIMIZERS), ("scheduler", args.scheduler, SCHEDULERS),
                               ("dtype", args.dtype, DTYPES)):
        if value not in valid:
            raise UsageError(f"unknown {name} {value!r}; choose one of: {', '.join(valid)}")
    if args.device not in ("cpu", "cuda"):
        raise UsageError(f"unknown device {args.device!r}; choose cpu or cuda")
    if args.epochs < 1 or args.batch_size < 1:
        raise UsageError("--epochs and --batch-size must be at least 1")
    for flag, value in (("--lr", args.lr), ("--momentum", args.momentum), ("--weight-decay", args.weight_decay)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise UsageError(f"{flag} must be a finite number >= 0, got {value}")
    if not 0.0 <= args.label_smoothing <= 1.0:
        raise UsageError(f"--label-smoothing must be in [0, 1], got {args.label_smoothing}")
    for flag, value in (("--limit-train", args.limit_train), ("--limit-test", args.limit_test),
                        ("--stop-after-steps", args.stop_after_steps)):
        if value is not None and value < 1:
            raise UsageError(f"{flag} must be at least 1, got {value}")
    if not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed must be an integer in [0, 2**63), got {args.seed}")
    _check_out_folder(args.out)


def _check_out_folder(out):
    """--out must be a folder, or a path where one can be made, that we may write into."""
    folder = Path(out).expanduser()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if existing == folder and not folder.is_dir():
        raise UsageError(f"--out {out} is a file; give a folder")
    if not existing.is_dir():
        raise UsageError(f"--out {out} cannot be made: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"--out {out} is not writable ({existing} does not let this user write into it)")


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
    if args.limit_train is not None:
        train = data.Subset(train, range(min(args.limit_train, len(train))))
    if args.limit_test is not None:
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


def optimizer_settings(args) -> dict:
    """The hyperparameters the command line sets, for the chosen optimizer."""
    settings = dict(lr=args.lr, weight_decay=args.weight_decay)
    if args.optimizer == "sgd":
        settings.update(momentum=args.momentum, nesterov=args.momentum > 0)
    return settings


def build_optimizer(args, model):
    from . import optim

    kinds = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop}
    return kinds[args.optimizer](model.parameters(), **optimizer_settings(args))


def build_scheduler(args, opt, epochs_done=0):
    """The schedule over ``args.epochs`` epochs, advanced past the ``epochs_done`` already trained (its
    rates are a formula of the epoch, so this continues an interrupted run exactly)."""
    from . import optim

    if args.scheduler == "none":
        return None
    for group in opt.param_groups:
        group.pop("initial_lr", None)
    if args.scheduler == "step":
        sched = optim.lr_scheduler.StepLR(opt, step_size=max(1, args.epochs // 3), gamma=0.1)
    elif args.scheduler == "cosine":
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    else:
        sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    for _ in range(epochs_done):
        sched.step()
    return sched


def _progress(iterable, total, desc, quiet):
    if quiet:
        return iterable
    from tqdm.auto import tqdm
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


class _RunningSums:
    """Loss sum and correct count of the batches so far. On the CPU they are Python numbers; on another
    device they stay there (float64 and int64 tensors), so a step copies nothing back and never waits:
    ``read()`` (one copy back each) runs only when the progress bar shows them and at the end."""

    REFRESH_STEPS = 50  # a progress-bar refresh every this many steps

    def __init__(self, device):
        self.on_host = device == "cpu"
        self.loss = 0.0 if self.on_host else None
        self.correct = 0 if self.on_host else None
        self.seen = 0

    def add(self, loss, logits, y):
        n = y.shape[0]
        if self.on_host:
            self.loss += loss.item() * n
            self.correct += int((logits.argmax(axis=1) == y).numpy().sum())
        else:
            batch_loss = loss.detach().double() * n
            right = (logits.detach().argmax(axis=1) == y).sum()
            self.loss = batch_loss if self.loss is None else self.loss + batch_loss
            self.correct = right if self.correct is None else self.correct + right
        self.seen += n

    def read(self):
        """(loss sum, correct count) as Python numbers."""
        if self.on_host or self.loss is None:
            return float(self.loss or 0.0), int(self.correct or 0)
        return self.loss.item(), int(self.correct.item())


def _show(bar, sums, what):
    """Read the running sums (stopping on a nan or inf loss) and show them on the progress bar."""
    total_loss, correct = sums.read()
    _check_finite(total_loss, what)
    if hasattr(bar, "set_postfix") and sums.seen:
        bar.set_postfix(loss=f"{total_loss / sums.seen:.4f}", acc=f"{100 * correct / sums.seen:.2f}%")
    return total_loss, correct


def train_one_epoch(model, loader, opt, args, epoch, F, mg, steps_done):
    model.train()
    sums = _RunningSums(args.device)
    bar = _progress(loader, len(loader), f"epoch {epoch}/{args.epochs} train", args.quiet)
    for step, (x, y) in enumerate(bar, 1):
        x = x.to(args.device, dtype=args.dtype)
        logits = model(x)
        loss = F.cross_entropy(logits, y, label_smoothing=args.label_smoothing)  # host labels: checked, then uploaded
        opt.zero_grad()
        loss.backward()  # (data-parallel: the gradients are averaged over the ranks by the time it returns)
        if hasattr(model, "finish_gradient_sync"):
            model.finish_gradient_sync()
        opt.step()
        with mg.no_grad():
            sums.add(loss, logits, y.to(args.device))
        steps_done += 1
        if sums.on_host or step % sums.REFRESH_STEPS == 0:
            _show(bar, sums, f"training loss at epoch {epoch}, step {step}")
        if args.stop_after_steps is not None and steps_done >= args.stop_after_steps:
            raise KeyboardInterrupt(f"stopped after {steps_done} steps (--stop-after-steps)")
    total_loss, correct = _show(bar, sums, f"training loss at epoch {epoch}")
    total_loss, correct, seen = _sum_over_ranks(args, total_loss, correct, sums.seen)
    return total_loss / seen, correct / seen, steps_done


def evaluate(model, loader, args, F, mg, desc="test"):
    model.eval()
    sums = _RunningSums(args.device)
    with mg.no_grad():
        for x, y in _progress(loader, len(loader), desc, args.quiet):
            x = x.to(args.device, dtype=args.dtype)
            if args.tta:
                logits = sum(model(v).softmax(axis=1) for v in _tta_views(x)).log()
                loss = F.nll_loss(logits - logits.logsumexp(axis=1, keepdims=True), y)
            else:
                logits = model(x)
                loss = F.cross_entropy(logits, y)
            sums.add(loss, logits, y.to(args.device))
    total_loss, correct = sums.read()
    total_loss, correct, seen = _sum_over_ranks(args, total_loss, correct, sums.seen)
    return total_loss / seen, correct / seen


def _sum_over_ranks(args, total_loss, correct, seen):
    """The epoch's sums over all ranks (each rank has seen only its shard)."""
    if not args.distributed:
        return total_loss, correct, seen
    from .distributed import all_reduce_array
    loss, right, count = all_reduce_array(np.array([total_loss, correct, seen], dtype=np.float64))
    return float(loss), int(right), int(count)


def _check_finite(value, what):
    if not math.isfinite(value):
        raise _Diverged(f"the {what} is {value}")


class _Diverged(Exception):
    """A loss that is nan or inf (turned into RunFailed by ``run``, which knows the checkpoint)."""


def _write_json(path, obj):
    from .atomic import atomic_write

    with atomic_write(path) as f:
        f.write(json.dumps(obj, indent=1).encode())


# ---- resuming -------------------------------------------------------------------------------------

CHECKPOINT_ENTRIES = {"model", "optimizer", "scheduler", "rng", "loader", "history", "epoch", "args"}


def load_checkpoint(args):
    """Read ``--resume``'s checkpoint and complete ``args`` from it: settings the command line gives win
    (and are recorded), the others are the checkpoint's, and ``--out`` is by default the checkpoint's
    folder. Raises UsageError when the checkpoint is of another run (model, dataset, optimizer, batch
    size, data limit, seed) or has done ``--epochs`` already."""
    import minigrad as mg

    path = args.resume
    try:
        state = mg.load(path)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot resume from {path}: {e}") from None
    if not isinstance(state, dict) or not CHECKPOINT_ENTRIES <= set(state) or not isinstance(state["args"], dict):
        raise UsageError(f"cannot resume from {path}: it is not a checkpoint written by minigrad.train")
    recorded = state["args"]
    for key in RUN_IDENTITY:
        if key in args.given and key in recorded and getattr(args, key) != recorded[key]:
            flag = "--" + key.replace("_", "-")
            raise UsageError(f"{path} is a checkpoint of a run with {flag} {recorded[key]}, not {getattr(args, key)}; "
                             f"drop --resume to start a new run")
    for key, value in recorded.items():
        if key in DEFAULTS and key not in args.given and key not in NOT_RECORDED:
            setattr(args, key, value)
    if "out" not in args.given:  # the checkpoint's folder, wherever it has moved since
        args.out = os.path.dirname(path) or "."
    _resolve_lr(args)
    check_args(args)
    done = state["epoch"]
    history = state["history"]
    if isinstance(done, bool) or not isinstance(done, int) or not isinstance(history, list) or len(history) != done:
        raise UsageError(f"cannot resume from {path}: its epoch count {done!r} does not match its history")
    if args.epochs <= done:
        raise UsageError(f"{path} has already trained {done} epoch{'s' if done > 1 else ''}; "
                         f"pass --epochs {done + 1} or more to train further")
    return state


def restore(state, args, model, opt, train_loader):
    """Load the checkpoint's model, optimizer, random-generator and loader state, then apply the
    command line's hyperparameters to the optimizer."""
    import minigrad as mg

    try:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        mg.set_rng_state(state["rng"])
        train_loader.load_state_dict(state["loader"])
    except (ValueError, TypeError, KeyError) as e:
        raise UsageError(f"cannot resume from {args.resume}: {str(e).splitlines()[0]}") from None
    for group in opt.param_groups:
        group.update(optimizer_settings(args))
    return list(state["history"]), state["epoch"]


# ---- data parallel --------------------------------------------------------------------------------

def join_ranks(args, state):
    """The World (one process unless --distributed under mpirun), after checking that mpirun was not
    given without --distributed and that a checkpoint resumes with the K ranks that wrote it."""
    launched = int(os.environ.get("OMPI_COMM_WORLD_SIZE", os.environ.get("PMI_SIZE", "1")))
    if launched > 1 and not args.distributed:
        raise UsageError(f"started by mpirun as {launched} processes without --distributed: pass --distributed "
                         f"(else {launched} separate runs would write the same --out)")
    if args.distributed:
        from . import distributed
        try:
            world = distributed.init()
        except RuntimeError as e:
            raise UsageError(str(e)) from None
    else:
        world = None
    size = 1 if world is None else world.size
    if state is not None and state["args"].get("world_size", 1) != size:
        ranks = state["args"].get("world_size", 1)
        raise UsageError(f"{args.resume} was written by {ranks} rank{'s' if ranks > 1 else ''} and this run has "
                         f"{size}; resume it with mpirun -n {ranks} python -m minigrad.train --distributed"
                         if ranks > 1 else f"{args.resume} was written by one process; resume it without mpirun")
    args.world_size = size
    if world is not None and world.rank != 0:
        args.quiet = True
    return world


def build_loaders(args, train_set, test_set, world):
    """The loaders of this rank: its shard of every epoch (seeded shuffle) and of the test set."""
    from . import data

    test_batch = max(256, args.batch_size)
    if world is None or world.size == 1:
        return (data.DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed),
                data.DataLoader(test_set, batch_size=test_batch, shuffle=False))
    train_shard = data.DistributedSampler(train_set, shuffle=True, seed=args.seed)
    test_shard = data.DistributedSampler(test_set, shuffle=False, pad=False)
    return (data.DataLoader(train_set, batch_size=args.batch_size, sampler=train_shard, seed=args.seed),
            data.DataLoader(test_set, batch_size=test_batch, sampler=test_shard))


def announce(world, args, model):
    if world is not None and world.rank == 0:
        print(f"distributed: {world.size} ranks x --batch-size {args.batch_size} = global batch "
              f"{world.size * args.batch_size}; gradients averaged over MPI during backward in "
              f"{len(model.buckets)} bucket(s); only rank 0 writes {args.out}; the ranks' weights are "
              "checked bitwise equal after every epoch", flush=True)


# ---- the run --------------------------------------------------------------------------------------

def run(args) -> list:
    import minigrad as mg
    import minigrad.nn.functional as F
    from . import data
    from .curves import plot_curves

    state = load_checkpoint(args) if args.resume else None
    world = join_ranks(args, state)
    parallel = world is not None and world.size > 1
    if parallel and args.device == "cuda":
        from .distributed.nccl import bind_gpu
        bind_gpu()
    if args.device == "cuda":
        try:
            mg.zeros(1, device="cuda")
        except RuntimeError as e:
            raise UsageError(str(e).splitlines()[0]) from None
    mg.manual_seed(args.seed)
    train_set, test_set = build_data(args)
    in_channels = int(np.shape(train_set[0][0])[0])
    net = build_model(args, in_channels).to(args.device, dtype=args.dtype)
    train_loader, test_loader = build_loaders(args, train_set, test_set, world)
    opt = build_optimizer(args, net)
    history, done = restore(state, args, net, opt, train_loader) if state else ([], 0)
    model = net
    if parallel:
        from .distributed import DistributedDataParallel
        model = DistributedDataParallel(net)
        announce(world, args, model)
    writes = world is None or world.rank == 0
    sched = build_scheduler(args, opt, done)
    if writes:
        os.makedirs(args.out, exist_ok=True)
    ckpt_path = os.path.join(args.out, "checkpoint.npz")
    steps_done, last_saved = 0, (args.resume, done) if state else None
    for epoch in range(done + 1, args.epochs + 1):
        t0 = time.perf_counter()
        lr = opt.param_groups[0]["lr"]
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a nan loss is reported below
                train_loss, train_acc, steps_done = train_one_epoch(model, train_loader, opt, args, epoch, F, mg,
                                                                    steps_done)
                test_loss, test_acc = evaluate(model, test_loader, args, F, mg)
            _check_finite(test_loss, f"test loss at epoch {epoch}")
        except _Diverged as e:
            kept = "no checkpoint was written" if last_saved is None else "{} still holds epoch {}".format(*last_saved)
            raise RunFailed(f"{e}: training stopped ({kept}); try a smaller --lr") from None
        if sched is not None:
            sched.step()
        if parallel:
            try:
                model.assert_replicas_equal()
            except RuntimeError as e:
                raise RunFailed(f"after epoch {epoch}: {e}") from None
        history.append({"epoch": epoch, "lr": lr, "train_loss": train_loss, "train_acc": train_acc,
                        "test_loss": test_loss, "test_acc": test_acc, "seconds": round(time.perf_counter() - t0, 3)})
        if not writes:
            continue
        try:  # the checkpoint first: metrics.json never lists an epoch whose checkpoint is missing
            mg.save({"model": net.state_dict(), "optimizer": opt.state_dict(),
                     "scheduler": None if sched is None else sched.state_dict(), "rng": mg.get_rng_state(),
                     "loader": train_loader.state_dict(), "history": history, "epoch": epoch,
                     "args": {k: v for k, v in vars(args).items() if k not in NOT_RECORDED}}, ckpt_path)
            last_saved = (ckpt_path, epoch)
            _write_json(os.path.join(args.out, "metrics.json"), history)
            plot_curves(history, os.path.join(args.out, "curves.png"))
        except OSError as e:
            raise RunFailed(f"cannot save epoch {epoch}: {e}") from None
        print(f"epoch {epoch}: train loss {train_loss:.4f} acc {100 * train_acc:.2f}% | test loss {test_loss:.4f} "
              f"acc {100 * test_acc:.2f}% | lr {lr:.4g} | {history[-1]['seconds']:.1f} s", flush=True)
    return history


def _rank():
    """(rank, world size) of this process: (0, 1) unless minigrad.distributed was joined."""
    joined = sys.modules.get("minigrad.distributed.world")
    world = None if joined is None else joined._world
    return (0, 1) if world is None else (world.rank, world.size)


def main(argv=None) -> int:
    """Errors every rank meets alike (a bad setting, an interruption) are printed once, by rank 0; a
    failure of one rank (RunFailed, anything unexpected) ends all of them through MPI_Abort."""
    args = None
    try:
        args = parse_args(argv)
        run(args)
    except UsageError as e:
        if _rank()[0] == 0:
            print(f"minigrad.train: error: {e}", file=sys.stderr)
        return 2
    except RunFailed as e:
        if _rank()[1] > 1:
            from .distributed import abort
            abort(f"minigrad.train: error: {e}", 1)
        print(f"minigrad.train: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        if _rank()[0] == 0:
            print(f"minigrad.train: interrupted ({e}); continue with --resume "
                  f"{os.path.join(args.out, 'checkpoint.npz')}", file=sys.stderr)
        return 130
    if _rank()[0] == 0:
        print(f"metrics: {os.path.join(args.out, 'metrics.json')}; checkpoint: "
              f"{os.path.join(args.out, 'checkpoint.npz')}; curves: {os.path.join(args.out, 'curves.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
