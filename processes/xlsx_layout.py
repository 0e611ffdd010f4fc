"""The layout of the process-maps workbook, shared by the export (``processes.xlsx``) and the import
(``processes.importers``): its sheets, their columns and the words allowed in the enumerated columns.

The sheet names, headers and words are the agency's own Vietnamese form, so they are fixed text, not
translated. The importer matches headers and words without regard to case, diacritics or a note in
brackets ("Nộp trực tiếp (x)" = "nop truc tiep"), so a header typed again by hand still works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from processes.models import BranchKind, OnlineService, ProcedureLevel, ProcedureStatus, StepKind, TimeUnit
from qms.text import fold

LEVEL_WORDS = {ProcedureLevel.CENTRAL: "Trung ương", ProcedureLevel.PROVINCIAL: "Cấp tỉnh",
               ProcedureLevel.DISTRICT: "Cấp huyện", ProcedureLevel.COMMUNE: "Cấp xã"}
TIME_UNIT_WORDS = {TimeUnit.WORKING_DAYS: "ngày làm việc", TimeUnit.WORKING_HOURS: "giờ làm việc",
                   TimeUnit.CALENDAR_DAYS: "ngày"}
ONLINE_WORDS = {OnlineService.NONE: "không", OnlineService.PARTIAL: "một phần", OnlineService.FULL: "toàn trình"}
STATUS_WORDS = {ProcedureStatus.IN_FORCE: "đang áp dụng", ProcedureStatus.ABOLISHED: "đã bãi bỏ"}
STEP_KIND_WORDS = {StepKind.RECEIVE: "Tiếp nhận", StepKind.ASSIGN: "Phân công", StepKind.APPRAISE: "Thẩm định",
                   StepKind.REVIEW: "Xem xét trình ký", StepKind.SIGN: "Ký duyệt", StepKind.ISSUE: "Phát hành",
                   StepKind.RETURN: "Trả kết quả", StepKind.CONSULT: "Lấy ý kiến", StepKind.OTHER: "Khác"}
BRANCH_KIND_WORDS = {BranchKind.SUPPLEMENT: "Yêu cầu bổ sung", BranchKind.REFUSAL: "Từ chối",
                     BranchKind.CONSULTATION: "Lấy ý kiến"}
#: Other spellings people write, folded: "ngày theo lịch", "thụ lý", ...
WORD_ALIASES = {
    "ngay theo lich": TimeUnit.CALENDAR_DAYS, "ngay lich": TimeUnit.CALENDAR_DAYS, "gio": TimeUnit.WORKING_HOURS,
    "trung uong": ProcedureLevel.CENTRAL, "tinh": ProcedureLevel.PROVINCIAL,
    "huyen": ProcedureLevel.DISTRICT, "xa": ProcedureLevel.COMMUNE, "khong truc tuyen": OnlineService.NONE,
    "thu ly": StepKind.APPRAISE, "xem xet": StepKind.REVIEW, "trinh ky": StepKind.REVIEW, "ky": StepKind.SIGN,
    "vao so phat hanh": StepKind.ISSUE, "bo sung": BranchKind.SUPPLEMENT, "tu choi tiep nhan": BranchKind.REFUSAL,
    "dang hieu luc": ProcedureStatus.IN_FORCE, "bai bo": ProcedureStatus.ABOLISHED,
}
YES_MARK = "x"
YES_WORDS = frozenset({"x", "co", "1", "true", "yes", "v", "✓", "✔"})
NO_WORDS = frozenset({"", "khong", "0", "false", "no", "-"})
LIST_SEPARATOR = re.compile(r"[;\n]+")


def match_key(text) -> str:
    """A header or a word as compared: folded, without a note in brackets, punctuation or stars."""
    folded = re.sub(r"\([^)]*\)", " ", fold(str(text or "")))
    return re.sub(r"\s+", " ", re.sub(r"[^0-9a-z]+", " ", folded)).strip()


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    meaning: str
    allowed: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()  # a drop-down list in the workbook
    max_length: int = 0
    as_text: bool = False  # codes and numbers of decisions: the column is formatted as text
    aliases: tuple[str, ...] = ()

    def matches(self, header) -> bool:
        key = match_key(header)
        return bool(key) and key in {match_key(self.header), *(match_key(a) for a in self.aliases)}


@dataclass(frozen=True)
class SheetLayout:
    name: str
    title: str
    purpose: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def letter(self, key: str) -> str:
        from openpyxl.utils import get_column_letter

        return get_column_letter([c.key for c in self.columns].index(key) + 1)


def _choices(words: dict) -> tuple[str, ...]:
    return tuple(words.values())


def _listed(words: dict) -> str:
    return " / ".join(words.values())


_TIME_UNITS = f"{_listed(TIME_UNIT_WORDS)} (theo lịch); để trống: ngày làm việc"
_AMOUNT = "Số; dấu phẩy hoặc dấu chấm thập phân (0,5 hoặc 0.5); ngày theo nửa ngày, giờ theo nửa giờ"
_CODE = Column("code", "Mã TTHC", 14, "Mã thủ tục trên Cơ sở dữ liệu quốc gia về TTHC.", "Ví dụ 1.004470 (để ô "
               "kiểu văn bản để giữ các số 0)", required=True, max_length=30, as_text=True,
               aliases=("Mã thủ tục", "Mã TTHC quốc gia"))

CATALOGUE = SheetLayout("Thủ tục", "DANH MỤC THỦ TỤC HÀNH CHÍNH", "Mỗi dòng một thủ tục hành chính.", (
    _CODE,
    Column("name", "Tên thủ tục", 48, "Tên thủ tục như trong quyết định công bố.", required=True, max_length=500,
           aliases=("Tên thủ tục hành chính", "Tên TTHC")),
    Column("field", "Lĩnh vực", 18, "Lĩnh vực của thủ tục.", "Ví dụ Bưu chính", required=True, max_length=200),
    Column("level", "Cấp thực hiện", 13, "Cấp giải quyết thủ tục.", f"{_listed(LEVEL_WORDS)}; để trống: Cấp tỉnh",
           choices=_choices(LEVEL_WORDS)),
    Column("legal_limit", "Thời hạn theo quy định", 11, "Thời hạn giải quyết theo quy định.", _AMOUNT,
           required=True, aliases=("Thời hạn giải quyết",)),
    Column("legal_limit_unit", "Đơn vị thời hạn", 14, "Đơn vị của thời hạn theo quy định.", _TIME_UNITS,
           choices=_choices(TIME_UNIT_WORDS)),
    Column("committed_limit", "Thời hạn cam kết", 11, "Thời hạn rút ngắn mà cơ quan cam kết (nếu có); không dài "
           "hơn thời hạn theo quy định. Quy trình phải cộng đủ thời hạn này.", f"{_AMOUNT}; để trống nếu không "
           "rút ngắn"),
    Column("committed_limit_unit", "Đơn vị thời hạn cam kết", 14, "Đơn vị của thời hạn cam kết.",
           f"{_TIME_UNITS}; để trống: như thời hạn theo quy định", choices=_choices(TIME_UNIT_WORDS)),
    Column("fees", "Phí/lệ phí", 22, "Phí, lệ phí phải nộp.", "Văn bản tự do", max_length=5000),
    Column("accepts_in_person", "Nộp trực tiếp (x)", 9, "Nhận hồ sơ trực tiếp tại Bộ phận Một cửa.",
           "x nếu có; để trống nếu không", choices=(YES_MARK,)),
    Column("accepts_post", "Nộp qua bưu chính (x)", 9, "Nhận hồ sơ qua dịch vụ bưu chính công ích.",
           "x nếu có; để trống nếu không", choices=(YES_MARK,)),
    Column("online_service", "Dịch vụ công trực tuyến", 12, "Mức cung cấp dịch vụ công trực tuyến.",
           f"{_listed(ONLINE_WORDS)}; để trống: không", choices=_choices(ONLINE_WORDS)),
    Column("announcement_no", "QĐ công bố số", 16, "Số quyết định công bố thủ tục.", "Ví dụ 1220/QĐ-UBND",
           max_length=80, as_text=True),
    Column("announcement_on", "Ngày QĐ công bố (dd/mm/yyyy)", 12, "Ngày của quyết định công bố.",
           "dd/mm/yyyy hoặc ô kiểu ngày", aliases=("Ngày QĐ công bố", "Ngày công bố")),
    Column("internal_approval_no", "QĐ phê duyệt quy trình nội bộ số", 16, "Số quyết định phê duyệt quy trình "
           "nội bộ.", max_length=80, as_text=True),
    Column("internal_approval_on", "Ngày QĐ phê duyệt (dd/mm/yyyy)", 12, "Ngày của quyết định phê duyệt quy "
           "trình nội bộ.", "dd/mm/yyyy hoặc ô kiểu ngày", aliases=("Ngày phê duyệt", "Ngày QĐ phê duyệt quy trình")),
    Column("owner_unit", "Đơn vị chủ trì", 11, "Mã đơn vị chủ trì giải quyết (xem danh sách mã đơn vị ở "
           "trang Hướng dẫn).", "Mã đơn vị, ví dụ BCVT", max_length=30, as_text=True),
    Column("legal_bases", "Căn cứ pháp lý", 26, "Số, ký hiệu các văn bản làm căn cứ, đã có trong Danh mục tài "
           "liệu bên ngoài.", "Cách nhau bằng dấu chấm phẩy, ví dụ 61/2018/NĐ-CP; 107/2021/NĐ-CP"),
    Column("status", "Tình trạng", 13, "Thủ tục còn áp dụng hay đã bãi bỏ.",
           f"{_listed(STATUS_WORDS)}; để trống: đang áp dụng", choices=_choices(STATUS_WORDS)),
    Column("abolished_on", "Ngày bãi bỏ (dd/mm/yyyy)", 12, "Ngày thủ tục bị bãi bỏ; bắt buộc khi Tình trạng là "
           "đã bãi bỏ.", "dd/mm/yyyy hoặc ô kiểu ngày", aliases=("Ngày bãi bỏ",)),
    Column("notes", "Ghi chú", 24, "Ghi chú.", "Văn bản tự do", max_length=5000),
))

STEPS = SheetLayout("Quy trình", "QUY TRÌNH NỘI BỘ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
                    "Mỗi dòng một bước; các bước của một thủ tục theo thứ tự thực hiện; một tệp có thể có nhiều "
                    "thủ tục.", (
    _CODE,
    Column("step", "Bước", 7, "Mã bước, duy nhất trong một thủ tục.", "B1, B2, …", required=True, max_length=10,
           as_text=True, aliases=("Mã bước",)),
    Column("name", "Tên bước", 28, "Tên ngắn của bước.", "Ví dụ Tiếp nhận, kiểm tra hồ sơ", required=True,
           max_length=300),
    Column("description", "Nội dung công việc", 40, "Việc phải làm ở bước này.", "Văn bản tự do", max_length=5000),
    Column("unit", "Đơn vị", 10, "Mã đơn vị thực hiện (xem danh sách mã đơn vị ở trang Hướng dẫn).",
           "Mã đơn vị; để trống nếu người thực hiện không thuộc đơn vị nào của Sở", max_length=30, as_text=True,
           aliases=("Đơn vị thực hiện", "Mã đơn vị")),
    Column("performer", "Người thực hiện", 20, "Chức danh chịu trách nhiệm; bắt buộc khi không có Đơn vị.",
           "Ví dụ Trưởng phòng, Văn thư Sở", max_length=200, aliases=("Trách nhiệm",)),
    Column("kind", "Loại bước", 15, "Loại công việc của bước.", f"{_listed(STEP_KIND_WORDS)}; để trống: Khác",
           choices=_choices(STEP_KIND_WORDS)),
    Column("amount", "Thời gian", 9, "Thời gian dành cho bước.", _AMOUNT, required=True,
           aliases=("Thời gian thực hiện",)),
    Column("time_unit", "Đơn vị thời gian", 14, "Đơn vị của thời gian.", _TIME_UNITS,
           choices=_choices(TIME_UNIT_WORDS)),
    Column("output", "Biểu mẫu / Kết quả", 26, "Biểu mẫu lập ra hoặc kết quả của bước.", "Ví dụ Mẫu 01, Mẫu 05",
           max_length=300, aliases=("Biểu mẫu", "Kết quả")),
))

BRANCHES = SheetLayout("Nhánh", "CÁC NHÁNH CỦA QUY TRÌNH: YÊU CẦU BỔ SUNG, TỪ CHỐI, LẤY Ý KIẾN",
                       "Mỗi dòng một nhánh rẽ khỏi luồng chính; chỉ nhập cùng các bước của thủ tục đó.", (
    _CODE,
    Column("kind", "Loại nhánh", 16, "Loại nhánh.", _listed(BRANCH_KIND_WORDS), required=True,
           choices=_choices(BRANCH_KIND_WORDS)),
    Column("from_step", "Từ bước", 8, "Bước rẽ nhánh (phải có ở trang Quy trình).", "B1, B3, …", required=True,
           max_length=10, as_text=True),
    Column("to_step", "Về bước", 8, "Bước quay lại sau nhánh; để trống với Từ chối (hồ sơ kết thúc).",
           "Để trống: quay lại chính bước rẽ nhánh", max_length=10, as_text=True),
    Column("party", "Bên liên quan", 24, "Tổ chức, cá nhân hoặc cơ quan được gửi đến.",
           "Ví dụ Tổ chức, cá nhân; Công an tỉnh", max_length=200),
    Column("condition", "Điều kiện", 30, "Khi nào rẽ nhánh.", "Ví dụ Hồ sơ chưa đầy đủ", max_length=300),
    Column("output", "Biểu mẫu / Kết quả", 26, "Biểu mẫu hoặc văn bản của nhánh.", "Ví dụ Mẫu 02",
           max_length=300, aliases=("Biểu mẫu", "Kết quả")),
))

GUIDE_SHEET = "Hướng dẫn"
DATA_SHEETS = (CATALOGUE, STEPS, BRANCHES)
HEADER_ROW = 3  # the title on row 1, the headers on row 3, data from row 4
