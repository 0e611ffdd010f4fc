"""The swimlane map of a process version, drawn as SVG or PNG (ISO 9001:2008 clauses 4.1 b, 7.5.1).

A process map shows who does what, in which order and within how much time: one horizontal lane
per unit of the main line, the steps as boxes left to right, and the usual paths off it (supplement
request, refusal, consultation) leaving from a gateway after their step. ``layout`` computes the
geometry once; the SVG here and the BPMN diagram of ``processes.bpmn`` are both drawn from it, so
the exported model looks like the page. Everything is a pure function of the version's steps and
branches: no database, no request. The words on the map are the agency's fixed Vietnamese.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any
from xml.etree import ElementTree as ET

from processes.durations import format_duration
from processes.models import BranchKind, StepKind, TimeUnit

FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
FONT, MIN_FONT, LINE = 12, 11, 15  # the map may shrink to fit its page, never below MIN_FONT on screen
MARGIN, HEADER_W, TITLE_H, FOOTER_H = 16, 112, 32, 44
COLUMN_W, EVENT_COLUMN_W, LANE_H = 152, 72, 124
BOX_W, BOX_H, BAND_H, BRANCH_W, BRANCH_H = 132, 84, 22, 136, 60  # BAND_H: the coloured band of a step's box
EVENT_R, GATEWAY_R = 18, 22
FAN_OUT = 12  # how far below a gateway its branch paths part, and below a branch box its path back runs

APPLICANT = "Tổ chức, cá nhân"
DEFAULT_PARTY = {BranchKind.SUPPLEMENT: APPLICANT, BranchKind.REFUSAL: APPLICANT,
                 BranchKind.CONSULTATION: "Cơ quan phối hợp"}
DEFAULT_CONDITION = {BranchKind.SUPPLEMENT: "Hồ sơ chưa đầy đủ", BranchKind.REFUSAL: "Không đủ điều kiện",
                     BranchKind.CONSULTATION: "Cần lấy ý kiến"}
GATEWAY_QUESTION = {BranchKind.SUPPLEMENT: "Hồ sơ đầy đủ?", BranchKind.CONSULTATION: "Cần lấy ý kiến?",
                    BranchKind.REFUSAL: "Đủ điều kiện?"}
BRANCH_TASK_NAME = {BranchKind.SUPPLEMENT: "Bổ sung hồ sơ", BranchKind.CONSULTATION: "Cho ý kiến"}
REFUSAL_NAME, START_NAME, END_NAME, NO_STEPS = "Từ chối", "Bắt đầu", "Kết thúc", "Chưa có bước nào"

KIND_COLOURS = {StepKind.RECEIVE: "#2e7d32", StepKind.ASSIGN: "#00838f", StepKind.APPRAISE: "#1565c0",
                StepKind.REVIEW: "#6a1b9a", StepKind.SIGN: "#ad1457", StepKind.ISSUE: "#ef6c00",
                StepKind.RETURN: "#558b2f", StepKind.CONSULT: "#6d4c41", StepKind.OTHER: "#546e7a"}
EDGE_COLOURS = {None: "#455a64", BranchKind.SUPPLEMENT: "#e65100", BranchKind.CONSULTATION: "#6d4c41",
                BranchKind.REFUSAL: "#c62828"}
LANE_FILLS = (("#f5f8fc", "#dfe7f1"), ("#ebf1f8", "#d4dfec"))  # (band, header), alternating
PARTY_LANE_FILL = ("#fcf7ee", "#f0e4cc")
TEXT, MUTED, BORDER = "#1f2933", "#455a64", "#b0bec5"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float

    @classmethod
    def around(cls, cx: float, cy: float, width: float, height: float) -> Rect:
        return cls(cx - width / 2, cy - height / 2, width, height)

    cx = property(lambda self: self.x + self.width / 2)
    cy = property(lambda self: self.y + self.height / 2)
    right = property(lambda self: self.x + self.width)
    bottom = property(lambda self: self.y + self.height)


@dataclass(frozen=True)
class Lane:
    name: str
    rect: Rect  # the whole band, its header included
    is_party: bool  # added for a branch's party (the applicant, another body), not a unit of the main line


class NodeKind(StrEnum):
    START = "start"
    END = "end"
    STEP = "step"
    GATEWAY = "gateway"
    BRANCH_TASK = "branch_task"  # what the applicant or the consulted body does before the dossier comes back
    REFUSAL_END = "refusal_end"


@dataclass(frozen=True)
class Node:
    id: str  # a valid xsd:ID, reused as the BPMN id
    kind: NodeKind
    name: str
    rect: Rect
    lane: int
    step: Any = None  # the ProcessStep of a STEP node
    branch: Any = None  # the ProcessBranch of a BRANCH_TASK or REFUSAL_END node


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    points: tuple[tuple[float, float], ...]
    branch_kind: BranchKind | None = None  # None on the main line
    condition: str | None = None  # set on the flow leaving a gateway for a branch

    @property
    def id(self) -> str:
        return f"Flow_{self.source}_{self.target}"  # two nodes are joined once at most


@dataclass(frozen=True)
class MapLayout:
    width: float
    height: float
    lanes: tuple[Lane, ...]
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    total: str  # "Tổng thời gian: 20 ngày làm việc"


def layout(version) -> MapLayout:
    """Place lanes, steps, gateways and branch targets, then route the orthogonal paths between them.

    Each step has a column; a step with branches is followed by a gateway and one column per branch,
    its target (a box, or the refusal's end event) in the lane of the branch's party. Targets always
    lie below their step, so that no branch path crosses the main line.
    """
    steps = list(version.steps)
    if not steps:
        return MapLayout(0, 0, (), (), (), "")
    lane_names = list(dict.fromkeys(step.lane for step in steps))
    main_lanes = len(lane_names)
    step_lane = {step.code: lane_names.index(step.lane) for step in steps}
    branches_of: dict[str, list[tuple[Any, int]]] = {}
    for branch in version.branches:
        lane = _party_lane(branch, lane_names, step_lane[branch.from_step.code])
        branches_of.setdefault(branch.from_step.code, []).append((branch, lane))
    nodes, main_line, fan_outs = _place_nodes(steps, step_lane, branches_of)
    step_nodes = {node.step.code: node for node in nodes if node.kind == NodeKind.STEP}
    edges = ([_main_edge(source, target) for source, target in pairwise(main_line)]
             + [_fan_out_edge(gateway, target, slot) for gateway, target, slot in fan_outs]
             + [_return_edge(node, step_nodes[node.branch.to_step.code])
                for node in nodes if node.kind == NodeKind.BRANCH_TASK])
    width = main_line[-1].rect.cx + EVENT_COLUMN_W / 2 + MARGIN
    lanes = tuple(Lane(name, Rect(MARGIN, MARGIN + i * LANE_H, width - 2 * MARGIN, LANE_H), i >= main_lanes)
                  for i, name in enumerate(lane_names))
    return MapLayout(width, lanes[-1].rect.bottom + FOOTER_H, lanes, tuple(nodes), tuple(edges),
                     "Tổng thời gian: " + total_duration(steps))


def _party_lane(branch, lane_names: list[str], step_lane: int) -> int:
    """The lane of the branch's party: a lane of the main line below the step, else one added at the bottom."""
    party = branch.party or DEFAULT_PARTY[branch.kind]
    below = [i for i, name in enumerate(lane_names) if name == party and i > step_lane]
    if below:
        return below[0]
    lane_names.append(party)
    return len(lane_names) - 1


def _lane_centre(lane: int) -> float:
    return MARGIN + lane * LANE_H + LANE_H / 2


def _place_nodes(steps, step_lane, branches_of):
    """Nodes left to right (start, each step with its gateway and branch targets, end), the main line and
    the (gateway, target, slot) of each branch."""
    x = MARGIN + HEADER_W + EVENT_COLUMN_W
    first = step_lane[steps[0].code]
    nodes = [Node("StartEvent", NodeKind.START, START_NAME, Rect.around(x - EVENT_COLUMN_W / 2, _lane_centre(first),
                                                                        2 * EVENT_R, 2 * EVENT_R), first)]
    fan_outs = []
    for position, step in enumerate(steps, start=1):
        lane = step_lane[step.code]
        nodes.append(Node(f"Task_{position}", NodeKind.STEP, f"{step.code}. {step.name}",
                          Rect.around(x + COLUMN_W / 2, _lane_centre(lane), BOX_W, BOX_H), lane, step=step))
        x += COLUMN_W
        # Refusals, which do not come back, stand last and the upper targets first, so that no path back
        # (westwards below its box) crosses a path out.
        branches = sorted(branches_of.get(step.code, ()), key=lambda pair: (pair[0].kind == BranchKind.REFUSAL,
                                                                                 pair[1]))
        if not branches:
            continue
        question = " ".join(dict.fromkeys(GATEWAY_QUESTION[branch.kind] for branch, _ in branches))  # "Hồ sơ đầy đủ?"
        gateway = Node(f"Gateway_{position}", NodeKind.GATEWAY, question,
                       Rect.around(x + COLUMN_W / 2, _lane_centre(lane), 2 * GATEWAY_R, 2 * GATEWAY_R), lane)
        nodes.append(gateway)
        for slot, (branch, target_lane) in enumerate(branches):
            fan_outs.append((gateway, _branch_target(branch, x + COLUMN_W / 2, target_lane, f"{position}_{slot + 1}"),
                             slot))
            x += COLUMN_W
    last = step_lane[steps[-1].code]
    main_line = [*nodes, Node("EndEvent", NodeKind.END, END_NAME,
                              Rect.around(x + EVENT_COLUMN_W / 2, _lane_centre(last), 2 * EVENT_R, 2 * EVENT_R), last)]
    return main_line + [target for _, target, _ in fan_outs], main_line, fan_outs


def _branch_target(branch, cx: float, lane: int, suffix: str) -> Node:
    if branch.kind == BranchKind.REFUSAL:  # the circle sits high, its label (the refusal letter) below it
        return Node(f"EndEvent_Refusal_{suffix}", NodeKind.REFUSAL_END, REFUSAL_NAME,
                    Rect.around(cx, _lane_centre(lane) - 10, 2 * EVENT_R, 2 * EVENT_R), lane, branch=branch)
    return Node(f"Task_Branch_{suffix}", NodeKind.BRANCH_TASK, BRANCH_TASK_NAME[branch.kind],
                Rect.around(cx, _lane_centre(lane), BRANCH_W, BRANCH_H), lane, branch=branch)


def _main_edge(source: Node, target: Node) -> Edge:
    """East from the source, turning north or south in the gap just before the target."""
    start, end = (source.rect.right, source.rect.cy), (target.rect.x, target.rect.cy)
    turn = target.rect.x - (COLUMN_W - BOX_W) / 2
    points = (start, end) if start[1] == end[1] else (start, (turn, start[1]), (turn, end[1]), end)
    return Edge(source.id, target.id, points)


def _fan_out_edge(gateway: Node, target: Node, slot: int) -> Edge:
    """South from the gateway; to the second and later targets along a short fan below it."""
    top, end = (gateway.rect.cx, gateway.rect.bottom), (target.rect.cx, target.rect.y)
    fan = gateway.rect.bottom + FAN_OUT
    points = (top, end) if slot == 0 else (top, (top[0], fan), (end[0], fan), end)
    kind = target.branch.kind
    return Edge(gateway.id, target.id, points, kind, target.branch.condition or DEFAULT_CONDITION[kind])


def _return_edge(branch_node: Node, step: Node) -> Edge:
    """Out of the bottom of the branch box, under its lane's boxes, and up into the step it returns to."""
    box, below = branch_node.rect, branch_node.rect.bottom + FAN_OUT
    points = ((box.cx, box.bottom), (box.cx, below), (step.rect.cx, below), (step.rect.cx, step.rect.bottom))
    return Edge(branch_node.id, step.id, points, branch_node.branch.kind)


def total_duration(steps) -> str:
    """The steps' allotted times added up: "20 ngày làm việc"; calendar days are never mixed with working time."""
    parts = []
    working = [step for step in steps if step.allotted_unit.is_working_time]
    if working:
        minutes = sum(step.allotted_minutes for step in working)
        in_hours = (all(step.allotted_unit == TimeUnit.WORKING_HOURS for step in working)
                    or minutes % TimeUnit.WORKING_DAYS.grain)
        parts.append(format_duration(minutes, TimeUnit.WORKING_HOURS if in_hours else TimeUnit.WORKING_DAYS,
                                     long=True))
    calendar = [step.allotted_minutes for step in steps if not step.allotted_unit.is_working_time]
    if calendar:
        parts.append(format_duration(sum(calendar), TimeUnit.CALENDAR_DAYS, long=True))
    return " + ".join(parts)


def step_details(step) -> list[str]:
    """The step's particulars, one "label: value" line each, for a tooltip or a BPMN documentation."""
    rows = (("Nội dung", step.description), ("Đơn vị", step.unit.name if step.unit is not None else ""),
            ("Trách nhiệm", step.performer), ("Thời gian", format_duration(step.allotted_minutes, step.allotted_unit)),
            ("Kết quả", step.output))
    return [f"{label}: {value}" for label, value in rows if value]


def render_svg(version, *, title: str = "", fixed_size: bool = False, step_colours: dict[int, str] | None = None,
               step_notes: dict[int, str] | None = None) -> str:
    """The map as a standalone SVG 1.1 document (UTF-8 text, no script, no external reference).

    By default it takes the width of its container but never shrinks below the width at which its
    text would read smaller than MIN_FONT (the page scrolls instead); with *fixed_size* it has its
    natural size in pixels, as a rasteriser needs. *step_colours* (step id → fill) colours the body
    of those steps' boxes and *step_notes* (step id → a short text, e.g. a measured median) writes a
    line at the foot of the box, e.g. to show measured times against the allotments.
    """
    geometry = layout(version)
    top = TITLE_H if title else 0
    width, height = (geometry.width, geometry.height) if geometry.nodes else (360, 60)
    svg = _svg_root(width, height + top, title, fixed_size)
    if title:
        _text(svg, MARGIN, 22, [title], size=15, weight="bold")
    canvas = ET.SubElement(svg, "g", transform=f"translate(0 {top})")
    if not geometry.nodes:
        _text(canvas, width / 2, 35, [NO_STEPS], size=13, fill=MUTED, anchor="middle")
    for index, lane in enumerate(geometry.lanes):
        _draw_lane(canvas, lane, index)
    for edge in geometry.edges:
        _draw_edge(canvas, edge)
    for node in geometry.nodes:
        if node.kind == NodeKind.STEP and (step_colours or step_notes):
            key = getattr(node.step, "id", None)
            _draw_step(canvas, node, fill=(step_colours or {}).get(key), note=(step_notes or {}).get(key))
        else:
            NODE_DRAWERS[node.kind](canvas, node)
    for edge in geometry.edges:  # last, so that the labels lie over the paths they cross
        if edge.condition:
            _draw_condition(canvas, edge)
    if geometry.total:
        _text(canvas, MARGIN, height - FOOTER_H + 28, [geometry.total], size=13, weight="bold")
    return ET.tostring(svg, encoding="unicode")


def render_png(version, *, scale: float = 2.0, title: str = "") -> bytes:
    """The same map as a PNG, *scale* pixels to each SVG pixel (2 makes it sharp in print and on dense screens)."""
    import cairosvg  # loads the system's cairo library, which only the PNG needs

    svg = render_svg(version, title=title, fixed_size=True)
    return cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)


def _svg_root(width: float, height: float, title: str, fixed_size: bool) -> ET.Element:
    size = ({"width": _n(width), "height": _n(height)} if fixed_size
            else {"width": "100%", "style": f"min-width: {math.ceil(width * MIN_FONT / FONT)}px"})
    svg = ET.Element("svg", {"xmlns": "http://www.w3.org/2000/svg", "version": "1.1", "role": "img",
                             "viewBox": f"0 0 {_n(width)} {_n(height)}", **size,
                             "font-family": FONT_FAMILY, "font-size": str(FONT)})
    ET.SubElement(svg, "title").text = title or "Sơ đồ quy trình"
    ET.SubElement(svg, "rect", width="100%", height="100%", fill="#ffffff")
    return svg


def _draw_lane(parent: ET.Element, lane: Lane, index: int) -> None:
    band, header = PARTY_LANE_FILL if lane.is_party else LANE_FILLS[index % 2]
    group = ET.SubElement(parent, "g", {"class": "lane"})
    _rect(group, lane.rect, fill=band, stroke=BORDER)
    _rect(group, Rect(lane.rect.x, lane.rect.y, HEADER_W, lane.rect.height), fill=header, stroke=BORDER)
    lines = wrap(lane.name, HEADER_W - 14, max_lines=4, bold=True)
    _text(group, lane.rect.x + HEADER_W / 2, lane.rect.cy - (len(lines) - 1) * LINE / 2 + 4, lines, weight="bold",
          anchor="middle", fontstyle="italic" if lane.is_party else None)


def _draw_edge(parent: ET.Element, edge: Edge) -> None:
    colour = EDGE_COLOURS[edge.branch_kind]
    group = ET.SubElement(parent, "g", {"class": f"flow flow-{edge.branch_kind or 'main'}"})
    path = ET.SubElement(group, "path", d="M" + " L".join(f"{_n(x)} {_n(y)}" for x, y in edge.points), fill="none",
                         stroke=colour, **{"stroke-width": "1.5"})
    if edge.branch_kind in (BranchKind.SUPPLEMENT, BranchKind.CONSULTATION):
        path.set("stroke-dasharray", "6 4")
    (x1, y1), (x2, y2) = edge.points[-2:]
    length = math.hypot(x2 - x1, y2 - y1)
    ux, uy = (x2 - x1) / length, (y2 - y1) / length  # along the last leg
    base_x, base_y = x2 - 9 * ux, y2 - 9 * uy
    head = [(x2, y2), (base_x - 4.5 * uy, base_y + 4.5 * ux), (base_x + 4.5 * uy, base_y - 4.5 * ux)]
    ET.SubElement(group, "polygon", points=_points(head), fill=colour)


def _draw_condition(parent: ET.Element, edge: Edge) -> None:
    """The branch's condition, on a white label over the middle of the path's last leg."""
    (x1, y1), (x2, y2) = edge.points[-2:]
    lines = wrap(edge.condition, COLUMN_W - 24, max_lines=2)
    label = Rect.around((x1 + x2) / 2, (y1 + y2) / 2, max(map(text_width, lines)) + 10, len(lines) * LINE + 4)
    colour = EDGE_COLOURS[edge.branch_kind]
    group = ET.SubElement(parent, "g", {"class": "flow-label"})
    _rect(group, label, rx="3", fill="#ffffff", stroke=colour, **{"stroke-width": "0.5"})
    _text(group, label.cx, label.y + 13, lines, anchor="middle", fill=colour)


def _draw_event(parent: ET.Element, node: Node) -> None:
    """A circle, thick for an end, labelled below: a refusal with its letter, in the refusal's red."""
    r, (fill, stroke, stroke_width) = node.rect, EVENT_STYLES[node.kind]
    group = ET.SubElement(parent, "g", {"class": f"event event-{node.kind}", "id": node.id})
    ET.SubElement(group, "circle", cx=_n(r.cx), cy=_n(r.cy), r=_n(r.width / 2), fill=fill, stroke=stroke,
                  **{"stroke-width": stroke_width})
    refusal = node.kind == NodeKind.REFUSAL_END
    label = (node.branch.output or node.name) if refusal else node.name
    _text(group, r.cx, r.bottom + 15, wrap(label, COLUMN_W - 16, max_lines=2), anchor="middle",
          fill=stroke if refusal else MUTED)


def _draw_step(parent: ET.Element, node: Node, *, fill: str | None = None, note: str | None = None) -> None:
    """A card: code and allotted time on a band of the step kind's colour, the name wrapped below (and, given
    a *note*, that note in bold at the foot of the card, the name then on two lines at most)."""
    step, r = node.step, node.rect
    group = ET.SubElement(parent, "g", {"class": "step", "id": node.id})
    ET.SubElement(group, "title").text = "\n".join([node.name, *step_details(step), *([note] if note else [])])
    _rect(group, r, rx="6", fill=KIND_COLOURS.get(step.kind, KIND_COLOURS[StepKind.OTHER]))
    body = Rect(r.x + 1.5, r.y + BAND_H, r.width - 3, r.height - BAND_H - 1.5)
    _rect(group, body, rx="4.5", fill=fill or "#ffffff")
    _text(group, r.x + 8, r.y + 15.5, [step.code], weight="bold", fill="#ffffff")
    _text(group, r.right - 8, r.y + 15.5, [format_duration(step.allotted_minutes, step.allotted_unit)],
          weight="bold", fill="#ffffff", anchor="end")
    lines = wrap(step.name, r.width - 14, max_lines=2 if note else 3)
    if note:
        _text(group, r.x + 7, body.y + 15, lines)
        _text(group, r.x + 7, body.bottom - 7, [_fit(note, r.width - 14, True, False)], weight="bold")
        return
    _text(group, r.x + 7, body.cy - len(lines) * LINE / 2 + 11, lines)


def _draw_gateway(parent: ET.Element, node: Node) -> None:
    """A diamond with an X (exclusive), its question above it, one question a line."""
    r = node.rect
    group = ET.SubElement(parent, "g", {"class": "gateway", "id": node.id})
    ET.SubElement(group, "polygon", points=_points([(r.cx, r.y), (r.right, r.cy), (r.cx, r.bottom), (r.x, r.cy)]),
                  fill="#fff8e1", stroke="#f9a825", **{"stroke-width": "2"})
    ET.SubElement(group, "path", d=f"M{_n(r.cx - 7)} {_n(r.cy - 7)} l14 14 m0 -14 l-14 14", stroke="#f57f17",
                  **{"stroke-width": "2.5"})
    lines = [line for question in re.split(r"(?<=\?) ", node.name) for line in wrap(question, COLUMN_W - 12,
                                                                                      max_lines=2)]
    _text(group, r.cx, r.y - 7 - (len(lines) - 1) * LINE, lines, anchor="middle", fill=MUTED)


def _draw_branch_task(parent: ET.Element, node: Node) -> None:
    """A dashed box in the party's lane: what the party does, and the form that asks it to."""
    r, colour = node.rect, EDGE_COLOURS[node.branch.kind]
    group = ET.SubElement(parent, "g", {"class": f"branch branch-{node.branch.kind}", "id": node.id})
    _rect(group, r, rx="12", fill="#fffdf8", stroke=colour, **{"stroke-width": "1.5", "stroke-dasharray": "6 4"})
    output = wrap(node.branch.output, r.width - 10, max_lines=2)
    top = r.cy - len(output) * LINE / 2 + 4
    _text(group, r.cx, top, [node.name], weight="bold", anchor="middle", fill=colour)
    _text(group, r.cx, top + LINE, output, anchor="middle")


EVENT_STYLES = {NodeKind.START: ("#e8f5e9", "#2e7d32", "2"), NodeKind.END: ("#eceff1", "#263238", "4"),
                NodeKind.REFUSAL_END: ("#ffebee", EDGE_COLOURS[BranchKind.REFUSAL], "3.5")}  # fill, stroke, width
NODE_DRAWERS = {NodeKind.START: _draw_event, NodeKind.END: _draw_event, NodeKind.REFUSAL_END: _draw_event,
                NodeKind.STEP: _draw_step, NodeKind.GATEWAY: _draw_gateway, NodeKind.BRANCH_TASK: _draw_branch_task}


def _rect(parent: ET.Element, r: Rect, **attributes: str) -> None:
    ET.SubElement(parent, "rect", x=_n(r.x), y=_n(r.y), width=_n(r.width), height=_n(r.height), **attributes)


def _text(parent: ET.Element, x: float, y: float, lines: list[str], *, size: int = FONT, weight: str | None = None,
          fill: str = TEXT, anchor: str = "start", fontstyle: str | None = None) -> None:
    """A <text> of one tspan per line, the first line's baseline at *y*."""
    attributes = {"x": _n(x), "y": _n(y), "font-size": str(size), "fill": fill, "text-anchor": anchor,
                  "font-weight": weight, "font-style": fontstyle}
    text = ET.SubElement(parent, "text", {key: value for key, value in attributes.items() if value is not None})
    for number, line in enumerate(lines):
        ET.SubElement(text, "tspan", x=_n(x), dy="0" if number == 0 else str(LINE)).text = line


def _points(points) -> str:
    return " ".join(f"{_n(x)},{_n(y)}" for x, y in points)


def _n(value: float) -> str:
    return f"{round(value, 1):g}"


# Advance widths of DejaVu Sans in ems, grouped; a letter with diacritics is as wide as its base letter.
_ADVANCES = {**dict.fromkeys("'ijlIJ|", 0.3), **dict.fromkeys(" .,:;/f-!", 0.34), **dict.fromkeys("()[]tr", 0.4),
             **dict.fromkeys("szc?kLF", 0.56), **dict.fromkeys("mwMW%<>+", 0.9)}


def text_width(text: str, size: float = FONT, *, bold: bool = False) -> float:
    """An estimate of the drawn width of *text*, a few per cent generous, so that wrapped lines never overflow."""
    bases = (unicodedata.normalize("NFD", char)[0] for char in text)
    ems = sum(_ADVANCES.get(base, 0.74 if base.isupper() else 0.64) for base in bases)
    return ems * size * (1.12 if bold else 1)


def wrap(text: str, width: float, *, max_lines: int, bold: bool = False) -> list[str]:
    """Words in lines no wider than *width*; beyond *max_lines* the last line ends with an ellipsis."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", bold=bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    cut = len(lines) > max_lines
    lines = lines[:max_lines]
    return [_fit(line, width, bold, cut and number == len(lines) - 1) for number, line in enumerate(lines)]


def _fit(line: str, width: float, bold: bool, ellipsis: bool) -> str:
    """The line as it is if it fits and the text goes on no further, else cut to end with "…" within *width*."""
    if not ellipsis and text_width(line, bold=bold) <= width:
        return line
    while line and text_width(line.rstrip(" ,;.") + "…", bold=bold) > width:
        line = line[:-1]
    return line.rstrip(" ,;.") + "…"
