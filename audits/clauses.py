"""The ISO 9001:2008 clause catalogue (clauses 4 to 8), the scope and criteria of internal audits (clause 8.2.2).

Titles in Vietnamese follow TCVN ISO 9001:2008; each clause names the ISO 9001:2015 clause(s) that
took its content over (ISO/TC 176 correlation matrix), for agencies that moved to TCVN ISO 9001:2015.
Pure Python: no app, no database.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Clause:
    code: str  # "4", "4.2", "4.2.3"
    title_vi: str
    title_en: str
    iso2015: tuple[str, ...] = ()

    @property
    def level(self) -> int:
        """1 for a main clause (4 to 8), 2 for 4.2, 3 for 4.2.3."""
        return self.code.count(".") + 1

    @property
    def main(self) -> str:
        """The main clause it belongs to: "4" for 4.2.3."""
        return self.code.split(".")[0]

    def __str__(self) -> str:
        return f"{self.code} {self.title_vi}"


_C = Clause

CLAUSES: tuple[Clause, ...] = (
    _C("4", "Hệ thống quản lý chất lượng", "Quality management system", ("4",)),
    _C("4.1", "Yêu cầu chung", "General requirements", ("4.1", "4.2", "4.3", "4.4")),
    _C("4.2", "Yêu cầu về hệ thống tài liệu", "Documentation requirements", ("7.5",)),
    _C("4.2.1", "Khái quát", "General", ("7.5.1",)),
    _C("4.2.2", "Sổ tay chất lượng", "Quality manual", ("4.3", "4.4", "7.5.1")),
    _C("4.2.3", "Kiểm soát tài liệu", "Control of documents", ("7.5.2", "7.5.3")),
    _C("4.2.4", "Kiểm soát hồ sơ", "Control of records", ("7.5.2", "7.5.3")),
    _C("5", "Trách nhiệm của lãnh đạo", "Management responsibility", ("5",)),
    _C("5.1", "Cam kết của lãnh đạo", "Management commitment", ("5.1.1",)),
    _C("5.2", "Hướng vào khách hàng", "Customer focus", ("5.1.2",)),
    _C("5.3", "Chính sách chất lượng", "Quality policy", ("5.2",)),
    _C("5.4", "Hoạch định", "Planning", ("6",)),
    _C("5.4.1", "Mục tiêu chất lượng", "Quality objectives", ("6.2",)),
    _C("5.4.2", "Hoạch định hệ thống quản lý chất lượng", "Quality management system planning", ("6.1", "6.3")),
    _C("5.5", "Trách nhiệm, quyền hạn và trao đổi thông tin", "Responsibility, authority and communication",
       ("5.3",)),
    _C("5.5.1", "Trách nhiệm và quyền hạn", "Responsibility and authority", ("5.3",)),
    _C("5.5.2", "Đại diện của lãnh đạo", "Management representative", ("5.3",)),
    _C("5.5.3", "Trao đổi thông tin nội bộ", "Internal communication", ("7.4",)),
    _C("5.6", "Xem xét của lãnh đạo", "Management review", ("9.3",)),
    _C("5.6.1", "Khái quát", "General", ("9.3.1",)),
    _C("5.6.2", "Đầu vào của việc xem xét", "Review input", ("9.3.2",)),
    _C("5.6.3", "Đầu ra của việc xem xét", "Review output", ("9.3.3",)),
    _C("6", "Quản lý nguồn lực", "Resource management", ("7.1",)),
    _C("6.1", "Cung cấp nguồn lực", "Provision of resources", ("7.1.1",)),
    _C("6.2", "Nguồn nhân lực", "Human resources", ("7.1.2", "7.2")),
    _C("6.2.1", "Khái quát", "General", ("7.2",)),
    _C("6.2.2", "Năng lực, đào tạo và nhận thức", "Competence, training and awareness", ("7.2", "7.3")),
    _C("6.3", "Cơ sở hạ tầng", "Infrastructure", ("7.1.3",)),
    _C("6.4", "Môi trường làm việc", "Work environment", ("7.1.4",)),
    _C("7", "Tạo sản phẩm", "Product realization", ("8",)),
    _C("7.1", "Hoạch định việc tạo sản phẩm", "Planning of product realization", ("8.1",)),
    _C("7.2", "Các quá trình liên quan đến khách hàng", "Customer-related processes", ("8.2",)),
    _C("7.2.1", "Xác định các yêu cầu liên quan đến sản phẩm", "Determination of requirements related to the product",
       ("8.2.2",)),
    _C("7.2.2", "Xem xét các yêu cầu liên quan đến sản phẩm", "Review of requirements related to the product",
       ("8.2.3",)),
    _C("7.2.3", "Trao đổi thông tin với khách hàng", "Customer communication", ("8.2.1",)),
    _C("7.3", "Thiết kế và phát triển", "Design and development", ("8.3",)),
    _C("7.3.1", "Hoạch định thiết kế và phát triển", "Design and development planning", ("8.3.2",)),
    _C("7.3.2", "Đầu vào của thiết kế và phát triển", "Design and development inputs", ("8.3.3",)),
    _C("7.3.3", "Đầu ra của thiết kế và phát triển", "Design and development outputs", ("8.3.5",)),
    _C("7.3.4", "Xem xét thiết kế và phát triển", "Design and development review", ("8.3.4",)),
    _C("7.3.5", "Kiểm tra xác nhận thiết kế và phát triển", "Design and development verification", ("8.3.4",)),
    _C("7.3.6", "Xác nhận giá trị sử dụng của thiết kế và phát triển", "Design and development validation",
       ("8.3.4",)),
    _C("7.3.7", "Kiểm soát thay đổi thiết kế và phát triển", "Control of design and development changes",
       ("8.3.6",)),
    _C("7.4", "Mua hàng", "Purchasing", ("8.4",)),
    _C("7.4.1", "Quá trình mua hàng", "Purchasing process", ("8.4.1", "8.4.2")),
    _C("7.4.2", "Thông tin mua hàng", "Purchasing information", ("8.4.3",)),
    _C("7.4.3", "Kiểm tra xác nhận sản phẩm mua vào", "Verification of purchased product", ("8.4.2", "8.6")),
    _C("7.5", "Sản xuất và cung cấp dịch vụ", "Production and service provision", ("8.5",)),
    _C("7.5.1", "Kiểm soát sản xuất và cung cấp dịch vụ", "Control of production and service provision",
       ("8.5.1",)),
    _C("7.5.2", "Xác nhận giá trị sử dụng của các quá trình sản xuất và cung cấp dịch vụ",
       "Validation of processes for production and service provision", ("8.5.1",)),
    _C("7.5.3", "Nhận biết và xác định nguồn gốc", "Identification and traceability", ("8.5.2",)),
    _C("7.5.4", "Tài sản của khách hàng", "Customer property", ("8.5.3",)),
    _C("7.5.5", "Bảo toàn sản phẩm", "Preservation of product", ("8.5.4",)),
    _C("7.6", "Kiểm soát thiết bị theo dõi và đo lường", "Control of monitoring and measuring equipment", ("7.1.5",)),
    _C("8", "Đo lường, phân tích và cải tiến", "Measurement, analysis and improvement", ("9", "10")),
    _C("8.1", "Khái quát", "General", ("9.1.1",)),
    _C("8.2", "Theo dõi và đo lường", "Monitoring and measurement", ("9.1",)),
    _C("8.2.1", "Sự thỏa mãn của khách hàng", "Customer satisfaction", ("9.1.2",)),
    _C("8.2.2", "Đánh giá nội bộ", "Internal audit", ("9.2",)),
    _C("8.2.3", "Theo dõi và đo lường các quá trình", "Monitoring and measurement of processes", ("9.1.1",)),
    _C("8.2.4", "Theo dõi và đo lường sản phẩm", "Monitoring and measurement of product", ("8.6", "9.1.1")),
    _C("8.3", "Kiểm soát sản phẩm không phù hợp", "Control of nonconforming product", ("8.7", "10.2")),
    _C("8.4", "Phân tích dữ liệu", "Analysis of data", ("9.1.3",)),
    _C("8.5", "Cải tiến", "Improvement", ("10",)),
    _C("8.5.1", "Cải tiến thường xuyên", "Continual improvement", ("10.1", "10.3")),
    _C("8.5.2", "Hành động khắc phục", "Corrective action", ("10.2",)),
    _C("8.5.3", "Hành động phòng ngừa", "Preventive action", ("6.1",)),
)

_BY_CODE = {c.code: c for c in CLAUSES}

#: The main clauses, 4 to 8.
MAIN_CLAUSES: tuple[Clause, ...] = tuple(c for c in CLAUSES if c.level == 1)


def clause(code: str) -> Clause:
    """The clause of *code* ("4.2.3"); KeyError for a code outside the catalogue."""
    return _BY_CODE[code.strip()]


def is_clause(code: str) -> bool:
    return code.strip() in _BY_CODE


def title(item: Clause | str, locale: str | None = "vi") -> str:
    """The title of a clause in *locale* (Vietnamese unless the locale is English)."""
    item = clause(item) if isinstance(item, str) else item
    return item.title_en if str(locale or "vi").startswith("en") else item.title_vi


def covers(audited: str, code: str) -> bool:
    """Whether auditing clause *audited* covers clause *code*: a clause covers itself and its sub-clauses."""
    return code == audited or code.startswith(audited + ".")


def sort_key(code: str) -> tuple[int, ...]:
    """Numeric order: 4.2.10 after 4.2.9."""
    return tuple(int(part) for part in code.split("."))
