"""`make breaking` (scripts/buf_breaking.py) fails when a field is renumbered or
removed, and passes on an unchanged or compatibly extended contract.

Each test copies the contract (protos/, buf.yaml, third_party/) and the script
into a new git repository, commits, changes the protos and runs the script
there exactly as `make breaking` runs it.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

from .conftest import REPO_ROOT

SUBSCRIPTION = pathlib.Path("protos/aspel/licensing/v1/subscription.proto")
ACCOUNT = pathlib.Path("protos/aspel/licensing/v1/account.proto")
GIT = shutil.which("git") or "git"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(repo: pathlib.Path, *args: str) -> str:
    result = subprocess.run(
        [GIT, *args],
        cwd=repo,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def commit_all(repo: pathlib.Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def edit(repo: pathlib.Path, path: pathlib.Path, pattern: str, replacement: str) -> None:
    file = repo / path
    text, count = re.subn(pattern, replacement, file.read_text(), flags=re.MULTILINE)
    assert count == 1, f"{pattern!r} not found once in {path}"
    file.write_text(text)


def renumber_users(repo: pathlib.Path) -> None:
    # 99: a number no field of Subscription uses, so only the renumbering is wrong.
    edit(repo, SUBSCRIPTION, r"int32 users = 5;", "int32 users = 99;")


def remove_email(repo: pathlib.Path) -> None:
    edit(repo, ACCOUNT, r"^  //[^\n]*\n  string email = 3;\n", "")


def add_field(repo: pathlib.Path) -> None:
    edit(
        repo,
        ACCOUNT,
        # The end of the file, which closes `message Account` (the file also
        # holds an enum); a number no field of Account uses.
        r"^}\n\Z",
        "  // The account's phone number, for support calls.\n  string phone_number = 100;\n}\n",
    )


def breaking(repo: pathlib.Path, buf: pathlib.Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(repo / "scripts" / "buf_breaking.py")],
        cwd=repo,
        env={**os.environ, **GIT_ENV, "BUF": str(buf), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def new_repo(path: pathlib.Path, *, with_config: bool = True) -> pathlib.Path:
    path.mkdir()
    shutil.copytree(REPO_ROOT / "protos", path / "protos")
    (path / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "buf_breaking.py", path / "scripts")
    if with_config:
        add_config(path)
    git(path, "init", "-q", "-b", "main")
    commit_all(path, "the contract as released")
    return path


def add_config(path: pathlib.Path) -> None:
    shutil.copy(REPO_ROOT / "buf.yaml", path / "buf.yaml")
    shutil.copytree(REPO_ROOT / "third_party", path / "third_party")


@pytest.fixture
def repo(tmp_path: pathlib.Path) -> pathlib.Path:
    """A repository whose main holds today's contract, on a new branch `change`."""
    path = new_repo(tmp_path / "repo")
    git(path, "switch", "-q", "-c", "change")
    return path


def test_an_unchanged_contract_passes(repo: pathlib.Path, buf: pathlib.Path) -> None:
    (repo / "NOTES.md").write_text("A commit of the branch that leaves protos/ alone.\n")
    commit_all(repo, "no contract change")
    result = breaking(repo, buf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "against main (where this branch left it)" in result.stdout
    assert ": OK" in result.stdout


def test_what_main_added_since_the_branch_left_is_not_blamed_on_it(
    repo: pathlib.Path, buf: pathlib.Path
) -> None:
    (repo / "NOTES.md").write_text("A commit of the branch that leaves protos/ alone.\n")
    commit_all(repo, "no contract change")
    git(repo, "switch", "-q", "main")
    add_field(repo)
    commit_all(repo, "main grows a field")
    git(repo, "switch", "-q", "change")
    # Compared with main's tip, the branch would look like it removed the field.
    result = breaking(repo, buf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert breaking(repo, buf, BREAKING_AGAINST="main").returncode == 1


def test_a_new_field_with_a_new_number_passes(repo: pathlib.Path, buf: pathlib.Path) -> None:
    add_field(repo)
    commit_all(repo, "add a field")
    result = breaking(repo, buf)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("change", [renumber_users, remove_email], ids=["renumbered", "removed"])
def test_a_renumbered_or_removed_field_fails(
    repo: pathlib.Path, buf: pathlib.Path, change: object
) -> None:
    assert callable(change)
    change(repo)
    commit_all(repo, "break the contract")
    result = breaking(repo, buf)
    assert result.returncode == 1
    field = "users" if change is renumber_users else "email"
    assert f'name "{field}"' in result.stdout
    assert "BREAKING CHANGES" in result.stdout


def test_an_uncommitted_change_is_checked_too(repo: pathlib.Path, buf: pathlib.Path) -> None:
    renumber_users(repo)
    assert breaking(repo, buf).returncode == 1


def test_on_main_the_previous_commit_is_the_base(repo: pathlib.Path, buf: pathlib.Path) -> None:
    git(repo, "switch", "-q", "main")
    renumber_users(repo)
    commit_all(repo, "renumber on main itself")
    result = breaking(repo, buf)
    assert result.returncode == 1
    assert "against HEAD~1" in result.stdout


def test_the_last_release_tag_is_checked_as_well(repo: pathlib.Path, buf: pathlib.Path) -> None:
    git(repo, "switch", "-q", "main")
    git(repo, "tag", "v1.0.0")
    remove_email(repo)
    commit_all(repo, "break after the release")
    add_field(repo)
    commit_all(repo, "a harmless change: HEAD~1 alone would pass")
    result = breaking(repo, buf)
    assert result.returncode == 1
    assert "against HEAD~1 (the previous commit)" in result.stdout
    assert "against v1.0.0 (the last release)" in result.stdout


def test_a_base_without_buf_yaml_is_built_with_the_current_config(
    tmp_path: pathlib.Path, buf: pathlib.Path
) -> None:
    path = new_repo(tmp_path / "old", with_config=False)
    git(path, "switch", "-q", "-c", "change")
    add_config(path)
    renumber_users(path)
    commit_all(path, "add buf and break the contract")
    result = breaking(path, buf)
    assert result.returncode == 1
    assert 'name "users"' in result.stdout


def test_on_the_first_commit_only_uncommitted_changes_can_break(
    tmp_path: pathlib.Path, buf: pathlib.Path
) -> None:
    path = new_repo(tmp_path / "first")
    result = breaking(path, buf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "against HEAD (the first commit)" in result.stdout
    renumber_users(path)
    assert breaking(path, buf).returncode == 1


def test_a_base_without_protos_has_nothing_to_compare(
    tmp_path: pathlib.Path, buf: pathlib.Path
) -> None:
    path = tmp_path / "empty"
    path.mkdir()
    (path / "README.md").write_text("Before the contract.\n")
    git(path, "init", "-q", "-b", "main")
    commit_all(path, "before the contract")
    shutil.copytree(REPO_ROOT / "protos", path / "protos")
    (path / "scripts").mkdir()
    shutil.copy(REPO_ROOT / "scripts" / "buf_breaking.py", path / "scripts")
    add_config(path)
    commit_all(path, "the contract appears")
    result = breaking(path, buf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "nothing to compare" in result.stdout


def test_a_shallow_clone_fetches_the_previous_commit(
    repo: pathlib.Path, tmp_path: pathlib.Path, buf: pathlib.Path
) -> None:
    git(repo, "switch", "-q", "main")
    renumber_users(repo)
    commit_all(repo, "renumber on main")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    result = breaking(clone, buf)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'name "users"' in result.stdout


def test_a_shallow_clone_without_its_history_says_so_loudly(
    repo: pathlib.Path, tmp_path: pathlib.Path, buf: pathlib.Path
) -> None:
    git(repo, "switch", "-q", "main")
    add_field(repo)
    commit_all(repo, "a second commit")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    git(clone, "remote", "remove", "origin")
    result = breaking(clone, buf)
    assert result.returncode == 0
    assert "NOT CHECKED" in result.stderr and "shallow" in result.stderr
    assert breaking(clone, buf, BREAKING_REQUIRED="1").returncode == 1
