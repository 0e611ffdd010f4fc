"""BPMN 2.0 export of a process version (ISO 9001:2008 clause 4.1 a-b: the sequence and interaction of processes).

The agency's process maps live in this application, but a modeller (bpmn.io, Camunda Modeler,
Signavio) or a workflow engine reads BPMN. The export is one pool whose lanes are the map's lanes,
a task per step, an exclusive gateway after each step that has branches, and a diagram laid out by
``processes.drawing.layout``, so that the modeller shows the picture the page shows.

The model can also run: a branch's flow out of its gateway carries a Python condition on the
process variable ``branch`` (``branch == "supplement"``), and the main line is each gateway's
default flow, so a case with no branch goes straight from start to end.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from processes.drawing import Edge, MapLayout, Node, NodeKind, layout, step_details

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TARGET_NAMESPACE = "urn:qms-tthc:process-maps"
for _prefix, _uri in {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "xsi": XSI}.items():
    ET.register_namespace(_prefix, _uri)

ELEMENTS = {NodeKind.START: "startEvent", NodeKind.END: "endEvent", NodeKind.STEP: "task",
            NodeKind.GATEWAY: "exclusiveGateway", NodeKind.BRANCH_TASK: "task", NodeKind.REFUSAL_END: "endEvent"}
POOL_LABEL_W = 30  # the band in which a modeller writes the pool's name, left of the lanes
_NCNAME = re.compile(r"[A-Za-z_][\w.-]*", re.ASCII)  # xsd:ID, as far as ASCII goes


def version_bpmn(version, *, process_name: str, process_id: str) -> bytes:
    """The version as a BPMN 2.0 document (UTF-8 XML), valid against the OMG schema, with its diagram.

    *process_id* must be a valid XML id (a letter first, then letters, digits, ``_ . -``): it is the
    id by which an engine finds the process. A version without steps has no map to export.
    """
    if not _NCNAME.fullmatch(process_id):
        raise ValueError(f"{process_id!r} is not a valid XML id")
    geometry = layout(version)
    if not geometry.nodes:
        raise ValueError("a process version without steps has no process map")
    definitions = ET.Element(_bpmn("definitions"), id="Definitions_1", targetNamespace=TARGET_NAMESPACE,
                             exporter="qms-tthc", exporterVersion="1")
    collaboration = ET.SubElement(definitions, _bpmn("collaboration"), id="Collaboration_1")
    ET.SubElement(collaboration, _bpmn("participant"), id="Participant_1", name=process_name, processRef=process_id)
    process = ET.SubElement(definitions, _bpmn("process"), id=process_id, name=process_name, isExecutable="true")
    _add_lanes(process, geometry)
    for node in geometry.nodes:
        _add_flow_node(process, node, geometry.edges)
    for edge in geometry.edges:
        _add_sequence_flow(process, edge)
    _add_diagram(definitions, geometry)
    ET.indent(definitions)
    return ET.tostring(definitions, encoding="utf-8", xml_declaration=True)


def _bpmn(tag: str) -> str:
    return f"{{{BPMN}}}{tag}"


def _add_lanes(process: ET.Element, geometry: MapLayout) -> None:
    lane_set = ET.SubElement(process, _bpmn("laneSet"), id="LaneSet_1")
    for index, lane in enumerate(geometry.lanes):
        element = ET.SubElement(lane_set, _bpmn("lane"), id=f"Lane_{index + 1}", name=lane.name)
        for node in geometry.nodes:
            if node.lane == index:
                ET.SubElement(element, _bpmn("flowNodeRef")).text = node.id


def _add_flow_node(process: ET.Element, node: Node, edges: tuple[Edge, ...]) -> None:
    element = ET.SubElement(process, _bpmn(ELEMENTS[node.kind]), id=node.id, name=node.name)
    documentation = _documentation(node)
    if documentation:
        ET.SubElement(element, _bpmn("documentation")).text = "\n".join(documentation)
    for edge in edges:
        if edge.target == node.id:
            ET.SubElement(element, _bpmn("incoming")).text = edge.id
    for edge in edges:
        if edge.source == node.id:
            ET.SubElement(element, _bpmn("outgoing")).text = edge.id
    if node.kind == NodeKind.GATEWAY:
        element.set("gatewayDirection", "Diverging")
        element.set("default", next(e.id for e in edges if e.source == node.id and e.branch_kind is None))


def _documentation(node: Node) -> list[str]:
    """What a modeller shows beside the element: a step's particulars, a branch's party and form."""
    if node.kind == NodeKind.STEP:
        return step_details(node.step)
    if node.branch is not None:
        rows = (("Bên thực hiện", node.branch.party), ("Kết quả", node.branch.output))
        return [f"{label}: {value}" for label, value in rows if value]
    return []


def _add_sequence_flow(process: ET.Element, edge: Edge) -> None:
    flow = ET.SubElement(process, _bpmn("sequenceFlow"), id=edge.id, sourceRef=edge.source, targetRef=edge.target)
    if edge.condition:
        flow.set("name", edge.condition)
        expression = ET.SubElement(flow, _bpmn("conditionExpression"), {f"{{{XSI}}}type": "bpmn:tFormalExpression"})
        expression.text = f'branch == "{edge.branch_kind}"'


def _add_diagram(definitions: ET.Element, geometry: MapLayout) -> None:
    """Diagram interchange: the pool, its lanes, a shape per flow node and a line per flow, as drawn."""
    diagram = ET.SubElement(definitions, f"{{{BPMNDI}}}BPMNDiagram", id="BPMNDiagram_1")
    plane = ET.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id="BPMNPlane_1", bpmnElement="Collaboration_1")
    first, last = geometry.lanes[0].rect, geometry.lanes[-1].rect
    _shape(plane, "Participant_1", first.x, first.y, first.width, last.bottom - first.y, isHorizontal="true")
    for index, lane in enumerate(geometry.lanes):
        # The pool's name takes the first band of the header, the lane's the next; the rest stays blank as drawn.
        _shape(plane, f"Lane_{index + 1}", lane.rect.x + POOL_LABEL_W, lane.rect.y,
               lane.rect.width - POOL_LABEL_W, lane.rect.height, isHorizontal="true")
    for node in geometry.nodes:
        marker = {"isMarkerVisible": "true"} if node.kind == NodeKind.GATEWAY else {}
        _shape(plane, node.id, node.rect.x, node.rect.y, node.rect.width, node.rect.height, **marker)
    for edge in geometry.edges:
        element = ET.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{edge.id}_di", bpmnElement=edge.id)
        for x, y in edge.points:
            ET.SubElement(element, f"{{{DI}}}waypoint", x=_n(x), y=_n(y))


def _shape(plane: ET.Element, element_id: str, x: float, y: float, width: float, height: float, **extra) -> None:
    shape = ET.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id, **extra)
    ET.SubElement(shape, f"{{{DC}}}Bounds", x=_n(x), y=_n(y), width=_n(width), height=_n(height))


def _n(value: float) -> str:
    return f"{round(value, 1):g}"
