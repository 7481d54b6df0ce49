"""FastAgency's own client, installed in a venv of its own and driven as a child process.

fastagency 0.10.2 pins ``websockets<14`` and ``click==8.1.3`` (and brings ag2's ``autogen``),
which the project's venv must not get, so the ``fastagency`` extra of pyproject.toml is
installed into ``.run/fastagency-venv`` the first time a test needs it and reused afterwards.
The FastAgency benchmark (``bench/fastagency_compare.py``) builds its own venv with the same
code, adding the servers it runs FastAgency under, so neither rebuilds the other's.
"""

from __future__ import annotations

import fcntl
import functools
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from tests.support.stack import ROOT

VENV = ROOT / ".run" / "fastagency-venv"
CLIENT = ROOT / "tests" / "support" / "fastagency_client.py"


def requirements() -> list[str]:
    """The ``fastagency`` extra of pyproject.toml: the one place its version is pinned."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra: list[str] = project["optional-dependencies"]["fastagency"]
    return extra


@functools.cache
def ensure_venv(venv: Path = VENV, extra: tuple[str, ...] = ()) -> Path:
    """The python of ``venv`` holding the extra (plus ``extra`` requirements), (re)built when
    missing or when what it should hold changed."""
    python = venv / "bin" / "python"
    stamp = venv / "agentjobs-requirements.txt"
    wanted_list = [*requirements(), *extra]
    wanted = "\n".join(wanted_list)
    venv.parent.mkdir(parents=True, exist_ok=True)
    # Test processes run side by side (pytest -n): one builds, the others wait and reuse it.
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists() and stamp.read_text() == wanted:
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *wanted_list],
            check=True,
            timeout=900,
        )
        stamp.write_text(wanted)
    return python


def fastagency_client(*args: str, stdin: Any = None, timeout: float = 120) -> Any:
    """Run ``tests/support/fastagency_client.py`` with ``args`` in the venv; its JSON output."""
    done = subprocess.run(
        [str(ensure_venv()), str(CLIENT), *args],
        input=None if stdin is None else json.dumps(stdin),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
