"""The suite's own promises: the README's two commands are the ones CI runs, on a clone with nothing
beside it, so a test that needs something outside the checkout fails there."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def readme_command(number):
    """The README's command as .ci/run reads it, with .ci/run's own reader."""
    reader = subprocess.run(["sed", "-n", "/^readme_command()/,/^}/p", str(REPO / ".ci" / "run")],
                            capture_output=True, text=True, check=True).stdout
    assert reader, ".ci/run no longer reads the README's commands with readme_command"
    return subprocess.run(["bash", "-c", f"{reader}\nreadme_command {number}"], cwd=REPO, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_ci_runs_the_readmes_two_commands_as_written():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert len(first_block) == 2, "the README starts with exactly two commands"
    assert readme_command(1) == first_block[0] and readme_command(2) == first_block[1]
    assert "paywatch demo" in first_block[0]
    # The test command works in a new shell, where no venv is active.
    assert first_block[1] == ".venv/bin/python -m pytest -q"


def test_ci_runs_them_on_a_clone_with_nothing_beside_it_then_the_slow_tests_and_checks_what_was_left():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert 'git clone --quiet --no-local . "$clone"' in ci and 'nothing_beside "$clone"' in ci
    assert '-m "slow or scale"' in ci and "check_left_nothing" in ci


def test_the_licence_file_is_the_one_the_package_declares():
    import tomllib

    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]["text"]
    licence = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert declared == "MIT" and licence.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in licence
