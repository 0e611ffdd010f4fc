from qms.text import fold, word_patterns


def test_fold_strips_diacritics_and_case():
    assert fold("Quy trình Kiểm soát TÀI LIỆU  Đồng") == "quy trinh kiem soat tai lieu dong"


def test_every_word_is_searched_whatever_the_punctuation():
    assert word_patterns("Phản ánh, kiến nghị") == ["%phan%", "%anh%", "%kien%", "%nghi%"]
    assert word_patterns("61/2018/NĐ-CP qt-01") == ["%61/2018/nd-cp%", "%qt-01%"]
    assert word_patterns("100%_x") == ["%100%", "%x%"]
    assert word_patterns("   ") == []
