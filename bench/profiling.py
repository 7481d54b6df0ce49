"""Sampling profiles of the servers while a benchmark runs (py-spy), and their summary.

``python -m bench --profile DIR`` records one collapsed-stack file per process and benchmark;
``python -m bench.profiling FILE...`` prints the functions that hold the most samples, by
their own time (leaf frames) and including what they call.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RATE = 200
"""Samples per second: enough for hot paths, light enough not to move the numbers much."""


@contextmanager
def profiled(pids: dict[str, int], out_dir: Path | None, label: str) -> Iterator[None]:
    """Sample each process of ``pids`` for the block into ``out_dir/<label>-<name>.txt``."""
    binary = shutil.which("py-spy")
    if out_dir is None or binary is None:
        if out_dir is not None:
            print("py-spy not found (pip install py-spy): not profiling")
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    recorders = []
    for name, pid in pids.items():
        out = out_dir / f"{label}-{name}.txt"
        argv = [binary, "record", "--pid", str(pid), "--rate", str(RATE), "--format", "raw"]
        # --gil: only the thread holding the GIL is sampled, so threads blocked on sockets do
        # not drown the profile: what remains is where the Python CPU time goes.
        argv += ["--gil", "--nonblocking", "--output", str(out)]
        recorders.append(
            subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        )
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for recorder in recorders:
            try:
                recorder.wait(30)
            except subprocess.TimeoutExpired:
                recorder.kill()


def _frames(path: Path) -> Iterator[tuple[list[str], int]]:
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack.split(";"), int(count)


def summarize(path: Path, top: int) -> str:
    """The ``top`` frames by own samples and by inclusive samples, as text."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for frames, count in _frames(path):
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"== {path.name}: {total} samples", "-- own time"]
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines.append("-- including callees")
    lines += [f"{100 * n / total:5.1f}%  {frame}" for frame, n in inclusive.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    """Print the summary of each collapsed-stack file given."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for path in args.files:
        print(summarize(path, args.top))


if __name__ == "__main__":
    main()
