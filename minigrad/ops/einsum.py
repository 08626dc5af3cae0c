"""einsum over the existing ops: diagonals (repeated labels), sums (labels that disappear) and one
batched matmul per pair of operands (shared labels are batch axes or are contracted).

    einsum("ij,jk->ik", a, b) = a @ b;   einsum("ii->", a) = trace;   einsum("bij,bjk->bik", ...)
"""
import math
import string


def _parse(subscripts, operands):
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands but {len(operands)} were given")
    free = iter(c for c in string.ascii_uppercase + string.ascii_lowercase if c not in spec)
    ellipsis = ""
    widths = [x.ndim - len(t.replace("...", "")) for t, x in zip(terms, operands) if "..." in t]
    if widths:
        ellipsis = "".join(next(free) for _ in range(max(widths)))
    labels = []
    for t, x in zip(terms, operands):
        if "..." in t:
            width = x.ndim - len(t.replace("...", ""))
            t = t.replace("...", ellipsis[len(ellipsis) - width:])
        if len(t) != x.ndim or not all(c.isalpha() for c in t):
            raise ValueError(f"einsum: term {t!r} does not fit an operand of shape {x.shape}")
        labels.append(t)
    if arrow:
        out = output.replace("...", ellipsis)
        if len(set(out)) != len(out) or any(c not in "".join(labels) for c in out):
            raise ValueError(f"einsum: output {output!r} repeats a label or names one no input has")
    else:
        every = "".join(labels)
        out = ellipsis + "".join(sorted(c for c in set(every) if every.count(c) == 1 and c not in ellipsis))
    return labels, out


def _take_diagonals(x, labels):
    while True:
        repeated = next((c for c in labels if labels.count(c) > 1), None)
        if repeated is None:
            return x, labels
        i = labels.index(repeated)
        j = labels.index(repeated, i + 1)
        if x.shape[i] != x.shape[j]:
            raise ValueError(f"einsum: label {repeated!r} has sizes {x.shape[i]} and {x.shape[j]}")
        x = x.diagonal(0, i, j)
        labels = "".join(c for k, c in enumerate(labels) if k not in (i, j)) + repeated


def _sum_out(x, labels, keep):
    axes = tuple(k for k, c in enumerate(labels) if c not in keep)
    if not axes:
        return x, labels
    return x.sum(axis=axes), "".join(c for c in labels if c in keep)


def _contract(a, la, b, lb, keep):
    """The product of a and b summed over their shared labels that are not in ``keep``."""
    for c in set(la) & set(lb):
        if a.shape[la.index(c)] != b.shape[lb.index(c)]:
            raise ValueError(f"einsum: label {c!r} has sizes {a.shape[la.index(c)]} and {b.shape[lb.index(c)]}")
    batch = [c for c in la if c in lb and c in keep]
    summed = [c for c in la if c in lb and c not in keep]
    left = [c for c in la if c not in lb]
    right = [c for c in lb if c not in la]
    size = {**dict(zip(la, a.shape)), **dict(zip(lb, b.shape))}
    batch_shape = tuple(size[c] for c in batch)
    a2 = a.permute(*[la.index(c) for c in batch + left + summed]).reshape(
        batch_shape + (math.prod(size[c] for c in left), math.prod(size[c] for c in summed)))
    b2 = b.permute(*[lb.index(c) for c in batch + summed + right]).reshape(
        batch_shape + (math.prod(size[c] for c in summed), math.prod(size[c] for c in right)))
    out = (a2 @ b2).reshape(batch_shape + tuple(size[c] for c in left) + tuple(size[c] for c in right))
    return out, "".join(batch + left + right)


def einsum(subscripts, *operands):
    """Einstein summation, as torch.einsum (operands as separate arguments or one list)."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: needs at least one operand")
    labels, out = _parse(subscripts, operands)
    terms = [_take_diagonals(x, t) for x, t in zip(operands, labels)]
    x, lx = terms[0]
    for k, (y, ly) in enumerate(terms[1:], start=1):
        later = out + "".join(t for _, t in terms[k + 1:])
        x, lx = _sum_out(x, lx, later + ly)
        y, ly = _sum_out(y, ly, later + lx)
        x, lx = _contract(x, lx, y, ly, later)
    x, lx = _sum_out(x, lx, out)
    return x.permute(*[lx.index(c) for c in out]) if x.ndim > 1 else x
