"""The scheduling shipped in deploy/: the cron line and the systemd units parse and run `paywatch
crawl` with flags it has, the alert hook works with nothing configured, and nightly logs rotate."""

import configparser
import shlex
import shutil
import subprocess
import time
from datetime import date
from pathlib import Path

import pytest

from scrapers.cli import cli
from scrapers.crawl import logs_to_delete, night_log, night_log_name

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
HOME = "/srv/paywatch"  # where the shipped files expect the checkout
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes"}


def unit(name):
    parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",))
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def crawl_flags(argv, root, monkeypatch):
    """The `paywatch crawl` flags of ``argv`` parsed by the real command (callbacks included), with
    the shipped /srv/paywatch moved to ``root``: an unknown or malformed flag fails here."""
    (root / "data").mkdir()
    (root / "deploy").mkdir()
    (root / "deploy" / "paywatch-alert").symlink_to(DEPLOY / "paywatch-alert")
    monkeypatch.chdir(root)
    position = next(index for index, word in enumerate(argv) if word.endswith("/paywatch"))
    assert argv[position + 1] == "crawl"
    flags = [word.replace(HOME, str(root)) for word in argv[position + 2:]]
    return cli.commands["crawl"].make_context("crawl", flags).params


def test_the_cron_line_runs_a_nightly_crawl_under_flock_with_a_report_and_an_alert(tmp_path, monkeypatch):
    lines = [line for line in (DEPLOY / "paywatch.cron").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#") and "=" not in line.split()[0]]
    [line] = lines
    fields = line.split(None, 5)
    minute, hour, day, month, weekday, command = fields
    assert all(field.replace("*", "0").replace(",", "").replace("-", "").replace("/", "").isdigit()
               for field in (minute, hour, day, month, weekday))
    assert "%" not in command  # cron would turn it into a newline
    cd, crawl = command.split(" && ")
    assert cd == f"cd {HOME}"
    argv = shlex.split(crawl)
    assert argv[:3] == ["flock", "-n", "data/cron.lock"]
    params = crawl_flags(argv[3:], tmp_path, monkeypatch)
    assert params["db"] == "data/paywatch.db" and argv[2] != f"{params['db']}.lock"  # paywatch takes that one
    assert params["log_dir"] == "data/logs" and params["log_keep"] == 30
    assert str(params["report_file"]) == "data/last-night.json"
    assert params["on_failure"] == ["deploy/paywatch-alert"]


def test_the_systemd_service_is_a_hardened_oneshot_writing_only_its_data_directory(tmp_path, monkeypatch):
    service = unit("paywatch-crawl.service")["Service"]
    assert service["Type"] == "oneshot" and service["User"] == "paywatch"
    assert {key: service[key] for key in HARDENING} == HARDENING
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == f"{HOME}/.venv/bin/paywatch"
    data = service["ReadWritePaths"]
    params = crawl_flags(argv, tmp_path, monkeypatch)
    for written in (params["db"], params["log_dir"], str(params["report_file"])):
        assert Path(written).is_relative_to(Path(data.replace(HOME, str(tmp_path))))
    assert params["on_failure"] == [f"{tmp_path}/deploy/paywatch-alert"]


def test_the_timer_starts_the_service_nightly_and_catches_up_a_missed_night():
    timer = unit("paywatch-crawl.timer")
    assert timer["Timer"]["Unit"] == "paywatch-crawl.service"
    assert timer["Timer"]["OnCalendar"] == "*-*-* 03:15:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    for name in ("paywatch-crawl.service", "paywatch-crawl.timer"):
        shutil.copy(DEPLOY / name, tmp_path / name)
    result = subprocess.run(["systemd-analyze", "verify", "paywatch-crawl.service", "paywatch-crawl.timer"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if line.strip() and f"{HOME}/.venv/bin/paywatch is not executable" not in line]
    assert complaints == []


def test_the_alert_hook_with_nothing_configured_says_where_the_report_is(tmp_path):
    report = tmp_path / "last-night.json"
    report.write_text("{}")
    result = subprocess.run([str(DEPLOY / "paywatch-alert"), str(report)], capture_output=True, text=True,
                            timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.strip().endswith(f"the night's crawl needs a look: see {report} (or run paywatch report)")


def test_nightly_logs_beyond_the_newest_n_are_deleted_oldest_first():
    names = ["crawl-2026-11-01.log", "crawl-2026-11-03.log", "crawl-2026-11-02.log", "crawl-2026-10-31.log"]
    tonight = night_log_name(date(2026, 11, 4))
    assert tonight == "crawl-2026-11-04.log"
    assert logs_to_delete(names, tonight, keep=3) == ["crawl-2026-10-31.log", "crawl-2026-11-01.log"]
    assert logs_to_delete(names, tonight, keep=30) == []
    assert logs_to_delete(names, tonight, keep=1) == sorted(names)


def test_only_nightly_logs_are_candidates_and_tonights_never_is():
    others = ["crawl-notes.log", "crawl-2026-11-01.log.gz", "paywatch.db", "crawl-latest.log", "old-crawl-2026-01-01.log"]
    assert logs_to_delete(others, "crawl-2026-11-04.log", keep=1) == []
    # A clock set back: tonight's name sorts before the others, and is still kept.
    later = ["crawl-2027-01-01.log", "crawl-2027-01-02.log"]
    assert logs_to_delete(later + ["crawl-2026-11-04.log"], "crawl-2026-11-04.log", keep=2) == ["crawl-2027-01-01.log"]


def test_night_log_creates_the_directory_and_rotates_in_it_only(tmp_path):
    logs = tmp_path / "logs"
    assert night_log(logs, date(2026, 11, 4), keep=2) == logs / "crawl-2026-11-04.log"
    for day in (1, 2, 3):
        (logs / f"crawl-2026-11-0{day}.log").write_text("a night\n")
    (logs / "keep-me.txt").write_text("not a nightly log\n")
    (tmp_path / "crawl-2026-10-01.log").write_text("outside the log directory\n")
    night_log(logs, date(2026, 11, 4), keep=2)
    assert sorted(path.name for path in logs.iterdir()) == ["crawl-2026-11-03.log", "keep-me.txt"]
    assert (tmp_path / "crawl-2026-10-01.log").exists()


@pytest.mark.parametrize("document", ["README.md", "docs/NIGHT.md"])
def test_the_docs_show_the_shipped_cron_line(document):
    text = (DEPLOY.parent / document).read_text(encoding="utf-8")
    [shipped] = [line for line in (DEPLOY / "paywatch.cron").read_text().splitlines() if line.startswith("15 3 ")]
    assert f"{shipped}\n```" in text


def test_an_alert_hook_that_hangs_is_killed_with_what_it_started(tmp_path):
    from scrapers.crawl import run_on_failure

    started = tmp_path / "child.pid"
    hang = ["sh", "-c", f'sleep 60 & echo $! > {started}; wait', "hook"]
    assert run_on_failure(hang, tmp_path / "r.json", timeout=1) == "killed after 1 s"
    child = Path(f"/proc/{int(started.read_text())}")
    for _ in range(100):  # SIGKILL is sent; give the kernel up to 10 s to finish it off
        try:
            if "(zombie)" in child.joinpath("status").read_text():
                break
        except FileNotFoundError:  # gone and reaped
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the hook's child {child.name} outlived the hook's timeout")
    assert run_on_failure(["sh", "-c", "exit 4", "hook"], tmp_path / "r.json") == "exited 4"
    assert run_on_failure([str(tmp_path / "gone")], tmp_path / "r.json").startswith("could not run it")
    assert run_on_failure(["true"], tmp_path / "r.json") is None
