"""The command line as a user meets it: help with an example on every command, --version, and one
clear line with exit code 2 for input it cannot use."""

import re
from pathlib import Path

import pytest

from scrapers.cli import BAD_INPUT, cli, main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_commands_are_the_ones_the_readme_documents():
    assert COMMANDS == ["companies", "crawl", "demo", "diff", "rebuild", "serve"]
    for command in COMMANDS:
        assert re.search(rf"\bpaywatch {command}\b", README), f"README never shows `paywatch {command}`"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example_and_a_db_option(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"Example: paywatch {command}" in out
    assert "--db PATH" in out


def test_version(capsys):
    from scrapers.settings import PAYWATCH_VERSION

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"paywatch, version {PAYWATCH_VERSION}"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["crawl", "--bogus"], "No such option '--bogus'"),
        (["crawl", "-s", "NOEQUALS"], "expects KEY=VALUE, got 'NOEQUALS'"),
        (["crawl", "--sector", "film"], "'film' is not one of 'studio', 'tech'"),
        (["crawl", "--company", "nope"], "not in the registry: nope"),
        (["diff"], "Missing option '--since'"),
        (["diff", "--since", "2026-11-01", "--db", "/nonexistent/archive.db"], "no archive at /nonexistent/archive.db"),
        (["serve", "--port", "99999", "--db", "x.db"], "99999 is not in the range"),
        (["companies", "--registry", "/nonexistent/companies.toml"], "registry file not found"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == BAD_INPUT
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("paywatch: ") and message in err


def test_companies_lists_the_registry(capsys):
    from scrapers.platforms import load_registry

    code, out, _ = run(capsys, "companies", "--format", "json")
    assert code == 0
    import json

    assert [row["slug"] for row in json.loads(out)] == [company.slug for company in load_registry()]


def test_no_command_prints_the_help(capsys):
    code, out, err = run(capsys)
    assert code == BAD_INPUT and err.startswith("Usage: paywatch") and "crawl" in err


def test_a_second_crawl_on_an_archive_being_written_refuses_before_any_request(capsys, tmp_path):
    from archive.lock import crawl_lock

    db = str(tmp_path / "nightly.db")
    with crawl_lock(db):  # a crawl is writing this archive
        code, out, err = run(capsys, "crawl", "--db", db, "--company", "a24",
                             "-s", "GREENHOUSE_API_URL=http://127.0.0.1:9/unreachable")
    assert code == BAD_INPUT and out == ""
    assert err.strip() == f"paywatch: another paywatch crawl is writing {db}; try again when it has finished"
    assert not (tmp_path / "nightly.db").exists()  # refused before anything was opened or sent
