"""The swimlane map with measured colours and notes (processes.drawing, step_colours and step_notes).

Without them the map is drawn exactly as before; with them each named step's card gets its fill and
a bold line at its foot, the others stay white.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

import qms.models  # noqa: F401 - every mapped class, so that the mappers can be configured
from processes.drawing import render_svg
from tests.unit.test_process_drawing import SVG, groups, lines_of, postal_licence_version


def numbered():
    version = postal_licence_version()
    for number, step in enumerate(version.steps, start=1):
        step.id = 100 + number
    return version


def body_fills(svg: str) -> list[str]:
    return [box.findall(f"{SVG}rect")[1].get("fill") for box in groups(ET.fromstring(svg), "step")]


def test_without_colours_the_map_is_unchanged():
    version = numbered()
    assert render_svg(version) == render_svg(version, step_colours=None, step_notes=None)
    assert render_svg(version) == render_svg(version, step_colours={}, step_notes={})
    assert set(body_fills(render_svg(version))) == {"#ffffff"}


def test_named_steps_get_their_fill_and_note():
    version = numbered()
    svg = render_svg(version, step_colours={101: "#dcf1dd", 103: "#fbd5d5"}, step_notes={103: "16,0 / 14,0 d"})
    assert body_fills(svg) == ["#dcf1dd", "#ffffff", "#fbd5d5", "#ffffff", "#ffffff", "#ffffff", "#ffffff"]
    b3 = groups(ET.fromstring(svg), "step")[2]
    texts = [lines_of(text) for text in b3.iter(f"{SVG}text")]
    assert texts[-1] == "16,0 / 14,0 d" and b3.findall(f"{SVG}text")[-1].get("font-weight") == "bold"
    assert len(b3.findall(f"{SVG}text")[-2].findall(f"{SVG}tspan")) <= 2  # the name gives the note its line
    assert "16,0 / 14,0 d" in b3.find(f"{SVG}title").text
    b1 = groups(ET.fromstring(svg), "step")[0]
    assert "/" not in lines_of(list(b1.iter(f"{SVG}text"))[-1])  # a coloured step without a note keeps its name
