"""Packaging glue: every `agentstatus_tui*` package, plus `themes/` installed as
`agentstatus_tui.themes` (mapped in pyproject.toml). Metadata lives in pyproject.toml."""

from setuptools import find_namespace_packages, setup

packages = find_namespace_packages(include=["agentstatus_tui*"], exclude=["*.__pycache__"])
setup(packages=[*packages, "agentstatus_tui.themes"])
