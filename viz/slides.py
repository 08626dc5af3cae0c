"""Fitting drawings to slides: an aspect ratio (wrap the layout into rows until it is closest, then pad to
it exactly), larger fonts, and where the legend goes.

    viz.draw(f, aspect="16:9", font_scale=1.5)
    viz.steps(f, x, y, mode="reverse", aspect="16:9")     # one choice of rows for every frame
"""
from __future__ import annotations

import math
import re
import warnings

LEGEND_PLACES = (True, False, "right", "left")
ROW_BREAK_TOLERANCE = 0.2  # text this much smaller is worth fewer edges running from one row into the next
SMALL_GRAPH_COLUMNS = 12
SLIDE_FONT_SCALE = 2.5      # step frames fitted to an aspect: text grows against the gaps between nodes


def parse_aspect(aspect, where: str = "viz.draw") -> float | None:
    """"16:9" or 16/9 → width / height, None → None."""
    if aspect is None:
        return None
    if isinstance(aspect, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:x/]\s*(\d+(?:\.\d+)?)\s*", aspect)
        ratio = float(match.group(1)) / float(match.group(2)) if match and float(match.group(2)) else None
    elif isinstance(aspect, (int, float)) and not isinstance(aspect, bool):
        ratio = float(aspect)
    else:
        ratio = None
    if ratio is None or not (0.1 <= ratio <= 10):
        raise ValueError(f"{where}: aspect must be 'W:H' like '16:9' or a width/height ratio from 0.1 to 10, "
                         f"got {aspect!r}")
    return ratio


def check_font_scale(font_scale, where: str = "viz.draw") -> float:
    if isinstance(font_scale, bool) or not isinstance(font_scale, (int, float)) or not 0.25 <= font_scale <= 4:
        raise ValueError(f"{where}: font_scale must be a number from 0.25 to 4, got {font_scale!r}")
    return float(font_scale)


def check_legend(legend, where: str = "viz.draw"):
    if legend not in LEGEND_PLACES or isinstance(legend, int) and not isinstance(legend, bool):
        raise ValueError(f"{where}: legend must be True, False, 'right' or 'left', got {legend!r}")
    return legend


_SIZES = re.compile(r'((?:fontsize|labelfontsize)=|POINT-SIZE=|WIDTH=|HEIGHT=)"?(\d+(?:\.\d+)?)"?')


def scale_fonts(dot, factor: float):
    """Multiply every font size, and the fixed cell sizes made to hold the text, by ``factor`` (in place)."""
    if factor == 1:
        return dot

    def scaled(match):
        return f'{match.group(1)}"{float(match.group(2)) * factor:.4g}"'

    dot.body[:] = [_SIZES.sub(scaled, line) for line in dot.body]
    for attrs in (dot.graph_attr, dot.node_attr, dot.edge_attr):
        if "fontsize" in attrs:
            attrs["fontsize"] = f"{float(attrs['fontsize']) * factor:.4g}"
        if "label" in attrs:
            attrs["label"] = _SIZES.sub(scaled, attrs["label"])
    return dot


def bounding_box(dot) -> tuple:
    """(width, height) in points of the laid-out drawing."""
    from .rendering import pipe

    svg = pipe(dot, "svg").decode("utf-8")
    match = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(match.group(1)), float(match.group(2))


def wrap_choices(columns: int) -> list:
    """None (one row), then rows of fewer and fewer columns: the even splits into 2 to 6 rows and, in a
    small graph (up to SMALL_GRAPH_COLUMNS), each one column narrower, where one column decides which edges
    a break cuts."""
    even = {math.ceil(columns / rows) for rows in range(2, 7)}
    shifts = (0, 1) if columns <= SMALL_GRAPH_COLUMNS else (0,)
    widths = sorted({w - shift for w in even for shift in shifts if w - shift >= 2}, reverse=True)
    return [None] + widths


def rows_out_of_order(dot) -> list:
    """Rows of a wrapped drawing (``dot.rows``: node id -> row) that dot placed above or into the row
    before them, as (row, next row) pairs; [] when the layout reads like lines of text."""
    from .rendering import pipe

    rows = getattr(dot, "rows", {})
    if not rows:
        return []
    top, bottom = {}, {}
    for line in pipe(dot, "plain").decode("utf-8").splitlines():
        parts = line.split()
        if parts[:1] == ["node"] and parts[1].strip('"') in rows:
            row, y, half = rows[parts[1].strip('"')], float(parts[3]), float(parts[5]) / 2
            top[row] = max(top.get(row, y + half), y + half)         # plain's y grows upwards
            bottom[row] = min(bottom.get(row, y - half), y - half)
    order = sorted(top)
    return [(upper, lower) for upper, lower in zip(order, order[1:]) if bottom[upper] <= top[lower]]


def in_reading_order(make, wrap):
    """``make(wrap)``, or, when dot lays its rows out of order (or fails on it), ``make(wrap, markers=True)``
    with invisible row markers that hold the rows in order, if that one reads in order."""
    dot = make(wrap)
    try:
        if not rows_out_of_order(dot):
            return dot
    except RuntimeError:
        pass
    marked = make(wrap, markers=True)
    try:
        return marked if not rows_out_of_order(marked) else make(wrap)
    except RuntimeError:
        return make(wrap)


def fit_aspect(make, columns: int, ratio: float, where: str = "viz.draw"):
    """The ``wrap`` (columns per row, or None) whose drawing ``make(wrap)``, scaled to fit a page of
    ``ratio`` = width / height, has the largest text, and that drawing padded to the ratio exactly
    (Graphviz's ``ratio`` spreads the layout; it never stretches text). Of the wraps whose text is within
    ROW_BREAK_TOLERANCE of the largest, the one with the fewest edges into another row wins (each runs across
    the picture from the end of one row to the start of the next). A wrap that dot cannot lay out,
    or lays out with its rows out of reading order, is skipped; when that leaves only the one-row drawing,
    a RuntimeWarning names the wraps skipped and why."""
    candidates, skipped, choices = [], [], wrap_choices(columns)
    for wrap in choices:
        dot = make(wrap) if wrap is None else in_reading_order(make, wrap)
        try:
            width, height = bounding_box(dot)
            misplaced = rows_out_of_order(dot)
        except RuntimeError as error:
            skipped.append(f"wrap={wrap} ({str(error).splitlines()[0][-90:]})")
            continue
        if misplaced:
            skipped.append(f"wrap={wrap} (rows {misplaced[0][0] + 1} and {misplaced[0][1] + 1} out of order)")
            continue
        candidates.append((min(ratio / width, 1 / height), wrap, dot))
    if not candidates:
        raise RuntimeError(f"{where}: Graphviz could not lay out any of the wraps tried for aspect "
                           f"({'; '.join(skipped)}); draw without aspect")
    if len(choices) > 1 and len(skipped) == len(choices) - 1:
        warnings.warn(f"{where}: aspect could not wrap the drawing into rows ({'; '.join(skipped)}), so it is one "
                      "row padded to the aspect; pass wrap= to choose the rows yourself", RuntimeWarning,
                      stacklevel=3)
    largest = max(size for size, _, _ in candidates)
    legible = [c for c in candidates if c[0] >= largest * (1 - ROW_BREAK_TOLERANCE)]
    _, wrap, dot = min(legible, key=lambda c: (getattr(c[2], "row_crossings", 0), -c[0]))
    return wrap, pad_to(dot, ratio)


def ratio_attribute(dot, ratio: float) -> str:
    """Graphviz's ``ratio`` (height / width) that makes ``dot`` exactly ``ratio`` = width / height: its
    ``ratio`` leaves out the title and the outer pad, so one measured correction is applied."""
    trial = dot.copy()
    trial.attr(ratio=f"{1 / ratio:.5f}", pad="0")
    width, height = bounding_box(trial)
    return f"{(1 / ratio) * (width / height) / ratio:.5f}"


def pad_to(dot, ratio: float, attribute: str | None = None):
    """Spread the layout of ``dot`` (never its text) to width / height = ``ratio``."""
    dot.attr(ratio=attribute or ratio_attribute(dot, ratio), pad="0")
    return dot
