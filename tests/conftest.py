import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("TZ", "UTC")

FIXTURES = Path(__file__).parent / "fixtures"


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
