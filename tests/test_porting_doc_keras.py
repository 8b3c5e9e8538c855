"""docs/porting-from-keras.md runs like a chapter of the course: every block prints what it shows."""

import pathlib

import pytest

from tests.oracle import keras  # noqa: F401  (the page uses tf-keras: the keras process only)
from tfcore.learn import course

pytestmark = pytest.mark.keras

PAGE = pathlib.Path(__file__).resolve().parents[1] / "docs" / "porting-from-keras.md"


def test_the_porting_page_prints_what_it_shows():
    problems = course.check_chapter(PAGE)
    assert not problems, "\n\n".join(problems)
