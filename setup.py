"""Only for the egg Scrapyd runs: `scrapyd-deploy` builds it with `setup.py bdist_egg`, and writes a
setup.py of its own (without the registry and the other package data) when there is none. Everything
else about the package is in pyproject.toml, which setuptools reads here too."""

from setuptools import setup

setup()
