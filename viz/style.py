"""Colours, fonts and sizes shared by every drawing (chosen to stay readable when projected)."""

FONT = "Helvetica,Arial,sans-serif"
FONT_SIZE = 14
SMALL_FONT_SIZE = 11
MUTED = "#6b7280"          # row labels, shapes, dtypes
PENDING = "#c0c4cc"        # values not computed yet (step frames)
EDGE = "#4b5563"
NO_GRADIENT_EDGE = "#c0c4cc"

# value nodes by kind: (fill, border)
KIND_COLORS = {
    "input": ("#dbeafe", "#1d4ed8"),
    "parameter": ("#ffedd5", "#c2410c"),
    "constant": ("#f3f4f6", "#9ca3af"),
    "intermediate": ("#ffffff", "#4b5563"),
    "output": ("#dcfce7", "#15803d"),
}
OP_COLORS = ("#fef3c7", "#b45309")
MODULE_COLORS = ("#ede9fe", "#6d28d9")
CLUSTER_COLORS = ("#faf7ff", "#a78bfa")

HIGHLIGHT = "#e11d48"      # the node being computed in a step frame
HIGHLIGHT_FILL = "#ffe4e6"
ALARM = "#dc2626"          # vanishing / exploding gradients

# gradient flow: a perceptually uniform colormap on a log scale, cut before its pale end
FLOW_COLORMAP = "viridis"
FLOW_COLORMAP_RANGE = (0.0, 0.88)
FLOW_PENWIDTH = (1.2, 6.0)
VANISHING_RELATIVE = 1e-7  # |g| below this fraction of the largest |g| in the graph
EXPLODING = 1e3            # |g| above this

GRAPH_ATTRS = dict(fontname=FONT, fontsize=str(FONT_SIZE), nodesep="0.3", ranksep="0.35", bgcolor="white",
                   pad="0.2")
NODE_ATTRS = dict(fontname=FONT, fontsize=str(FONT_SIZE))
EDGE_ATTRS = dict(fontname=FONT, fontsize=str(SMALL_FONT_SIZE), color=EDGE, arrowsize="0.7", penwidth="1.2")
