from tandem.writing.diff import word_diff


def test_unchanged_text_has_no_marks():
    assert word_diff("same words here", "same words here") == "same words here"


def test_replaced_words_are_deleted_then_inserted():
    assert (
        word_diff("ivy poured coffee.", "ivy poured tea.")
        == "ivy poured <del>coffee.</del><ins>tea.</ins>"
    )


def test_diff_escapes_markup():
    out = word_diff("<b>a</b>", "<script>x</script>")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_added_paragraph_keeps_line_breaks():
    assert word_diff("one", "one\n\ntwo") == "one<ins>\n\ntwo</ins>"
