"""`pocketstack up` and the other commands that need root re-run through sudo."""
import sys

import pytest

from controller.cmd import cli


class Exec(Exception):
    pass


@pytest.fixture
def not_root(monkeypatch):
    calls = []

    def execvp(file, args):
        calls.append((file, args))
        raise Exec

    monkeypatch.setattr(cli.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(cli.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(cli.os, "execvp", execvp)
    return calls


def test_a_command_that_needs_root_runs_again_through_sudo(not_root):
    with pytest.raises(Exec):
        cli.main(["up", "--port", "5001"])
    assert not_root == [("sudo", ["sudo", "--", sys.executable, "-m", "controller.cmd.cli",
                                  "up", "--port", "5001"])]


def test_other_commands_run_as_the_user(not_root, capsys):
    assert cli.main(["config-sample"]) == 0
    assert not_root == []
    assert "[DEFAULT]" in capsys.readouterr().out


def test_without_sudo_up_says_to_run_as_root(not_root, monkeypatch, capsys):
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)
    assert cli.main(["up"]) == 1
    assert not_root == []
    assert "run as root" in capsys.readouterr().err
