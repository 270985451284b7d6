import json
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TZ", "UTC")

FIXTURES = Path(__file__).parent / "fixtures"
try:
    from hypothesis import settings as hypothesis_settings
    from hypothesis.configuration import set_hypothesis_home_dir
except ImportError:  # pragma: no cover - hypothesis is a test extra
    pass
else:
    # Nothing a test does leaves a file in the checkout: no .hypothesis/ example database (a failing
    # example is printed with the failure, which is how it is reproduced) and Hypothesis's caches in
    # a directory removed when the run ends.
    _HYPOTHESIS_HOME = tempfile.TemporaryDirectory(prefix="paywatch-tests-hypothesis-")
    set_hypothesis_home_dir(_HYPOTHESIS_HOME.name)
    hypothesis_settings.register_profile("paywatch", database=None)
    hypothesis_settings.load_profile("paywatch")


def fixture_path(name: str) -> Path:
    return FIXTURES / name


def fixture_json(name: str):
    return json.loads(fixture_path(name).read_text(encoding="utf-8"))


@pytest.fixture
def memory_db():
    from archive.schema import open_archive

    db = open_archive(":memory:")
    yield db
    db.close()


# Files a paywatch command must refuse as an archive (tests of crawl, report and the read commands).
def text_file(path: Path) -> None:
    path.write_bytes(b"this is not SQLite\n" * 50)


def another_programs_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (text)")
