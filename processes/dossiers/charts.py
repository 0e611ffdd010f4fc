"""Charts of the timeliness dashboard, drawn on the server as SVG (no script, no web font, no CDN).

The dashboard must read in a browser with no internet, in the one-stop shop as well as in an audit
room: every chart is a standalone inline SVG with a <title>, and the same figures stand in a table
under it. Three pictures: the results of the dossiers month by month with the on-time rate over them;
the median working time of each step against its allotment (the bar, the 90th percentile as a
whisker, the allotment as a marker); the bottlenecks ranked by the working time over allotment of
their late runs. Colours: green when the median is at most 80 % of the allotment, amber up to 100 %,
red above (the same as on the coloured process map).
"""

from __future__ import annotations

import math
from xml.etree import ElementTree as ET

from flask_babel import gettext as _
from markupsafe import Markup

from processes.dossiers.analysis import DAY, Bottleneck, Stats, decimal

FONT = "DejaVu Sans, Arial, sans-serif"
TEXT, MUTED, GRID = "#1f2933", "#52606d", "#d9e2ec"
RESULT_COLOURS = ("#2e7d32", "#1565c0", "#c62828")  # early, on time, late
RATIO_BARS = {"good": "#43a047", "tight": "#f59e0b", "over": "#e53935", "none": "#9aa5b1"}
RATIO_FILLS = {"good": "#dcf1dd", "tight": "#ffeccc", "over": "#fbd5d5", "none": "#ffffff"}  # map boxes
GOOD, TIGHT = 0.8, 1.0


def ratio_band(ratio: float | None) -> str:
    """good (≤ 80 % of the allotment), tight (≤ 100 %), over, or none without data."""
    if ratio is None:
        return "none"
    return "good" if ratio <= GOOD + 1e-9 else "tight" if ratio <= TIGHT + 1e-9 else "over"


def _svg(width: float, height: float, title: str) -> ET.Element:
    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "version": "1.1", "role": "img",
                             "viewBox": f"0 0 {_n(width)} {_n(height)}", "width": "100%", "class": "chart",
                             "font-family": FONT, "font-size": "12", "preserveAspectRatio": "xMinYMin meet"})
    ET.SubElement(svg, "title").text = title
    return svg


def _text(parent, x, y, text: str, *, anchor: str = "start", fill: str = TEXT, size: int = 12,
          weight: str | None = None) -> ET.Element:
    attributes = {"x": _n(x), "y": _n(y), "text-anchor": anchor, "fill": fill, "font-size": str(size)}
    if weight:
        attributes["font-weight"] = weight
    element = ET.SubElement(parent, "text", attributes)
    element.text = text
    return element


def _rect(parent, x, y, width, height, fill: str, **attributes) -> ET.Element:
    return ET.SubElement(parent, "rect", {"x": _n(x), "y": _n(y), "width": _n(max(width, 0)),
                                          "height": _n(height), "fill": fill, **attributes})


def _line(parent, x1, y1, x2, y2, stroke: str, width: float = 1, **attributes) -> ET.Element:
    return ET.SubElement(parent, "line", {"x1": _n(x1), "y1": _n(y1), "x2": _n(x2), "y2": _n(y2), "stroke": stroke,
                                          "stroke-width": _n(width), **attributes})


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


def _markup(svg: ET.Element) -> Markup:
    return Markup(ET.tostring(svg, encoding="unicode"))  # ElementTree escapes every text and attribute


def _legend(parent, x, y, items: list[tuple[str, str]]) -> None:
    for colour, label in items:
        _rect(parent, x, y - 9, 12, 12, colour, rx="2")
        _text(parent, x + 17, y + 1, label, fill=MUTED)
        x += 34 + len(label) * 6.6


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def trend_chart(months: list[Stats]) -> Markup:
    """Stacked bars of early / on time / late dossiers each month (shares), the on-time rate as a line."""
    width, height, left, right, top, bottom = 960, 300, 48, 16, 34, 52
    svg = _svg(width, height, _("On-time rate of the dossiers, month by month"))
    plot_w, plot_h = width - left - right, height - top - bottom
    for percent in range(0, 101, 25):
        y = top + plot_h * (1 - percent / 100)
        _line(svg, left, y, width - right, y, GRID)
        _text(svg, left - 6, y + 4, f"{percent} %", anchor="end", fill=MUTED, size=11)
    _legend(svg, left, 16, [(RESULT_COLOURS[0], _("Early")), (RESULT_COLOURS[1], _("On time")),
                            (RESULT_COLOURS[2], _("Late")), ("#111827", _("On-time rate"))])
    if not months:
        _text(svg, width / 2, top + plot_h / 2, _("No dossier measured in this period."), anchor="middle", fill=MUTED)
        return _markup(svg)
    slot = plot_w / len(months)
    bar = min(slot * 0.7, 44)
    points = []
    for index, item in enumerate(months):
        x = left + slot * index + (slot - bar) / 2
        y = top + plot_h
        group = ET.SubElement(svg, "g", {"class": "month"})
        ET.SubElement(group, "title").text = _("%(month)s: %(count)d dossiers, %(early)d early, %(on_time)d on time, "
                                               "%(late)d late", month=item.info["month"], count=item.count,
                                               early=item.early, on_time=item.on_time, late=item.late)
        for result, count in enumerate((item.early, item.on_time, item.late)):
            if item.judged and count:
                share = count / item.judged
                y -= plot_h * share
                _rect(group, x, y, bar, plot_h * share, RESULT_COLOURS[result])
        label = item.info["month"][:3] + item.info["month"][-2:]  # 11/26
        _text(svg, x + bar / 2, top + plot_h + 16, label, anchor="middle", fill=MUTED, size=11)
        _text(svg, x + bar / 2, top + plot_h + 30, str(item.count), anchor="middle", fill=MUTED, size=10)
        if item.on_time_rate is not None:
            points.append((x + bar / 2, top + plot_h * (1 - item.on_time_rate), item.on_time_rate))
    if points:
        ET.SubElement(svg, "polyline", {"points": " ".join(f"{_n(x)},{_n(y)}" for x, y, _r in points),
                                        "fill": "none", "stroke": "#111827", "stroke-width": "2"})
        for x, y, rate in points:
            ET.SubElement(svg, "circle", {"cx": _n(x), "cy": _n(y), "r": "3.5", "fill": "#ffffff",
                                          "stroke": "#111827", "stroke-width": "2"})
            if len(points) <= 18:
                _text(svg, x, max(y - 8, top - 2), f"{rate * 100:.0f}", anchor="middle", size=10, weight="bold")
    _text(svg, left, height - 4, _("Under each bar: the number of dossiers measured that month."), fill=MUTED,
          size=10)
    return _markup(svg)


def step_label(item: Stats | Bottleneck) -> str:
    info = item.info
    return (f"{info.get('procedure_code', '')} v{info.get('version_no', '')} · "
            f"{info.get('code', '')} {info.get('name', '')}")


def steps_chart(steps: list[Stats]) -> Markup:
    """Per step: the median used (bar, coloured against the allotment), the 90th percentile, the allotment."""
    left, right, row, top = 330, 70, 26, 40
    width, height = 960, top + row * max(len(steps), 1) + 34
    svg = _svg(width, height, _("Working time used against the allotment, per step (working days)"))
    _legend(svg, 8, 16, [(RATIO_BARS["good"], _("median ≤ %(share)s of the allotment", share="80 %")),
                         (RATIO_BARS["tight"], _("≤ 100 %")), (RATIO_BARS["over"], _("above"))])
    _line(svg, 640, 12, 640, 22, "#111827", 3)
    _text(svg, 648, 21, _("allotment"), fill=MUTED)
    _line(svg, 740, 17, 770, 17, MUTED, 1.5)
    _text(svg, 776, 21, _("90th percentile"), fill=MUTED)
    if not steps:
        _text(svg, width / 2, top + 20, _("No step finished in this period."), anchor="middle", fill=MUTED)
        return _markup(svg)
    longest = max(max(s.p90, s.allotted or 0) for s in steps) / DAY
    scale_max = _nice(longest)
    plot_w = width - left - right
    x_of = (lambda days: left + plot_w * days / scale_max)
    for tick in _ticks(scale_max):
        _line(svg, x_of(tick), top - 4, x_of(tick), height - 30, GRID)
        _text(svg, x_of(tick), height - 16, decimal(tick, 0 if tick == int(tick) else 1), anchor="middle",
              fill=MUTED, size=11)
    for index, item in enumerate(steps):
        y = top + row * index
        group = ET.SubElement(svg, "g", {"class": "step-bar"})
        ET.SubElement(group, "title").text = _(
            "%(step)s: median %(median)s, 90th percentile %(p90)s, allotment %(allotted)s working days; "
            "%(count)d runs", step=step_label(item), median=decimal(item.median / DAY, 2),
            p90=decimal(item.p90 / DAY, 2), allotted=decimal((item.allotted or 0) / DAY, 2), count=item.count)
        _text(group, left - 8, y + row / 2 + 4, _shorten(step_label(item), 48), anchor="end")
        _rect(group, left, y + 5, x_of(item.median / DAY) - left, row - 10, RATIO_BARS[ratio_band(item.ratio)],
              rx="2")
        _line(group, x_of(item.median / DAY), y + row / 2, x_of(item.p90 / DAY), y + row / 2, MUTED, 1.5)
        _line(group, x_of(item.p90 / DAY), y + 8, x_of(item.p90 / DAY), y + row - 8, MUTED, 1.5)
        if item.allotted:
            _line(group, x_of(item.allotted / DAY), y + 2, x_of(item.allotted / DAY), y + row - 2, "#111827", 3)
        _text(group, width - right + 6, y + row / 2 + 4, f"{item.ratio * 100:.0f} %" if item.ratio else "—",
              fill=MUTED, size=11)
    return _markup(svg)


def bottleneck_chart(rows: list[Bottleneck], *, name=step_label) -> Markup:
    """Ranked bars: the working days over allotment of the late runs, and the share of late dossiers."""
    left, right, row, top = 330, 210, 26, 12
    width, height = 960, top + row * max(len(rows), 1) + 30
    svg = _svg(width, height, _("Bottlenecks: working days over the allotment in late step runs"))
    if not rows:
        _text(svg, width / 2, top + 20, _("No late step run in this period."), anchor="middle", fill=MUTED)
        return _markup(svg)
    most = max(r.excess for r in rows) / DAY or 1
    plot_w = width - left - right
    for index, item in enumerate(rows):
        y = top + row * index
        group = ET.SubElement(svg, "g", {"class": "bottleneck"})
        share = item.share_of_late
        note = _("%(days)s d over · %(share)s of late dossiers", days=decimal(item.excess / DAY),
                 share=f"{share * 100:.0f} %" if share is not None else "—")
        ET.SubElement(group, "title").text = f"{name(item)}: {note}"
        _text(group, left - 8, y + row / 2 + 4, _shorten(name(item), 48), anchor="end")
        _rect(group, left, y + 5, plot_w * (item.excess / DAY) / most, row - 10, "#c62828", rx="2")
        _text(group, left + plot_w * (item.excess / DAY) / most + 6, y + row / 2 + 4, note, fill=MUTED, size=11)
    _text(svg, left, height - 8, _("Longest bar: %(days)s working days over the allotment.", days=decimal(most)),
          fill=MUTED, size=10)
    return _markup(svg)


def _nice(value: float) -> float:
    """A round upper bound for an axis (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= value)


def _ticks(maximum: float) -> list[float]:
    step = maximum / 5
    return [round(step * i, 2) for i in range(6)]
