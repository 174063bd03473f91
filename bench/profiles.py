"""Where the server's time goes: py-spy recording its workers during a run, and
a text summary of the collapsed stacks (`python -m bench.profiles FILE`).

py-spy samples the live processes from outside (no change to the server); with
`--nonblocking` it does not pause them, so the load is not disturbed much.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence

RATE_HZ = 250


def py_spy() -> str | None:
    found = pathlib.Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


class Recorder:
    """py-spy on a server's supervisor and its worker processes."""

    def __init__(self, pid: int, seconds: float, output: pathlib.Path) -> None:
        executable = py_spy()
        if executable is None:
            raise RuntimeError("py-spy is not installed: make bench installs it")
        output.parent.mkdir(parents=True, exist_ok=True)
        self.output = output
        self.process = subprocess.Popen(  # noqa: S603 - our own tool
            [
                executable,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--nonblocking",
                "--gil",
                "--rate",
                str(RATE_HZ),
                "--duration",
                str(max(1, round(seconds))),
                "--format",
                "raw",
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait(self) -> pathlib.Path:
        self.process.wait(timeout=120)
        return self.output


_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def _short(frame: str) -> str:
    """`fn (path/to/module.py:12)` -> `fn (module.py)`."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"]
    for marker in ("site-packages/", "aspel/licensing/", "lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['func']} ({file})"


def summarize(path: pathlib.Path, top: int = 25) -> str:
    """Self and inclusive shares of the sampled stacks, busiest first."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";") if f and not f.startswith("process ")]
        frames = [f for f in frames if not f.startswith("thread (")]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return f"{path}: no samples"
    lines = [f"{path.name}: {total} samples"]
    lines.append("  inclusive  self   function")
    for frame, count in inclusive.most_common(top):
        lines.append(f"  {count / total:8.1%} {own[frame] / total:6.1%}  {frame}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiles")
    parser.add_argument("files", nargs="+", type=pathlib.Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    for file in args.files:
        print(summarize(file, args.top))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
