"""Every command's --help reads whole in an 80-column terminal (issue 29).

The commands are enumerated from the Typer app itself, so a new command or
option is checked without touching this file. Rich's option table cut what did
not fit its column with "…"; the test asks for no cut, no line longer than 80
characters, and every option's name and help text printed whole.
"""

from __future__ import annotations

import re

import pytest
import typer
from hotline_nlp.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def _walk(cmd, path):
    yield path, cmd
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from _walk(sub, [*path, name])


COMMANDS = list(_walk(typer.main.get_command(app), []))


def _squeezed(text: str) -> str:
    """Text without its line breaks and indentation (wrapping may split a word at a hyphen)."""
    return re.sub(r"\s+", "", text)


def test_the_app_has_the_commands_of_the_readme():
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"train", "classify", "report", "hotspots", "serve", "store import", "models list"} <= names


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) or "hotline-nlp" for p, _ in COMMANDS])
def test_help_is_whole_at_80_columns(path, cmd):
    res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert res.exit_code == 0, res.output
    out = res.output
    assert "…" not in out, "\n".join(line for line in out.splitlines() if "…" in line)
    wide = [line for line in out.splitlines() if len(line) > 80]
    assert not wide, wide
    whole = _squeezed(out)
    for param in cmd.params:
        if getattr(param, "hidden", False):
            continue
        for name in [*param.opts, *getattr(param, "secondary_opts", [])]:
            if name.startswith("--"):
                assert name in out, f"{name} cut in {' '.join(path)} --help"
        if getattr(param, "help", None):
            assert _squeezed(param.help) in whole, f"{' '.join(path)} {param.opts[0]}: help text is cut"
