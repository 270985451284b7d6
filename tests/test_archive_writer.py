"""The archive writer's one connection per archive file for the whole process."""

from pathlib import Path

import pytest

from pipelines.archive_writer import close_shared_archives, shared_archive


@pytest.fixture(autouse=True)
def no_connection_left_open():
    yield
    close_shared_archives()


def test_one_connection_per_archive_file(tmp_path: Path):
    first = shared_archive(str(tmp_path / "a.db"))
    assert shared_archive(str(tmp_path / "a.db")) is first
    assert shared_archive(str(tmp_path / "b.db")) is not first
    assert "crawls" in first.table_names()  # opened as the archive, migrated


def test_an_archive_replaced_at_the_same_path_is_opened_afresh(tmp_path: Path):
    path = tmp_path / "a.db"
    first = shared_archive(str(path))
    first.execute("INSERT INTO crawls (company, platform, started_at, finished_at, status) "
                  "VALUES ('x', 'greenhouse', 't', 't', 'complete')")
    first.conn.commit()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    second = shared_archive(str(path))
    assert second is not first
    assert second.execute("SELECT count(*) FROM crawls").fetchone()[0] == 0


def test_memory_archives_are_never_shared():
    assert shared_archive(":memory:") is not shared_archive(":memory:")
