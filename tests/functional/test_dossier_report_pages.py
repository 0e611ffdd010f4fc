"""The dossier reports through HTTP: the monthly report page, its spreadsheet, the Sổ theo dõi hồ sơ and
the Word forms of one dossier, for every role that reads dossiers; unknown ids and forms that do not exist 404."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from docx import Document
from openpyxl import load_workbook

from qms.docx import DOCX_MIMETYPE
from qms.exports import XLSX_MIMETYPE
from tests.integration.test_dossier_reports import build_sample
from tests.process_samples import setup_people

READERS = {"admin": "admin.qt", "iso_secretary": "huong.nt", "director": "hung.lv", "unit_head": "quang.nv",
           "specialist": "hoa.ltm", "one_stop_officer": "thao.nt", "internal_auditor": "an.dg",
           "external_auditor": "kiem.tv"}


@pytest.fixture
def sample(app, make_user):
    make_user("admin", username="admin.qt", full_name="Quản trị hệ thống")
    make_user("internal_auditor", username="an.dg", full_name="Đỗ Gia An")
    make_user("external_auditor", username="kiem.tv", full_name="Trần Văn Kiểm",
              expires_on=date.today() + timedelta(days=365))
    with app.app_context():
        return build_sample(setup_people(make_user))


def _forms(ids) -> dict[str, str]:
    d2, d3 = ids["d2"], ids["d3"]
    return {"mau-01": f"/dossier-reports/dossier/{ids['d1']}/mau-01.docx",
            "mau-05": f"/dossier-reports/dossier/{ids['d1']}/mau-05.docx",
            "mau-04": f"/dossier-reports/dossier/{d3}/mau-04.docx",
            "mau-02": f"/dossier-reports/dossier/{d2}/supplement/{ids['s2']}/mau-02.docx"}


@pytest.mark.parametrize("role", sorted(READERS))
def test_every_reader_sees_the_report_and_downloads_the_forms(client, auth, sample, role):
    auth.login(READERS[role])
    page = client.get("/dossier-reports/?year=2024&month=5")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1.004470" in html and "Xuất bản" in html and 'data-testid="report-total"' in html
    workbook = client.get("/dossier-reports/monthly.xlsx?year=2024&month=5")
    assert workbook.status_code == 200 and workbook.mimetype == XLSX_MIMETYPE
    register = client.get("/dossier-reports/register.xlsx?from=01/05/2024&to=31/05/2024")
    assert register.status_code == 200 and register.mimetype == XLSX_MIMETYPE
    for name, url in _forms(sample).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response.mimetype == DOCX_MIMETYPE
        assert Document(BytesIO(response.data)).paragraphs is not None


def test_the_page_shows_the_months_numbers(client, auth, sample):
    auth.login("huong.nt")
    html = client.get("/dossier-reports/?year=2024&month=5").get_data(as_text=True)
    total = html[html.index('data-testid="report-total"'):]
    cells = [cell.split("<")[0].strip() for cell in total.split('<td class="num')[1:]]
    numbers = [cell.split(">", 1)[1].split()[0] for cell in cells]
    #           carried received total resolved early on-time late progress ok late withdrawn refused
    assert numbers == ["1", "4", "5", "2", "1", "1", "0", "2", "1", "1", "0", "1"]
    assert "/dossier-reports/monthly.xlsx?year=2024&amp;month=5" in html
    assert "/dossier-reports/?year=2024&amp;month=4" in html and "/dossier-reports/?year=2024&amp;month=6" in html


def test_the_register_covers_the_dates_asked(client, auth, sample):
    auth.login("thao.nt")
    response = client.get("/dossier-reports/register.xlsx?from=01/05/2024&to=05/05/2024")
    ws = load_workbook(BytesIO(response.data)).active
    codes = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1)]
    assert [c for c in codes if c and c.startswith("000.")] == ["000.00.17.H99-240502-0001",
                                                               "000.00.17.H99-240503-0002"]
    assert 'filename="so-theo-doi-ho-so-20240501-20240505.xlsx"' in response.headers["Content-Disposition"]


def test_unknown_dossiers_and_missing_forms_404(client, auth, sample):
    auth.login("thao.nt")
    assert client.get("/dossier-reports/dossier/9999/mau-01.docx").status_code == 404
    assert client.get("/dossier-reports/dossier/9999/mau-05.docx").status_code == 404
    assert client.get(f"/dossier-reports/dossier/{sample['d1']}/mau-04.docx").status_code == 404  # no apology
    # the supplement request belongs to D2, not D1
    assert client.get(f"/dossier-reports/dossier/{sample['d1']}/supplement/{sample['s2']}/mau-02.docx").status_code \
        == 404
    assert client.get(f"/dossier-reports/dossier/{sample['d2']}/supplement/9999/mau-02.docx").status_code == 404


def test_bad_periods(client, auth, sample):
    auth.login("thao.nt")
    assert client.get("/dossier-reports/?year=2024&month=13").status_code == 400
    assert client.get("/dossier-reports/monthly.xlsx?year=abc&month=1").status_code == 400
    for query in ("from=31/05/2024&to=01/05/2024", "from=xx&to=01/05/2024", "from=01/01/2023&to=31/12/2024"):
        response = client.get(f"/dossier-reports/register.xlsx?{query}")
        assert response.status_code == 302 and response.location.endswith("/dossier-reports/")


def test_signed_out_visitors_are_sent_to_the_login(client, sample):
    response = client.get("/dossier-reports/")
    assert response.status_code == 302 and "/login" in response.location
    assert client.get(f"/dossier-reports/dossier/{sample['d1']}/mau-01.docx").status_code == 302


def test_the_navigation_links_the_report(client, auth, sample):
    auth.login("kiem.tv")
    assert 'href="/dossier-reports/"' in client.get("/").get_data(as_text=True)
