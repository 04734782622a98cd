"""Server-drawn bar charts: well-formed SVG, named for assistive technology, one bar a value."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from web.charts import bar_chart

SVG = "{http://www.w3.org/2000/svg}"
LABELS = [f"{day} Nov" for day in range(1, 11)]
VALUES = [0, 1, 2, 3, 0, 8, 0, 0, 1, 2]


def _bars(root: ET.Element) -> list[ET.Element]:
    return [
        rect
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "bar"
        for rect in group.iter(f"{SVG}rect")
    ]


def test_bar_chart__is_svg_named_by_its_own_title() -> None:
    # When a chart is drawn
    chart = bar_chart("Posts per day", LABELS, VALUES, label_every=5)
    # Then it parses as XML, is an image for assistive technology, labelled by its first child
    root = ET.fromstring(str(chart.svg))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title = root[0]
    assert title.tag == f"{SVG}title"
    assert root.get("aria-labelledby") == title.get("id")
    # And the name gives the total and the peak
    assert title.text == "Posts per day: 17 in all, the most (8) on 6 Nov"
    assert chart.name == title.text
    # And it carries no script and no comment (the pages work without JavaScript)
    assert "<script" not in chart.svg
    assert "<!--" not in chart.svg


def test_bar_chart__draws_one_bar_per_value_in_proportion() -> None:
    chart = bar_chart("Posts per day", LABELS, VALUES, label_every=5)
    bars = _bars(ET.fromstring(str(chart.svg)))
    assert len(bars) == len(VALUES)
    heights = [float(bar.get("height", "0")) for bar in bars]
    assert heights[0] == 0
    assert heights[5] == max(heights)
    assert heights[2] == pytest.approx(2 * heights[1])
    assert heights[3] == pytest.approx(3 * heights[1])
    # Bars run left to right in order
    xs = [float(bar.get("x", "0")) for bar in bars]
    assert xs == sorted(xs)


def test_bar_chart__labels_every_nth_bar_on_the_axis_and_every_bar_in_rows() -> None:
    chart = bar_chart("Posts per day", LABELS, VALUES, label_every=5)
    root = ET.fromstring(str(chart.svg))
    axis = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "axis x")
    shown = [text.text for text in axis.iter(f"{SVG}text")]
    assert shown == ["1 Nov", "6 Nov"]
    assert chart.rows == list(zip(LABELS, VALUES, strict=True))


def test_bar_chart__value_axis_has_whole_number_marks_up_to_the_peak() -> None:
    chart = bar_chart("Posts per day", LABELS, VALUES)
    root = ET.fromstring(str(chart.svg))
    axis = next(g for g in root.iter(f"{SVG}g") if (g.get("class") or "").startswith("axis y"))
    marks = [text.text for text in axis.iter(f"{SVG}text")]
    assert marks == ["0", "2", "4", "6", "8"]


def test_bar_chart__of_zeros_still_draws() -> None:
    chart = bar_chart("Reports", ["a", "b"], [0, 0])
    root = ET.fromstring(str(chart.svg))
    assert len(_bars(root)) == 2
    assert chart.name == "Reports: 0 in all"


def test_bar_chart__needs_a_label_per_value() -> None:
    with pytest.raises(ValueError, match="one label per value"):
        bar_chart("Posts", ["a"], [1, 2])
    with pytest.raises(ValueError, match="at least one value"):
        bar_chart("Posts", [], [])


def test_bar_chart__carries_no_inline_style() -> None:
    # When a chart is drawn
    chart = bar_chart("Posts per day", LABELS, VALUES)
    # Then it has no <style> element and no style attribute (the CSP refuses inline style)
    root = ET.fromstring(str(chart.svg))
    assert not list(root.iter(f"{SVG}style"))
    assert all("style" not in element.attrib for element in root.iter())
