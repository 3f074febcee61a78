"""Docs are part of the change: every CLI command and setting is in the README."""

import click

from corner.cli import cli
from tests.conftest import ROOT
from web.instance import Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "corner"):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def test_every_command_is_documented_in_the_readme():
    missing = [name for name in commands(cli) if f"`{name}" not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_every_setting_is_documented_in_the_readme():
    missing = [name for name in Settings.__dataclass_fields__ if f"`{name}`" not in README]
    assert not missing, f"undocumented settings: {missing}"


def test_ci_runs_exactly_the_readme_test_command():
    assert "bash scripts/test.sh" in README
    assert "exec bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
