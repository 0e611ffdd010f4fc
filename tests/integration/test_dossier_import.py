"""Bulk import of the one-stop systems' .csv and .xlsx exports (issue 5): both layouts, the mapping saved and
reused, Vietnamese dates, errors naming row, column, value and rule, nothing new on a second import, and an
import stopped half-way (by a fault, or by killing its process) leaves the database as it was."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from openpyxl import Workbook
from sqlalchemy import func, select

from processes.dossiers import import_jobs, importing, importing_child, importing_readers
from processes.dossiers.import_models import ColumnMapping, DossierImport, ImportStatus
from processes.dossiers.importing_mapping import suggest
from processes.dossiers.importing_readers import ImportFileRefused
from processes.dossiers.models import Dossier, DossierStatus, StepRun, Timeliness
from qms.extensions import db
from qms.timeutil import agency_zone
from qms.users.models import User
from tests.process_samples import approve, draft_first_version, setup_people

HANDOVERS = ["25/04/2024 15:40", "26/04/2024 08:30", "17/05/2024 16:00", "21/05/2024 10:15", "23/05/2024 16:20",
             "24/05/2024 09:10", "24/05/2024 15:00"]
EVENT_HEADER = "Mã hồ sơ;Mã TTHC;Ngày tiếp nhận;Ngày trả kết quả;Bước;Thời điểm;Loại sự kiện;Người xử lý"


def local(*parts):
    return datetime(*parts, tzinfo=agency_zone())


@pytest.fixture
def people(ctx, make_user):
    return setup_people(make_user)


@pytest.fixture
def procedure(people):
    procedure, version = draft_first_version(people)
    approve(people, version, at=local(2024, 4, 1, 9, 0))
    return procedure


def event_rows(code="000.00.17.H99-240425-0007", returned="24/05/2024 15:00", times=HANDOVERS):
    return [f"{code};1.004470;25/04/2024 14:30;{returned};B{n};{at};Hoàn thành;Nguyễn Thị Thảo"
            for n, at in enumerate(times, start=1)]


def write(tmp_path, name, lines, encoding="utf-8-sig") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def run(path, people, mapping=None, dry_run=False) -> DossierImport:
    """Register *path* as the one-stop officer, map it (saving the suggestion when no mapping fits), run it."""
    with force_locale("en"):
        batch = importing.register_file(path, actor=people["officer"], dry_run=dry_run)
        if batch.status == ImportStatus.MAPPING:
            importing.save_mapping(batch, mapping or suggest(batch.headers), name=f"map {path.name}",
                                   actor=people["officer"])
        db.session.commit()
        ident = batch.id
        import_jobs.execute_import(ident, path=path)
    db.session.expire_all()
    return db.session.get(DossierImport, ident)


def counts():
    return db.session.scalar(select(func.count(Dossier.id))), db.session.scalar(select(func.count(StepRun.id)))


FORK_WARNING = "ignore:This process .* is multi-threaded:DeprecationWarning"  # Python 3.12+: pytest has threads


@pytest.fixture(params=["here", "child"])
def reading(request, monkeypatch):
    """Read the file in this process, or in a child process as ``qms import-dossiers`` reads a large file
    (``importing_child``): the same results either way."""
    used = []
    if request.param == "child":
        def spy(make, progress):
            used.append(True)
            return importing_child.batches_in_child(make, progress)

        monkeypatch.setattr(importing, "use_child", lambda size: True)
        monkeypatch.setattr(importing, "batches_in_child", spy)
    yield request.param
    assert bool(used) == (request.param == "child")


@pytest.mark.filterwarnings(FORK_WARNING)
def test_an_events_file_is_mapped_once_measured_and_a_second_import_changes_nothing(people, procedure, tmp_path, reading):
    path = write(tmp_path, "mot-cua.csv", [EVENT_HEADER] + event_rows())
    first = run(path, people)
    assert first.status == ImportStatus.DONE, first.message or first.errors
    assert (first.dossiers_created, first.steps_created) == (1, 7)
    dossier = db.session.scalar(select(Dossier))
    assert dossier.status == DossierStatus.RETURNED and dossier.due_at == local(2024, 5, 27, 14, 30)
    assert dossier.timeliness == Timeliness.EARLY and dossier.import_id == first.id and dossier.source == "import"
    assert [run.step_code for run in dossier.steps] == [f"B{n}" for n in range(1, 8)]
    assert dossier.steps[0].used_units == pytest.approx(70 * 480 / 450) and dossier.steps[0].handler == "Nguyễn Thị Thảo"
    assert all(run.result == Timeliness.EARLY for run in dossier.steps)
    mapping = db.session.scalar(select(ColumnMapping))
    assert mapping.layout.value == "events" and mapping.data["fields"]["time"] == "Thời điểm"
    again = run(path, people)  # the saved mapping is found by the headers: no mapping step
    assert again.mapping_id == mapping.id and again.status == ImportStatus.DONE
    assert not again.changed and again.dossiers_unchanged == 1
    with force_locale("en"):
        assert "Nothing new" in importing.summary(again)
        assert importing.earlier_imports(again) == [first]  # "the same file was already imported on …"
    assert counts() == (1, 7)


def test_vietnamese_dates_one_digit_dates_and_a_semicolon(people, procedure, tmp_path):
    times = ["25/4/2024 15:40", "26-04-2024 08:30", "2024-05-17 16:00", "21/05/2024 10:15:00", "23.05.2024 16:20",
             "24/05/2024 9:10", "15:00 24/05/2024"]
    path = write(tmp_path, "ngay.csv", [EVENT_HEADER] + event_rows(times=times))
    done = run(path, people)
    assert done.status == ImportStatus.DONE, done.errors
    finished = [r.finished_at for r in db.session.scalar(select(Dossier)).steps]
    assert finished[0] == local(2024, 4, 25, 15, 40) and finished[5] == local(2024, 5, 24, 9, 10)
    assert finished[6] == local(2024, 5, 24, 15, 0)


def cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: the letter precomposed, the tone mark combining."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = next(mark for mark in parts if mark in "\u0300\u0301\u0303\u0309\u0323")
            out += unicodedata.normalize("NFC", parts.replace(tone, "")).encode("cp1258") + tone.encode("cp1258")
    return out


def test_a_windows_1258_file_with_a_tab(people, procedure, tmp_path):
    lines = [line.replace(";", "\t") for line in [EVENT_HEADER] + event_rows()]
    path = tmp_path / "cp1258.txt"
    path.write_bytes(cp1258("\r\n".join(lines)))
    done = run(path, people)
    assert done.status == ImportStatus.DONE and done.steps_created == 7
    assert db.session.scalar(select(StepRun.handler)) == "Nguyễn Thị Thảo"


def dossier_workbook(path: Path, rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Hồ sơ"
    sheet.append(["SỞ THÔNG TIN VÀ TRUYỀN THÔNG – DANH SÁCH HỒ SƠ"])  # a title block above the header
    sheet.append([])
    sheet.append(["STT", "Mã hồ sơ", "Mã TTHC", "Chủ hồ sơ", "Kênh", "Ngày nhận", "Ngày có kết quả", "Ngày trả"]
                 + [f"Hoàn thành B{n}" for n in range(1, 8)])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


@pytest.mark.filterwarnings(FORK_WARNING)
def test_a_workbook_of_one_row_per_dossier_with_excel_dates_and_text_dates(people, procedure, tmp_path, reading):
    excel = [datetime.strptime(t, "%d/%m/%Y %H:%M") for t in HANDOVERS]
    rows = [[1, "000.00.17.H99-240425-0007", 1.00447, "Công ty An Phú", "Trực tiếp", datetime(2024, 4, 25, 14, 30),
             excel[5], excel[6]] + excel,
            [2, "000.00.17.H99-240425-0008", "1.004470", "Lê Văn An", "Trực tuyến", "25/04/2024 14:45", None, None]
            + HANDOVERS[:3] + [None] * 4]
    path = dossier_workbook(tmp_path / "ho-so.xlsx", rows)
    done = run(path, people)
    assert done.status == ImportStatus.DONE, done.errors
    assert (done.dossiers_created, done.steps_created) == (2, 10)
    first, second = db.session.scalars(select(Dossier).order_by(Dossier.code)).all()
    assert first.status == DossierStatus.RETURNED and first.result_ready_at == local(2024, 5, 24, 9, 10)
    assert first.applicant_name == "Công ty An Phú" and first.channel.value == "in_person"
    assert second.status == DossierStatus.IN_PROGRESS and second.channel.value == "online"
    assert len(second.steps) == 3 and second.steps[0].started_at == local(2024, 4, 25, 14, 45)
    assert done.mapping.layout.value == "dossiers" and done.mapping.data["steps"]["B3"] == "Hoàn thành B3"


@pytest.mark.filterwarnings(FORK_WARNING)
def test_every_error_names_row_column_value_and_rule_and_nothing_is_written(people, procedure, tmp_path, reading):
    lines = [EVENT_HEADER] + event_rows()
    lines += event_rows(code="A-2", times=HANDOVERS[:2] + ["31/02/2024 10:00"])  # not a date
    lines += event_rows(code="A-3", times=[HANDOVERS[0], "20/04/2024 09:00"])  # before the receipt, out of order
    lines += event_rows(code="A-4", returned="01/04/2024 09:00", times=HANDOVERS[:1])  # returned before received
    lines += event_rows(code="A-5", times=HANDOVERS[:1] + ["01/01/2030 08:00"])  # in the future
    lines += ["A-6;1.004470;25/04/2024 14:30;;B2;26/04/2024 09:00;Bắt đầu xử lý;",
              "A-6;1.004470;25/04/2024 14:30;;B2;26/04/2024 08:00;Hoàn thành;"]  # finished before it started
    lines += ["A-7;1.004470;25/04/2024 14:30;;Thẩm định lại;26/04/2024 09:00;Hoàn thành;"]
    path = write(tmp_path, "loi.csv", lines)
    refused = run(path, people)
    assert refused.status == ImportStatus.REFUSED and counts() == (0, 0)
    errors = [" | ".join(error) for error in refused.errors]
    assert refused.error_count == len(errors) >= 7

    def named(where, column, value, rule):
        return any(e.startswith(f"loi.csv!R{where} | {column} | {value} | ") and rule in e for e in errors)

    assert named(11, "Thời điểm", "31/02/2024 10:00", "Not a date and time")
    assert named(13, "Thời điểm", "20/04/2024 09:00", "before the dossier was received")
    assert named(13, "Thời điểm", "20/04/2024 09:00", "out of order")
    assert named(14, "Ngày trả kết quả", "01/04/2024 09:00", "returned before the dossier was received")
    assert named(16, "Thời điểm", "01/01/2030 08:00", "future")
    assert named(18, "Thời điểm", "26/04/2024 08:00", "finishes before it started")
    assert named(19, "Bước", "Thẩm định lại", "no step of this code or name")


def test_a_renamed_or_foreign_file_is_refused_with_its_reason(people, procedure, tmp_path):
    workbook = dossier_workbook(tmp_path / "real.xlsx", [])
    renamed = tmp_path / "ho-so.csv"
    renamed.write_bytes(workbook.read_bytes())
    with force_locale("en"), pytest.raises(ImportFileRefused) as error:
        importing.register_file(renamed, actor=people["officer"])
    assert "Excel workbook" in error.value.message and "ho-so.csv" in error.value.message
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 600)
    with force_locale("en"), pytest.raises(ImportFileRefused) as error:
        importing.register_file(old, actor=people["officer"])
    assert ".xls" in error.value.message
    empty = write(tmp_path, "trong.csv", ["chỉ một dòng"])
    with force_locale("en"), pytest.raises(ImportFileRefused) as error:
        importing.register_file(empty, actor=people["officer"])
    assert "header" in error.value.message


def test_a_log_sorted_by_time_and_a_dossier_apart_in_the_file(people, procedure, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "BATCH_DOSSIERS", 1)  # hand each dossier on as soon as it is complete
    first, second = event_rows(code="B-1"), event_rows(code="B-2", returned="")
    by_time = [line for pair in zip(first, second) for line in pair]  # interleaved from the start: grouped
    done = run(write(tmp_path, "theo-thoi-gian.csv", [EVENT_HEADER] + by_time), people)
    assert done.status == ImportStatus.DONE and (done.dossiers_created, done.steps_created) == (2, 14)
    third = event_rows(code="B-3")
    apart = event_rows(code="B-4") + third[:3] + event_rows(code="B-5") + third[3:]  # B-3 seen again later
    done = run(write(tmp_path, "tach.csv", [EVENT_HEADER] + apart), people)  # known apart before: grouped
    assert done.status == ImportStatus.DONE and (done.dossiers_created, done.steps_created) == (3, 21)
    assert counts() == (5, 35)
    # read by the csv module (a blank line: the fast reader would lose its line number), the file streams until
    # the dossier apart shows, then is read again, grouped, from a savepoint
    again = [line.replace("B-", "K-") for line in apart]
    done = run(write(tmp_path, "trong.csv", [EVENT_HEADER] + again[:3] + [""] + again[3:]), people)
    assert done.status == ImportStatus.DONE, done.message or done.errors
    assert (done.dossiers_created, done.steps_created) == (3, 21)
    assert counts() == (8, 56)


def test_a_short_row_makes_the_import_read_with_the_csv_module(people, procedure, tmp_path, monkeypatch):
    """Arrow's fast reader refuses a row with fewer cells than the header; the first pass finds it, and the
    import reads the file with the csv module, which pads the row."""
    readings = []
    original = importing_readers._csv_chunks

    def spy(path, info, columns, chunk, fast=False):
        readings.append(fast)
        return original(path, info, columns, chunk, fast)

    monkeypatch.setattr(importing_readers, "_csv_chunks", spy)
    monkeypatch.setattr(importing_readers, "ARROW_BLOCK", 512)  # the short row is in a later block
    last = event_rows("S-3")
    last[-1] = last[-1].rsplit(";", 1)[0]  # no handler cell on the very last row
    path = write(tmp_path, "ngan.csv", [EVENT_HEADER] + event_rows("S-1") + event_rows("S-2") + last)
    done = run(path, people)
    assert done.status == ImportStatus.DONE, done.message or done.errors
    assert readings == [False]
    assert (done.dossiers_created, done.steps_created) == (3, 21) and counts() == (3, 21)
    handlers = db.session.scalars(select(StepRun.handler).order_by(StepRun.id)).all()
    assert handlers[-1] == "" and set(handlers[:-1]) == {"Nguyễn Thị Thảo"}
    readings.clear()
    assert run(write(tmp_path, "du.csv", [EVENT_HEADER] + event_rows("S-4")), people).status == ImportStatus.DONE
    assert readings == [True]  # a regular file: the fast reader


def test_fast_and_csv_module_readers_agree_on_quoted_line_breaks_and_line_numbers(tmp_path):
    text = ('\ufeffTiêu đề báo cáo\nMã hồ sơ,Mã TTHC,Bước,Thời điểm\nA,1,B1,25/04/2024 15:40\r\n'
            '"D\nghi chú",1,"B\n2",26/04/2024 08:30\nE,1,B3,\n')
    path = tmp_path / "ngat-dong.csv"
    path.write_bytes(text.encode("utf-8"))
    info = importing_readers.inspect_file(path, path.name)
    assert importing_readers._arrow_applies(path, info)
    fast = list(importing_readers._arrow_chunks(path, info, [0, 2, 3], 2))
    slow = list(importing_readers._csv_chunks(path, info, [0, 2, 3], 2, fast=False))
    assert [c.rows for c in fast] == [c.rows for c in slow] == [[3, 4], [7]]
    assert [c.values for c in fast] == [c.values for c in slow]
    assert fast[0].values[0] == ["A", "D\nghi chú"]
    blank = tmp_path / "dong-trong.csv"
    blank.write_bytes(text.replace("E,1", "\nE,1").encode("utf-8"))  # a blank line: counted by the csv module only
    assert not importing_readers._arrow_applies(blank, importing_readers.inspect_file(blank, blank.name))
    assert [c.rows for c in importing_readers._csv_chunks(blank, info, [0], 10)] == [[3, 4, 8]]


def test_an_import_failing_half_way_leaves_the_database_as_it_was(people, procedure, tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "BATCH_DOSSIERS", 1)
    path = write(tmp_path, "ba.csv", [EVENT_HEADER] + event_rows("C-1") + event_rows("C-2") + event_rows("C-3"))
    written = []

    def fault(self, batch, report):
        written.append(db.session.scalar(select(func.count(StepRun.id))))
        if len(written) == 2:
            raise RuntimeError("the server stops")

    monkeypatch.setattr(importing._Progress, "ingested", fault)
    with pytest.raises(RuntimeError):
        run(path, people)
    assert written == [7, 14]  # two dossiers were in the transaction when it stopped
    assert counts() == (0, 0)
    batch = db.session.scalar(select(DossierImport))
    assert batch.status == ImportStatus.FAILED and "RuntimeError" in batch.message


def test_a_killed_import_leaves_the_database_as_it_was(app, people, procedure, tmp_path):
    """The CLI killed with SIGKILL while it writes: its transaction never commits."""
    from benchmarks.generate_dossiers import ProcedureSpec, StepSpec, VersionSpec, generate, write_events_csv

    steps = [StepSpec(f"B{n}", f"Bước {n}", minutes, "return" if n == 7 else "other")
             for n, minutes in enumerate([240, 240, 6720, 960, 960, 240, 240], start=1)]
    spec = ProcedureSpec("1.004470", "Cấp giấy phép bưu chính", [VersionSpec(local(2024, 4, 2).date(), steps)])
    path = tmp_path / "lon.csv"
    write_events_csv(generate(30_000, procedures=[spec], until=local(2026, 6, 30, 17), years=2.0), path)
    before = counts()
    env = {**os.environ, "QMS_ENV": "development", "QMS_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "QMS_FILE_STORE": app.config["FILE_STORE"]}
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "import-dossiers", str(path), "--as", "thao.nt",
               "--mapping", "lon"]
    log = tmp_path / "cli.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, env=env, cwd=Path(__file__).resolve().parents[2], stdout=output,
                                   stderr=subprocess.STDOUT)
    progress = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        progress = _progress_of_running_import()
        if progress and progress.get("dossiers", 0) > 0:
            break
        time.sleep(0.2)
    assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
    assert len(_processes_reading(path)) == 2, "the command and its reader: a file this large is read in a child"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert progress and progress["dossiers"] > 0  # killed while its dossiers were being written
    deadline = time.monotonic() + 10
    while _processes_reading(path) and time.monotonic() < deadline:  # the reader dies with the command
        time.sleep(0.1)
    assert not _processes_reading(path)
    db.session.rollback()
    assert counts() == before
    batch = db.session.scalar(select(DossierImport).order_by(DossierImport.id.desc()))
    assert batch.status == ImportStatus.RUNNING  # it never finished …
    assert not import_jobs.is_stalled(batch)  # … and is not yet given up for dead
    assert import_jobs.is_stalled(batch, now=time.time() + import_jobs.STALE_SECONDS + 1)


def _processes_reading(path: Path) -> list[int]:
    """The live processes whose command line names *path* (the command, and its reader once forked)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes() \
                    and (entry / "stat").read_text().split(") ", 1)[1][0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _progress_of_running_import() -> dict | None:
    db.session.rollback()
    batch = db.session.scalar(select(DossierImport).where(DossierImport.status == ImportStatus.RUNNING))
    return import_jobs.read_progress(batch.id) if batch is not None else None


def test_the_background_run_reports_its_progress(app, people, procedure, tmp_path):
    path = write(tmp_path, "nen.csv", [EVENT_HEADER] + event_rows())
    with io.open(path, "rb") as stream:
        batch = importing.receive_file(stream, "nen.csv", actor=people["officer"])
    importing.save_mapping(batch, suggest(batch.headers), name="nền", actor=people["officer"])
    db.session.commit()
    assert importing.stored_import_path(batch).read_bytes() == path.read_bytes()
    import_jobs.start_in_background(app, batch.id)
    import_jobs.wait_for(batch.id)
    db.session.expire_all()
    assert batch.status == ImportStatus.DONE and batch.steps_created == 7 and batch.rows_read == 7
    assert import_jobs.read_progress(batch.id)["percent"] == 100
    assert db.session.get(User, batch.created_by_id).username == "thao.nt"


def test_suggested_mappings():
    events = suggest(["STT", "Mã hồ sơ", "Mã TTHC", "Tên bước", "Thời gian xử lý", "Cán bộ xử lý", "Ghi chú"])
    assert events.layout == "events" and not events.missing()
    assert events.fields == {"code": "Mã hồ sơ", "procedure_code": "Mã TTHC", "activity": "Tên bước",
                             "time": "Thời gian xử lý", "handler": "Cán bộ xử lý"}
    dossiers = suggest(["Số hồ sơ", "Mã thủ tục", "Ngày nhận hồ sơ", "Ngày trả kết quả", "Bước 1 (B1)", "Bước 2 (B2)"])
    assert dossiers.layout == "dossiers" and dossiers.steps == {"B1": "Bước 1 (B1)", "B2": "Bước 2 (B2)"}
    assert dossiers.fields["received_at"] == "Ngày nhận hồ sơ" and dossiers.fields["returned_at"] == "Ngày trả kết quả"


def test_the_errors_stored_are_capped_and_json(people, procedure, tmp_path):
    lines = [EVENT_HEADER] + [f"E-{n};1.004470;25/04/2024 14:30;;B1;không phải ngày;;" for n in range(700)]
    refused = run(write(tmp_path, "nhieu.csv", lines), people)
    assert refused.status == ImportStatus.REFUSED and refused.error_count == 500
    assert len(json.loads(refused.errors_json)) == 500 and refused.errors[0][0] == "nhieu.csv!R2"
    assert timedelta(0) <= refused.finished_at - refused.started_at


def test_check_only_writes_nothing_and_the_cli_exits_1_on_a_refusal(app, people, procedure, tmp_path):
    path = write(tmp_path, "thu.csv", [EVENT_HEADER] + event_rows())
    checked = run(path, people, dry_run=True)
    assert checked.status == ImportStatus.DONE and checked.is_dry_run and checked.steps_created == 7
    assert counts() == (0, 0)
    runner = app.test_cli_runner()
    done = runner.invoke(args=["import-dossiers", str(path), "--as", "thao.nt"])  # the mapping saved above fits
    assert done.exit_code == 0, done.output
    assert "1 dossiers added" in done.output or "1 hồ sơ" in done.output
    assert re.search(r"\(7 events, [\d.]+ s\)", done.output)
    bad = write(tmp_path, "sai.csv", [EVENT_HEADER] + event_rows(times=HANDOVERS[:1] + ["01/01/2030 08:00"]))
    refused = runner.invoke(args=["import-dossiers", str(bad), "--as", "thao.nt"])
    assert refused.exit_code == 1 and "sai.csv!R3" in refused.output
    unknown = runner.invoke(args=["import-dossiers", str(path), "--as", "hoa.ltm"])  # a specialist may not import
    assert unknown.exit_code != 0 and "may not import" in unknown.output
    db.session.expire_all()
    assert counts() == (1, 7)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_blank_line_is_found_wherever_the_scan_cuts_the_file(tmp_path, monkeypatch, newline):
    lines = ["Mã hồ sơ,Mã TTHC,Bước,Thời điểm"] + [f"A{i},1,B1,25/04/2024 15:40" for i in range(6)]
    path = tmp_path / "cat.csv"
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())
    info = importing_readers.inspect_file(path, path.name)
    for size in range(1, 12):  # every cut of the blank line between two reads
        monkeypatch.setattr(importing_readers, "SCAN_BYTES", size)
        assert importing_readers._arrow_applies(path, info)
        for at in (1, 4, 7):
            blank = tmp_path / f"trong-{size}-{at}.csv"
            blank.write_bytes(newline.join(lines[:at] + [""] + lines[at:]).encode("utf-8") + newline.encode())
            assert not importing_readers._arrow_applies(blank, info), (size, at)


def _items_then(error):
    def make(progress):
        if progress is not None:
            progress(1, 0.5)
        yield "first"
        yield "second"
        if error is not None:
            raise error
    return make


@pytest.mark.filterwarnings(FORK_WARNING)
def test_the_child_reader_hands_on_items_progress_and_errors_and_stops_when_closed(ctx):
    import multiprocessing

    seen = []
    assert list(importing_child.batches_in_child(_items_then(None), lambda *a: seen.append(a))) == ["first", "second"]
    assert seen == [(1, 0.5)]
    items = importing_child.batches_in_child(_items_then(ImportFileRefused("Tệp hỏng ở dòng 7.")), None)
    with pytest.raises(ImportFileRefused) as refused:
        list(items)
    assert refused.value.message == "Tệp hỏng ở dòng 7."  # the same error, as the child raised it

    class Unpicklable(Exception):  # a local class: pickle cannot name it
        pass

    with pytest.raises(importing_child.ChildFailed, match="Unpicklable: lost"):
        list(importing_child.batches_in_child(_items_then(Unpicklable("lost")), None))
    items = importing_child.batches_in_child(_items_then(None), None)
    assert next(items) == "first"
    items.close()  # the consumer stops early (too many errors): the child is stopped and reaped
    assert multiprocessing.active_children() == []
