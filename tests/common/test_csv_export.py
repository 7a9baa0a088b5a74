import csv
import io

import pytest

from common.csv_export import csv_response, safe_cell


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1:A9)", "\tTab", "\rCarriage"]
)
def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised(text):
    assert safe_cell(text) == "'" + text


def test_plain_text_and_numbers_are_left_as_they_are():
    assert safe_cell("Maya Chen") == "Maya Chen"
    assert safe_cell(-12) == -12  # a recommend score stays a number
    assert safe_cell(3.9) == 3.9
    assert safe_cell(None) == ""


def test_the_download_is_an_attachment_that_reads_back_as_written():
    response = csv_response("t.csv", ["Name", "Score"], [["=cmd|' /C calc'!A0", -20], ["Ana", 5]])
    assert response["Content-Disposition"] == 'attachment; filename="t.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["Name", "Score"], ["'=cmd|' /C calc'!A0", "-20"], ["Ana", "5"]]
