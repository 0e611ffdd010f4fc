"""The timeliness dashboard, the measured process map and ``qms step-stats`` through HTTP and the CLI (issue 5).

The sample is ``tests.analysis_samples``: five measured dossiers of the postal licence in May-June 2024.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from openpyxl import load_workbook

from processes.dossiers.charts import RATIO_FILLS
from qms.extensions import db
from qms.permissions import Role
from tests.analysis_samples import add_dossier, add_sample_dossiers, local
from tests.conftest import AuthActions
from tests.process_samples import approve, draft_first_version, setup_people

PERIOD = "from=01/05/2024&to=30/06/2024"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def sample(app, make_user):
    """The sample team, the 1.004470 map in force since April 2024, the measured dossiers, one at risk."""
    with app.app_context():
        people = setup_people(make_user)
        procedure, version = draft_first_version(people)
        approve(people, version, at=local(2024, 4, 1, 9, 0))
        add_sample_dossiers(version)
        soon = datetime.now().astimezone() + timedelta(hours=3)
        add_dossier(version, "000.00.17.H99-240422-0042", ready=None, used_days=None, timeliness=None,
                    status=4, due=soon, runs=[("B1", local(2024, 4, 22, 11, 0), 0.25, "early", "Thảo")])
        db.session.commit()
        return {"procedure": procedure.id, "version": version.id}


def signed_in(app, make_user, role: str) -> AuthActions:
    username = f"reader.{role}"
    extra = {"expires_on": date.today() + timedelta(days=30)} if role == Role.EXTERNAL_AUDITOR else {}
    make_user(role, username=username, full_name=f"Người đọc {role}", **extra)
    actions = AuthActions(app.test_client())
    actions.client.set_cookie("qms_lang", "en")
    assert actions.login(username).status_code == 302
    return actions


def svgs(page: str) -> list[ET.Element]:
    """The pictures of the page (the icons of the layout are not)."""
    return [svg for svg in (ET.fromstring(match) for match in re.findall(r"<svg .*?</svg>", page, flags=re.S))
            if svg.get("role") == "img"]


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_every_reader_sees_the_dashboard_with_its_charts(app, make_user, sample, role):
    auth = signed_in(app, make_user, role)
    response = auth.client.get(f"/analysis/?{PERIOD}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    charts = [svg for svg in svgs(page) if "chart" in svg.get("class", "")]
    assert len(charts) == 4  # trend, steps against allotment, bottlenecks by step and by unit
    titles = [svg.find(f"{SVG}title").text for svg in charts]
    assert titles[0] == "On-time rate of the dossiers, month by month"
    assert not re.search(r"<script[^>]+src=\"https?://|<link[^>]+href=\"https?://", page)  # nothing from the net
    assert "Timeliness and bottlenecks" in page and 'data-testid="analysis-filters"' in page


def test_the_dashboard_shows_the_figures_of_the_period(app, make_user, sample):
    auth = signed_in(app, make_user, "director")
    page = auth.client.get(f"/analysis/?{PERIOD}").get_data(as_text=True)
    trend = svgs(page)[0]
    months = [g.find(f"{SVG}title").text for g in trend.iter(f"{SVG}g") if g.get("class") == "month"]
    assert months == ["05/2024: 2 dossiers, 2 early, 0 on time, 0 late",
                      "06/2024: 3 dossiers, 0 early, 1 on time, 2 late"]
    steps_table = page[page.index('data-testid="step-table"'):]
    assert "14,0 d" in steps_table and "18,4 d" in steps_table  # B3's median and 90th percentile
    bottlenecks = page[page.index('data-testid="bottlenecks"'):page.index('data-testid="at-risk"')]
    assert bottlenecks.index("B3") < bottlenecks.index("B5") and "8,0 d" in bottlenecks
    at_risk = page[page.index('data-testid="at-risk"'):page.index('data-testid="by-procedure"')]
    assert "000.00.17.H99-240422-0042" in at_risk and "B2" in at_risk
    assert ("/dossiers/" in at_risk) == ("dossiers.detail" in app.view_functions)


def test_filters_narrow_the_figures_and_bad_dates_are_said(app, make_user, sample):
    auth = signed_in(app, make_user, "specialist")
    online = auth.client.get(f"/analysis/?{PERIOD}&channel=online").get_data(as_text=True)
    kpis = online[online.index('data-testid="kpis"'):online.index('data-testid="trend"')]
    assert re.search(r'kpi-value">1<', kpis)  # D4 alone
    june = auth.client.get(f"/analysis/?from=01/06/2024&to=30/06/2024&procedure={sample['procedure']}")
    assert re.search(r'kpi-value">3<', june.get_data(as_text=True))
    wrong = auth.client.get("/analysis/?from=31/02/2024&to=nope")
    assert wrong.status_code == 200 and "Enter the dates as dd/mm/yyyy." in wrong.get_data(as_text=True)
    swapped = auth.client.get("/analysis/?from=30/06/2024&to=01/05/2024").get_data(as_text=True)
    assert "the dates were swapped" in swapped and re.search(r'kpi-value">5<', swapped)


def test_the_measured_map_colours_each_step_by_its_median(app, make_user, sample):
    auth = signed_in(app, make_user, "external_auditor")
    response = auth.client.get(f"/analysis/procedures/{sample['procedure']}/map?{PERIOD}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-testid="map-legend"' in page and "median above the allotment" in page
    (drawing,) = [svg for svg in svgs(page) if "chart" not in svg.get("class", "")]
    boxes = {g.get("id"): g for g in drawing.iter(f"{SVG}g") if g.get("class") == "step"}
    fills = [box.findall(f"{SVG}rect")[1].get("fill") for box in boxes.values()]
    # B1 0.25 of 0.5 day: good; B3 14 of 14 days: tight; B5 2 of 2 days: tight; the others: no run
    assert fills == [RATIO_FILLS["good"], RATIO_FILLS["none"], RATIO_FILLS["tight"], RATIO_FILLS["none"],
                     RATIO_FILLS["tight"], RATIO_FILLS["none"], RATIO_FILLS["none"]]
    assert "14,0 / 14,0 d" in ET.tostring(drawing, encoding="unicode")
    assert auth.client.get("/analysis/procedures/999999/map").status_code == 404


def test_the_step_figures_download_as_xlsx(app, make_user, sample):
    auth = signed_in(app, make_user, "unit_head")
    response = auth.client.get(f"/analysis/steps.xlsx?{PERIOD}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    b3 = next(row for row in rows if row[2] == "B3")
    assert b3[5:9] == [5, 2, 1, 2] and b3[11] == 14 and b3[12] == pytest.approx(18.4) and b3[13] == 14


def test_step_stats_command_prints_the_same_figures_as_json_and_xlsx(app, sample, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["step-stats", "--from", "2024-05-01", "--to", "30/06/2024", "--procedure",
                                 "1.004470", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["units_per_working_day"] == 480 and [s["step"] for s in data["steps"]] == ["B1", "B3", "B5"]
    b3 = data["steps"][1]
    assert (b3["runs"], b3["early"], b3["on_time"], b3["late"]) == (5, 2, 1, 2)
    assert (b3["mean_days"], b3["median_days"], b3["p90_days"], b3["allotted_days"]) == (14.4, 14.0, 18.4, 14.0)
    assert b3["share_late"] == 0.4 and b3["median_to_allotment"] == 1.0 and b3["unit"] == "BCVT"
    out = tmp_path / "steps.xlsx"
    result = runner.invoke(args=["step-stats", "--from", "2024-05-01", "--to", "2024-06-30", "--format", "xlsx",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    assert [row[2] for row in sheet.iter_rows(min_row=4, values_only=True)] == ["B1", "B3", "B5"]
    wrong = runner.invoke(args=["step-stats", "--from", "2024-05-01", "--to", "2024-06-30", "--procedure", "9.999"])
    assert wrong.exit_code != 0 and "no procedure 9.999" in wrong.output


def test_without_any_dossier_the_pages_say_so(app, make_user):
    auth = signed_in(app, make_user, "one_stop_officer")
    page = auth.client.get("/analysis/").get_data(as_text=True)
    assert page.count("No dossier measured in this period.") >= 2 and "No dossier in progress is at risk." in page
    assert len([svg for svg in svgs(page) if "chart" in svg.get("class", "")]) == 4
    result = app.test_cli_runner().invoke(args=["step-stats", "--from", "2026-01-01", "--to", "2026-12-31"])
    assert result.exit_code == 0 and json.loads(result.output)["steps"] == []
