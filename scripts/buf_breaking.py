"""`make breaking`: fails when protos/ breaks the contract of an earlier commit.

Runs `buf breaking` (rules: FILE, see buf.yaml) on the working tree's protos/
against the protos/ of:

- `--against REF` (or `BREAKING_AGAINST=REF`) when given, e.g. the last release tag;
- otherwise, on a branch other than main: the commit where it left main
  (`git merge-base HEAD main`, or `origin/main`), so only this branch's own
  changes are judged;
- on main itself (CI), or a branch with no commit of its own: the previous
  commit, `HEAD~1` (`HEAD` on the first commit, so uncommitted edits count);
- and, in both cases, also the last release tag `v*` reachable from HEAD, if any.

The base's protos/ are taken with `git archive`; when the base predates
buf.yaml, the current buf.yaml and third_party/ build it. A base without
protos/ has nothing to compare. In a shallow clone the script
first asks the remote for one more commit; if the base is still missing it says
so loudly (and fails with `BREAKING_REQUIRED=1`) instead of passing in silence.
"""

from __future__ import annotations

import argparse
import io
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_BUF = ROOT / "tools" / "interop" / "node_modules" / ".bin" / "buf"
MODULE = "protos"
MAIN_REFS = ("main", "origin/main", "refs/remotes/origin/main")


class NoBase(Exception):
    """There is no earlier contract to compare with (a reason, for the log)."""


class MissingHistory(NoBase):
    """There is an earlier contract, but this clone does not have it."""


GIT = shutil.which("git") or "git"


def run(argv: list[str], **options: Any) -> subprocess.CompletedProcess[Any]:
    """Runs git or buf (never a shell) in the repository's root."""
    return subprocess.run(argv, cwd=ROOT, **options)  # noqa: S603 - fixed programs, no shell


def git(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([GIT, *args], capture_output=True, text=True, check=check)


def resolve(ref: str) -> str | None:
    found = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    return found.stdout.strip() or None


def is_shallow() -> bool:
    return git("rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def deepen() -> None:
    """One more commit of history from the remote, if there is a remote that answers."""
    if not git("remote", check=False).stdout.strip():
        return
    run(
        [GIT, "fetch", "--quiet", "--deepen=1"],
        capture_output=True,
        check=False,
        timeout=60,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )


def previous_commit(head: str) -> tuple[str, str]:
    parent = resolve(f"{head}~1")
    if parent is None and is_shallow():
        deepen()
        parent = resolve(f"{head}~1")
    if parent is not None:
        return "HEAD~1 (the previous commit)", parent
    if is_shallow():
        raise MissingHistory(
            "this is a shallow clone and the previous commit is not in it; "
            "run `git fetch --deepen=1` (or clone with history) to check"
        )
    # The first commit: only uncommitted changes can break it.
    return "HEAD (the first commit)", head


def bases(explicit: str | None) -> list[tuple[str, str]]:
    """(label, commit) pairs to compare against, most important first."""
    if explicit:
        commit = resolve(explicit)
        if commit is None:
            raise SystemExit(f"breaking: cannot resolve --against {explicit!r}")
        return [(explicit, commit)]
    head = resolve("HEAD")
    if head is None:
        raise NoBase("nothing is committed yet")
    chosen: list[tuple[str, str]] = []
    main = next(((ref, c) for ref in MAIN_REFS if (c := resolve(ref))), None)
    if main is not None and main[1] != head:
        fork = git("merge-base", head, main[1], check=False).stdout.strip()
        if fork and fork != head:
            chosen.append((f"{main[0]} (where this branch left it)", fork))
        elif not fork:
            chosen.append((main[0], main[1]))
    if not chosen:
        chosen.append(previous_commit(head))
    tag = git("describe", "--tags", "--abbrev=0", "--match", "v*", head, check=False)
    tag_name = tag.stdout.strip()
    tag_commit = resolve(tag_name) if tag_name else None
    if tag_commit and tag_commit != head and tag_commit not in {c for _, c in chosen}:
        chosen.append((f"{tag_name} (the last release)", tag_commit))
    return chosen


def has_path(commit: str, path: str) -> bool:
    return bool(git("ls-tree", "--name-only", commit, path, check=False).stdout.strip())


def export(commit: str, into: pathlib.Path) -> pathlib.Path:
    """Writes the base's protos/ (and the buf config that builds it) into `into`."""
    if not has_path(commit, MODULE):
        raise NoBase(f"{commit[:12]} has no {MODULE}/")
    own_config = has_path(commit, "buf.yaml")
    paths = [
        MODULE,
        *(p for p in ("buf.yaml", "third_party") if own_config and has_path(commit, p)),
    ]
    archive = run([GIT, "archive", "--format=tar", commit, *paths], capture_output=True, check=True)
    data: bytes = archive.stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    if not own_config:
        shutil.copy(ROOT / "buf.yaml", into / "buf.yaml")
        shutil.copytree(ROOT / "third_party", into / "third_party")
    return into / MODULE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--against", default=os.environ.get("BREAKING_AGAINST") or None, metavar="REF"
    )
    parser.add_argument("--buf", default=os.environ.get("BUF") or str(DEFAULT_BUF))
    args = parser.parse_args(argv)
    if not pathlib.Path(args.buf).exists():
        print(f"breaking: no buf at {args.buf}; run `make tools`", file=sys.stderr)
        return 2
    try:
        against = bases(args.against)
    except MissingHistory as why:
        return history_missing(str(why))
    except NoBase as why:
        print(f"breaking: nothing to compare: {why}")
        return 0
    failed = False
    for label, commit in against:
        with tempfile.TemporaryDirectory(prefix="buf-against-") as tmp:
            try:
                old = export(commit, pathlib.Path(tmp))
            except NoBase as why:
                print(f"breaking: against {label}: nothing to compare ({why})")
                continue
            result = run([args.buf, "breaking", MODULE, "--against", str(old)], check=False)
        verdict = "OK" if result.returncode == 0 else "BREAKING CHANGES (see above)"
        print(f"breaking: {MODULE}/ against {label} {commit[:12]}: {verdict}")
        failed = failed or result.returncode != 0
    return 1 if failed else 0


def history_missing(why: str) -> int:
    required = os.environ.get("BREAKING_REQUIRED", "").lower() in {"1", "true", "yes"}
    print(f"breaking: WARNING: {MODULE}/ NOT CHECKED for breaking changes: {why}", file=sys.stderr)
    return 1 if required else 0


if __name__ == "__main__":
    sys.exit(main())
