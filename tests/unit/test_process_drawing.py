"""The swimlane map of a process version (processes.drawing): lanes, boxes, paths, SVG and PNG.

The versions are transient ORM objects, never added to a session: the drawing needs no database.
The 7-step sample is the postal licence procedure of DOMAIN.md 9.3, with a supplement request,
a consultation and a refusal.
"""

from __future__ import annotations

import io
import re
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest

import qms.models  # noqa: F401 - every mapped class, so that the mappers can be configured
from processes.drawing import COLUMN_W, layout, render_png, render_svg
from processes.models import BranchKind, ProcessBranch, ProcessStep, ProcessVersion, StepKind, TimeUnit
from qms.org.models import Unit

SVG = "{http://www.w3.org/2000/svg}"
DAY = 480
APPLICANT, POLICE = "Tổ chức, cá nhân", "Công an tỉnh"

ONE_STOP = Unit(name="Bộ phận Tiếp nhận và Trả kết quả", short_name="BP TN&TKQ")
POSTAL_OFFICE = Unit(name="Phòng Bưu chính – Viễn thông", short_name="Phòng BC-VT")
LEADERS = Unit(name="Lãnh đạo Sở", short_name="Lãnh đạo Sở")
CLERKS = Unit(name="Văn phòng Sở", short_name="Văn thư Sở")
FINANCE = Unit(name="Phòng Kế hoạch – Tài chính", short_name="Phòng KH-TC")


def step(code: str, name: str, unit: Unit, days: float, kind: StepKind = StepKind.OTHER, *, performer: str = "",
         output: str = "") -> ProcessStep:
    return ProcessStep(code=code, name=name, unit=unit, kind=kind, allotted_minutes=int(days * DAY),
                       allotted_unit=TimeUnit.WORKING_DAYS, performer=performer, description="", output=output)


def postal_licence_version() -> ProcessVersion:
    """DOMAIN.md 9.3: Cấp giấy phép bưu chính (nội tỉnh), 20 working days, 4 units on the main line."""
    steps = [
        step("B1", "Tiếp nhận, kiểm tra hồ sơ; lập Giấy tiếp nhận; scan; chuyển hồ sơ", ONE_STOP, 0.5,
             StepKind.RECEIVE, performer="Công chức BP TN&TKQ", output="Mẫu 01; Mẫu 05"),
        step("B2", "Phân công thụ lý", POSTAL_OFFICE, 0.5, StepKind.ASSIGN, performer="Trưởng phòng BC-VT"),
        step("B3", "Thẩm định hồ sơ, thẩm định thực tế nếu cần; dự thảo giấy phép hoặc văn bản từ chối",
             POSTAL_OFFICE, 14, StepKind.APPRAISE, performer="Chuyên viên Phòng BC-VT"),
        step("B4", "Xem xét, trình ký", POSTAL_OFFICE, 2, StepKind.REVIEW, performer="Trưởng phòng BC-VT"),
        step("B5", "Ký duyệt", LEADERS, 2, StepKind.SIGN, performer="Giám đốc / PGĐ phụ trách",
             output="Giấy phép bưu chính"),
        step("B6", "Vào số, đóng dấu, phát hành; chuyển BP TN&TKQ", CLERKS, 0.5, StepKind.ISSUE),
        step("B7", "Thu phí, lệ phí, trả kết quả; đóng Phiếu kiểm soát", ONE_STOP, 0.5, StepKind.RETURN),
    ]
    b1, b3 = steps[0], steps[2]
    branches = [
        ProcessBranch(kind=BranchKind.SUPPLEMENT, from_step=b1, to_step=b1, party=APPLICANT,
                      condition="Hồ sơ chưa đầy đủ", output="Mẫu 02"),
        ProcessBranch(kind=BranchKind.REFUSAL, from_step=b3, to_step=None, party=APPLICANT,
                      condition="Không đủ điều kiện cấp phép", output="Mẫu 03 / Văn bản từ chối"),
        ProcessBranch(kind=BranchKind.CONSULTATION, from_step=b3, to_step=b3, party=POLICE,
                      condition="Cần ý kiến phối hợp", output="Công văn lấy ý kiến"),
    ]
    return ProcessVersion(steps=steps, branches=branches)


def ten_step_version() -> ProcessVersion:
    """Ten steps over five units, no branch: the widest map a laptop screen must still show legibly."""
    units = [ONE_STOP, POSTAL_OFFICE, FINANCE, LEADERS, CLERKS, POSTAL_OFFICE, FINANCE, LEADERS, CLERKS, ONE_STOP]
    names = ["Tiếp nhận hồ sơ", "Phân công thụ lý", "Thẩm định hồ sơ và kiểm tra thực tế tại cơ sở",
             "Thẩm định phí", "Phê duyệt kết quả thẩm định", "Dự thảo giấy phép", "Kiểm tra lệ phí",
             "Ký giấy phép", "Vào số, đóng dấu, phát hành", "Trả kết quả cho tổ chức, cá nhân"]
    days = [0.5, 0.5, 8, 1, 2, 2, 0.5, 2, 0.5, 0.5]
    kinds = [StepKind.RECEIVE, StepKind.ASSIGN, StepKind.APPRAISE, StepKind.APPRAISE, StepKind.SIGN, StepKind.REVIEW,
             StepKind.OTHER, StepKind.SIGN, StepKind.ISSUE, StepKind.RETURN]
    return ProcessVersion(steps=[step(f"B{n}", *row) for n, row in enumerate(zip(names, units, days, kinds), start=1)],
                          branches=[])


def lines_of(text: ET.Element) -> str:
    """The words of an SVG <text>, its lines joined by spaces as they were before wrapping."""
    return " ".join(tspan.text or "" for tspan in text.iter(f"{SVG}tspan"))


def words(element: ET.Element) -> str:
    return " ".join(lines_of(text) for text in element.iter(f"{SVG}text"))


def groups(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if css_class in g.get("class", "").split()]


def band(element: ET.Element) -> tuple[float, float, float, float]:
    rect = element.find(f"{SVG}rect")
    return tuple(float(rect.get(name)) for name in ("x", "y", "width", "height"))


def view_box(root: ET.Element) -> tuple[float, float]:
    _, _, width, height = map(float, root.get("viewBox").split())
    return width, height


@pytest.fixture
def postal_svg() -> ET.Element:
    return ET.fromstring(render_svg(postal_licence_version(), title="QT-01 Cấp giấy phép bưu chính"))


def test_the_map_is_a_standalone_svg_that_scales_to_its_page(postal_svg):
    assert postal_svg.tag == f"{SVG}svg" and postal_svg.get("version") == "1.1"
    assert postal_svg.find(f"{SVG}title").text == "QT-01 Cấp giấy phép bưu chính"
    assert postal_svg.get("width") == "100%" and "DejaVu Sans" in postal_svg.get("font-family")
    assert not list(postal_svg.iter(f"{SVG}script"))
    assert "href" not in render_svg(postal_licence_version())


def test_fixed_size_gives_the_natural_size_in_pixels():
    root = ET.fromstring(render_svg(ten_step_version(), fixed_size=True))
    assert (float(root.get("width")), float(root.get("height"))) == view_box(root)


def test_one_lane_per_unit_in_order_of_the_main_line_then_the_branch_parties(postal_svg):
    names = [words(lane) for lane in groups(postal_svg, "lane")]
    assert names == ["BP TN&TKQ", "Phòng BC-VT", "Lãnh đạo Sở", "Văn thư Sở", APPLICANT, POLICE]
    ten = ET.fromstring(render_svg(ten_step_version()))
    assert [words(lane) for lane in groups(ten, "lane")] == ["BP TN&TKQ", "Phòng BC-VT", "Phòng KH-TC",
                                                              "Lãnh đạo Sở", "Văn thư Sở"]


def test_each_step_is_one_box_in_its_lane_with_its_code_and_time(postal_svg):
    lanes = {words(lane): band(lane) for lane in groups(postal_svg, "lane")}
    boxes = groups(postal_svg, "step")
    assert len(boxes) == 7
    for box, step_ in zip(boxes, postal_licence_version().steps):
        assert words(box).startswith(f"{step_.code} ")
        _, top, _, height = band(box)
        _, lane_top, _, lane_height = lanes[step_.lane]
        assert lane_top < top and top + height < lane_top + lane_height
    assert "0,5 ngày" in words(boxes[0]) and "14 ngày" in words(boxes[2])


def test_boxes_run_left_to_right_one_column_each_and_fit_the_view_box():
    root = ET.fromstring(render_svg(ten_step_version()))
    boxes = [band(box) for box in groups(root, "step")]
    assert len(boxes) == 10 and all(120 <= width <= 140 for _, _, width, _ in boxes)
    assert all(a[0] + a[2] < b[0] for a, b in zip(boxes, boxes[1:]))
    width, height = view_box(root)
    assert boxes[-1][0] + boxes[-1][2] + COLUMN_W / 2 < width
    assert all(y + h < height for _, y, _, h in boxes)


def test_the_text_never_reads_smaller_than_11_px_when_the_map_shrinks_to_its_page():
    root = ET.fromstring(render_svg(ten_step_version()))
    min_width = float(re.search(r"min-width: (\d+)px", root.get("style")).group(1))
    smallest = min(float(element.get("font-size")) for element in root.iter() if element.get("font-size"))
    assert smallest * min_width / view_box(root)[0] >= 11


def test_one_arrow_per_flow_of_the_main_line_and_of_each_branch(postal_svg):
    flows = groups(postal_svg, "flow")
    # start, 7 steps, 2 gateways and the end: 10 flows; a supplement and a consultation go and come back, a refusal ends
    assert len(flows) == 10 + 2 + 2 + 1
    assert [len(groups(postal_svg, f"flow-{kind}")) for kind in ("main", "supplement", "consultation", "refusal")] \
        == [10, 2, 2, 1]
    assert all(flow.find(f"{SVG}path") is not None and flow.find(f"{SVG}polygon") is not None for flow in flows)
    assert len(groups(ET.fromstring(render_svg(ten_step_version())), "flow")) == 11


def test_branches_show_their_forms_and_conditions(postal_svg):
    branches = groups(postal_svg, "branch")
    assert [words(box) for box in branches] == ["Bổ sung hồ sơ Mẫu 02", "Cho ý kiến Công văn lấy ý kiến"]
    refusal = groups(postal_svg, "event-refusal_end")[0]
    assert words(refusal) == "Mẫu 03 / Văn bản từ chối"
    assert refusal.find(f"{SVG}circle").get("stroke") == "#c62828"
    labels = [words(label) for label in groups(postal_svg, "flow-label")]
    assert labels == ["Hồ sơ chưa đầy đủ", "Cần ý kiến phối hợp", "Không đủ điều kiện cấp phép"]
    assert "Hồ sơ đầy đủ?" in words(groups(postal_svg, "gateway")[0])


def test_the_total_is_written_under_the_map(postal_svg):
    assert "Tổng thời gian: 20 ngày làm việc" in words(postal_svg)
    assert "Tổng thời gian: 17,5 ngày làm việc" in render_svg(ten_step_version())


def test_hours_are_written_in_hours():
    version = ProcessVersion(steps=[ProcessStep(code="B1", name="Tiếp nhận", unit=ONE_STOP, kind=StepKind.RECEIVE,
                                                allotted_minutes=240, allotted_unit=TimeUnit.WORKING_HOURS)])
    svg = render_svg(version)
    assert "4 giờ" in svg and "Tổng thời gian: 4 giờ làm việc" in svg


@pytest.mark.parametrize("version", [postal_licence_version(), ten_step_version()], ids=["branches", "ten steps"])
def test_paths_are_orthogonal_and_cross_no_box(version):
    geometry = layout(version)
    for edge in geometry.edges:
        for (x1, y1), (x2, y2) in zip(edge.points, edge.points[1:]):
            assert x1 == x2 or y1 == y2, edge
            for node in geometry.nodes:
                if node.id in (edge.source, edge.target):
                    continue
                r = node.rect
                left, right, top, bottom = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
                assert right <= r.x or left >= r.right or bottom <= r.y or top >= r.bottom, (edge.id, node.id)


def test_user_text_is_escaped_and_vietnamese_stays_text():
    version = ProcessVersion(steps=[step("B1", "A & B <C>", ONE_STOP, 1)])
    svg = render_svg(version, title="Thủ tục <mới> & cũ")
    assert "A &amp; B &lt;C&gt;" in svg and "Thủ tục" in svg
    assert words(groups(ET.fromstring(svg), "step")[0]) == "B1 1 ngày A & B <C>"


def test_a_long_name_is_cut_after_three_lines_with_an_ellipsis():
    name = "Thẩm định hồ sơ, thẩm định thực tế tại cơ sở nếu cần, dự thảo giấy phép hoặc văn bản từ chối cấp phép"
    box = groups(ET.fromstring(render_svg(ProcessVersion(steps=[step("B3", name, POSTAL_OFFICE, 14)]))), "step")[0]
    name_lines = list(box.iter(f"{SVG}text"))[-1].findall(f"{SVG}tspan")
    assert len(name_lines) == 3 and name_lines[-1].text.endswith("…")


def test_any_objects_with_the_same_attributes_can_be_drawn():
    steps = [SimpleNamespace(code=f"B{n}", name=f"Bước {n}", lane=lane, unit=None, performer=lane, description="",
                             kind="other", allotted_minutes=480, allotted_unit=TimeUnit.WORKING_DAYS, output="")
             for n, lane in enumerate(["Văn phòng", "Phòng Pháp chế"], start=1)]
    svg = render_svg(SimpleNamespace(steps=steps, branches=[]))
    assert len(groups(ET.fromstring(svg), "step")) == 2 and "Tổng thời gian: 2 ngày làm việc" in svg


def test_a_version_without_steps_says_so():
    root = ET.fromstring(render_svg(ProcessVersion(steps=[], branches=[])))
    assert "Chưa có bước nào" in words(root) and not groups(root, "step")


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_the_png_is_the_svg_at_the_given_scale(scale):
    from PIL import Image

    version = postal_licence_version()
    png = render_png(version, scale=scale)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = view_box(ET.fromstring(render_svg(version)))
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (round(width * scale), round(height * scale))
