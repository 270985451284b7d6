"""`paywatch serve`: Datasette on 127.0.0.1 with the canned queries, on a real archive."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from archive.schema import open_archive
from archive.store import ingest_crawl
from tests.test_archive import pay, posting


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_serve_exposes_the_archive_views_and_canned_queries(tmp_path):
    db_path = tmp_path / "nightly.db"
    db = open_archive(str(db_path))
    ingest_crawl(db, company="acme", platform="greenhouse", items=[posting("1", ranges=[pay(100000, 150000, source="structured")])],
                 started_at="2026-11-01T03:00:00+00:00")
    ingest_crawl(db, company="acme", platform="greenhouse", items=[posting("1", ranges=[pay(120000, 150000, source="structured")])],
                 started_at="2026-11-02T03:00:00+00:00")
    db.close()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "scrapers.cli", "serve", "--db", str(db_path), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/nightly"
    try:
        for _ in range(100):
            try:
                get_json(f"http://127.0.0.1:{port}/-/versions.json")
                break
            except OSError:
                time.sleep(0.1)
        changes = get_json(f"{base}/pay_changes.json?_shape=array")
        assert [(c["old_pay"], c["new_pay"]) for c in changes] == [
            ("USD 100,000-150,000/year base", "USD 120,000-150,000/year base")]
        canned = get_json(f"{base}/pay_changes_since.json?since=2026-11-01&_shape=array")
        assert len(canned) == 1
        share = get_json(f"{base}/share_with_pay.json?_shape=array")
        # No crawl through `paywatch crawl` filled companies here, so the sector is unknown.
        assert share == [{"company": "acme", "sector": None, "open_postings": 1, "with_pay": 1, "percent_with_pay": 100.0}]
        ai = get_json(f"{base}/ai_vs_other_pay.json?currency=USD&_shape=array")
        assert (ai[0]["company"], ai[0]["median_annual_min"]) == ("all unknown", 120000)
    finally:
        server.terminate()
        server.wait(timeout=10)
    # Stopping `paywatch serve` stops its Datasette: nothing is left listening on the port.
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"Datasette still listens on port {port} after paywatch serve stopped")


# How `serve` starts and stops: a real `python -m scrapers.cli serve` in its own session (so a test
# can send Ctrl-C's SIGINT to its process group, as a terminal does), bounded waits, killed in finally.

def small_archive(path):
    db = open_archive(str(path))
    ingest_crawl(db, company="acme", platform="greenhouse", items=[posting("1", ranges=[pay(100000, 150000)])],
                 started_at="2026-11-01T03:00:00+00:00")
    db.close()


def start_serve(db_path, port):
    return subprocess.Popen([sys.executable, "-m", "scrapers.cli", "serve", "--db", str(db_path), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_until_served(server, port, seconds=20):
    deadline = time.monotonic() + seconds
    while True:
        try:
            get_json(f"http://127.0.0.1:{port}/-/versions.json")
            return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"paywatch serve did not answer on port {port} within {seconds} s") from None
            time.sleep(0.1)


def children_of(pid):
    """The processes whose parent is ``pid`` (read from /proc: Datasette is `serve`'s child)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def is_listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def gone(pid, seconds=10):
    """True once ``pid`` has ended (or is a zombie nobody reaped yet), within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


def stop_everything(server, pids):
    for pid in [server.pid, *pids]:
        try:
            os.killpg(pid, signal.SIGKILL) if pid == server.pid else os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    server.wait(timeout=10)


def test_serve_on_a_busy_port_says_so_in_one_line_and_exits_2_before_claiming_to_serve(tmp_path):
    db_path = tmp_path / "nightly.db"
    small_archive(db_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "scrapers.cli", "serve", "--db", str(db_path), "--port", str(port)],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    suggested = int(line.removeprefix(f"paywatch: port {port} is in use; try --port "))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", suggested))  # the port it names is free
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@contextmanager
def serving(tmp_path):
    """``paywatch serve`` on a small archive in ``tmp_path``, answering: (the process, its port, its
    Datasette's pid); everything is killed on the way out, whatever the test did."""
    db_path = tmp_path / "nightly.db"
    small_archive(db_path)
    port = free_port()
    server = start_serve(db_path, port)
    datasette = []
    try:
        wait_until_served(server, port)
        datasette = children_of(server.pid)
        assert len(datasette) == 1
        yield server, port, datasette[0]
    finally:
        stop_everything(server, datasette)


@pytest.mark.parametrize("stop", ["SIGTERM to the command", "Ctrl-C (SIGINT to its process group)"])
def test_serve_stopped_by_sigterm_or_ctrl_c_exits_0_and_stops_datasette(tmp_path, stop):
    with serving(tmp_path) as (server, port, datasette):
        before = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("nightly.db-"))
        if stop.startswith("SIGTERM"):
            server.send_signal(signal.SIGTERM)
        else:
            os.killpg(server.pid, signal.SIGINT)
        _, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
        assert gone(datasette) and not is_listening(port)
        assert "aborted" not in err and "Traceback" not in err
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # its -wal and -shm gone with it


def test_serve_killed_outright_takes_its_datasette_with_it(tmp_path):
    with serving(tmp_path) as (server, port, datasette):
        server.kill()  # SIGKILL to `serve` alone: no handler runs
        server.wait(timeout=10)
        assert gone(datasette), "Datasette outlived the paywatch serve that started it"
        assert not is_listening(port)


def test_datasette_stopping_by_itself_with_an_error_is_exit_1_not_the_archive_code(tmp_path, monkeypatch, capsys):
    """uvicorn exits 3 when it cannot start (another program took the port after it was tried):
    that is Datasette's failure, not an unusable archive (paywatch's 3)."""
    from archive import datasette
    from scrapers.cli import main

    db_path = tmp_path / "nightly.db"
    small_archive(db_path)
    monkeypatch.setattr(datasette, "datasette_command", lambda *_, **__: [sys.executable, "-c", "raise SystemExit(3)"])
    code = main(["serve", "--db", str(db_path), "--port", str(free_port())])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[-1] == "paywatch: Datasette stopped with exit code 3"
