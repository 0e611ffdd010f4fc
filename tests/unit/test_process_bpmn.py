"""BPMN 2.0 export of a process version (processes.bpmn): valid against the OMG schema, complete
diagram interchange, and runnable by a BPMN engine (SpiffWorkflow) along the main line and each branch."""

from __future__ import annotations

from pathlib import Path

import pytest

SpiffWorkflow = pytest.importorskip("SpiffWorkflow")

from lxml import etree  # noqa: E402 - SpiffWorkflow brings lxml
from SpiffWorkflow.bpmn.parser import BpmnParser  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402

from processes.bpmn import version_bpmn  # noqa: E402
from processes.drawing import layout  # noqa: E402
from processes.models import ProcessVersion  # noqa: E402
from test_process_drawing import postal_licence_version, ten_step_version  # noqa: E402

SCHEMA_DIR = Path(SpiffWorkflow.__file__).parent / "bpmn" / "parser" / "schema"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
FLOW_NODES = ("startEvent", "endEvent", "task", "exclusiveGateway")
PROCESS_ID = "Process_1_004470"


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    for imported in ("Semantic.xsd", "BPMNDI.xsd", "DC.xsd", "DI.xsd"):  # BPMN20.xsd imports them from its folder
        assert (SCHEMA_DIR / imported).is_file()
    return etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "BPMN20.xsd")))


def export(version: ProcessVersion) -> etree._Element:
    return etree.fromstring(version_bpmn(version, process_name="Cấp giấy phép bưu chính", process_id=PROCESS_ID))


@pytest.fixture
def postal() -> etree._Element:
    return export(postal_licence_version())


def flow_nodes(document: etree._Element) -> list[etree._Element]:
    return [node for tag in FLOW_NODES for node in document.iterfind(f".//bpmn:process/bpmn:{tag}", NS)]


@pytest.mark.parametrize("version", [postal_licence_version(), ten_step_version()], ids=["branches", "ten steps"])
def test_the_export_validates_against_the_bpmn_schema(schema, version):
    schema.assertValid(export(version))


def test_one_pool_for_the_process_and_a_lane_per_lane_of_the_map(postal):
    participant = postal.find("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == PROCESS_ID and participant.get("name") == "Cấp giấy phép bưu chính"
    lanes = postal.findall(".//bpmn:laneSet/bpmn:lane", NS)
    assert [lane.get("name") for lane in lanes] == [lane.name for lane in layout(postal_licence_version()).lanes]
    refs = sorted(ref.text for lane in lanes for ref in lane.iterfind("bpmn:flowNodeRef", NS))
    assert refs == sorted(node.get("id") for node in flow_nodes(postal))


def test_steps_are_named_tasks_documenting_who_does_what_within_how_long(postal):
    first = postal.find(".//bpmn:task[@id='Task_1']", NS)
    assert first.get("name") == "B1. Tiếp nhận, kiểm tra hồ sơ; lập Giấy tiếp nhận; scan; chuyển hồ sơ"
    documentation = first.find("bpmn:documentation", NS).text
    assert "Công chức BP TN&TKQ" in documentation and "0,5 ngày" in documentation and "Mẫu 01" in documentation
    assert "14 ngày" in postal.find(".//bpmn:task[@id='Task_3']/bpmn:documentation", NS).text


def test_branches_leave_a_gateway_by_named_conditional_flows_and_the_main_line_is_its_default(postal):
    gateway = postal.find(".//bpmn:exclusiveGateway[@id='Gateway_1']", NS)
    assert gateway.get("name") == "Hồ sơ đầy đủ?"
    flows = {flow.get("id"): flow for flow in postal.iterfind(".//bpmn:sequenceFlow", NS)}
    default = flows[gateway.get("default")]
    assert default.get("targetRef") == "Task_2" and default.find("bpmn:conditionExpression", NS) is None
    supplement = next(flows[ref.text] for ref in gateway.iterfind("bpmn:outgoing", NS) if ref.text != default.get("id"))
    assert supplement.get("name") == "Hồ sơ chưa đầy đủ"
    assert supplement.find("bpmn:conditionExpression", NS).text == 'branch == "supplement"'
    refusal = postal.find(".//bpmn:endEvent[@name='Từ chối']", NS)
    assert refusal is not None and "Mẫu 03" in refusal.find("bpmn:documentation", NS).text


def test_every_node_has_one_shape_and_every_flow_one_edge_placed_as_drawn(postal):
    shapes = [shape.get("bpmnElement") for shape in postal.iterfind(".//bpmndi:BPMNShape", NS)]
    nodes = [node.get("id") for node in flow_nodes(postal)]
    lanes = [lane.get("id") for lane in postal.iterfind(".//bpmn:lane", NS)]
    assert sorted(shapes) == sorted(nodes + lanes + ["Participant_1"])
    edges = [edge.get("bpmnElement") for edge in postal.iterfind(".//bpmndi:BPMNEdge", NS)]
    assert sorted(edges) == sorted(flow.get("id") for flow in postal.iterfind(".//bpmn:sequenceFlow", NS))
    assert all(len(edge.findall("di:waypoint", NS)) >= 2 for edge in postal.iterfind(".//bpmndi:BPMNEdge", NS))
    task = next(node.rect for node in layout(postal_licence_version()).nodes if node.id == "Task_1")
    bounds = postal.find(".//bpmndi:BPMNShape[@bpmnElement='Task_1']/dc:Bounds", NS)
    assert [float(bounds.get(name)) for name in ("x", "y", "width", "height")] == [task.x, task.y, task.width,
                                                                                  task.height]


def run(document: etree._Element, choices: dict[str, str]) -> tuple[list[str], BpmnWorkflow]:
    """Run the model in SpiffWorkflow, completing each ready task; *choices* names the branch to take once
    after a task (by its id), every other task leaves ``branch`` empty so its gateway takes the default."""
    parser = BpmnParser()
    parser.add_bpmn_xml(document)
    workflow = BpmnWorkflow(parser.get_spec(PROCESS_ID))
    done = []
    workflow.do_engine_steps()
    while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
        task = ready[0]
        task.data["branch"] = choices.pop(task.task_spec.bpmn_id, "")
        task.run()
        done.append(task.task_spec.bpmn_id)
        workflow.do_engine_steps()
    return done, workflow


def completed_end(workflow: BpmnWorkflow) -> list[str]:
    return [task.task_spec.bpmn_id for task in workflow.get_tasks(state=TaskState.COMPLETED)
            if task.task_spec.bpmn_id and "EndEvent" in task.task_spec.bpmn_id]


def test_an_engine_runs_the_main_line_to_the_end(postal):
    done, workflow = run(postal, {})
    assert done == [f"Task_{n}" for n in range(1, 8)]
    assert workflow.is_completed() and completed_end(workflow) == ["EndEvent"]


def test_a_supplement_request_goes_to_the_applicant_and_back_to_reception(postal):
    done, workflow = run(postal, {"Task_1": "supplement"})
    assert done[:3] == ["Task_1", "Task_Branch_1_1", "Task_1"] and done[-1] == "Task_7"
    assert workflow.is_completed()


def test_a_consultation_comes_back_and_a_refusal_ends_the_dossier(postal):
    done, _ = run(postal, {"Task_3": "consultation"})
    assert done[2:5] == ["Task_3", "Task_Branch_3_1", "Task_3"]
    done, workflow = run(postal, {"Task_3": "refusal"})
    assert done == ["Task_1", "Task_2", "Task_3"]
    assert workflow.is_completed() and completed_end(workflow) == ["EndEvent_Refusal_3_2"]


def test_the_process_id_must_be_an_xml_id_and_a_map_needs_steps():
    with pytest.raises(ValueError):
        version_bpmn(ten_step_version(), process_name="x", process_id="1.004470")
    with pytest.raises(ValueError):
        version_bpmn(ProcessVersion(steps=[], branches=[]), process_name="x", process_id=PROCESS_ID)
