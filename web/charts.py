"""Bar charts drawn on the server as inline SVG, for pages that work without JavaScript.

pygal draws the bars, axes and guides. Its SVG is then made fit to sit inside a page: the
`<script>` pygal always adds (its tooltips need JavaScript, which these pages do without), its
comments, and its inline `<style>` and `style` attributes are dropped (the Content-Security-Policy
allows no inline style: the chart's look is in `web/static/lyceum.css`, under `.pygal-chart`).
The chart gets an accessible name: `role="img"`, labelled by its own `<title>`, which says what
the chart shows and its total and peak. The numbers themselves go in a table beside the chart
(`BarChart.rows`), so that they can be read, not just seen.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from markupsafe import Markup
from pygal.etree import etree
from pygal.style import Style

__all__ = ["BarChart", "bar_chart"]

# pygal appends to sys.meta_path a finder for its map plugins (`pygal.maps.*`, unused here) that
# has only the old `find_module` API, so on Python 3.11 every import that fails anywhere in the
# process (optional dependencies tried in `try: import …`) warns with an ImportWarning.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

WIDTH, HEIGHT = 800, 260
# pygal's script, the tooltips' data it reads (each bar's value is in the table instead), and its
# inline style sheet.
DROPPED = frozenset({"script", "desc", "style"})
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#1c1f24",
    foreground_strong="#1c1f24",
    foreground_subtle="#545b66",
    colors=("#1d4ed8",),
    opacity="1",
    opacity_hover="1",
    font_family="system-ui, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    guide_stroke_color="#d5d9e0",
    major_guide_stroke_color="#d5d9e0",
    transition="none",
)


@dataclass(frozen=True)
class BarChart:
    title: str  # what the chart shows, e.g. "Posts per day, last 30 days"
    name: str  # the accessible name: the title with the total and the peak
    svg: Markup
    rows: list[tuple[str, int]]  # (label, value) per bar, oldest first


def _local(tag: Any) -> str:
    """An element's tag without its namespace (pygal uses lxml's when lxml is installed)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ticks(peak: int, most: int = 5) -> list[int]:
    """Whole-number marks for the value axis: 0 up to the first mark at or above `peak`, in at
    most `most` steps of 1, 2 or 5 times a power of ten."""
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if step * most >= peak:
                top = step * max(1, math.ceil(peak / step))
                return list(range(0, top + 1, step))
        power *= 10


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[int], *, label_every: int = 1
) -> BarChart:
    """A bar per value; every `label_every`-th bar is labelled on the axis (all are in `rows`)."""
    if len(labels) != len(values) or not values:
        raise ValueError("a bar chart needs one label per value, and at least one value")
    rows = list(zip(labels, values, strict=True))
    peak = max(values)
    peak_label = labels[values.index(peak)]
    name = f"{title}: {sum(values)} in all" + (
        f", the most ({peak}) on {peak_label}" if peak else ""
    )
    ticks = _ticks(peak)
    chart = pygal.Bar(
        style=STYLE,
        width=WIDTH,
        height=HEIGHT,
        js=[],
        disable_xml_declaration=True,
        show_legend=False,
        margin=8,
        spacing=4,
        range=(0, ticks[-1]),
        y_labels=ticks,
        show_minor_x_labels=False,
        x_labels_major_every=label_every,
        truncate_label=-1,
    )
    chart.x_labels = list(labels)
    chart.add(title, list(values))
    root = chart.render_tree()
    for parent in list(root.iter()):
        parent.attrib.pop("style", None)
        for child in list(parent):
            if _local(child.tag) in DROPPED or not isinstance(child.tag, str):
                parent.remove(child)
    for child in list(root):
        if _local(child.tag) == "title":
            root.remove(child)  # "Pygal": replaced by our own below
    title_id = f"{root.get('id')}-title"
    namespace = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    own_title = etree.Element(f"{namespace}title", id=title_id)
    own_title.text = name
    root.insert(0, own_title)
    root.set("role", "img")
    root.set("aria-labelledby", title_id)
    svg = etree.tostring(root, encoding="unicode")
    return BarChart(title=title, name=name, svg=Markup(svg), rows=rows)  # noqa: S704
