"""Running Debian's epubcheck on a file: its report, and whether it is clean."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

PROBLEM = re.compile(r"^(WARNING|ERROR|FATAL)|Exception|java\.lang\.\w*Error", flags=re.MULTILINE)


def epubcheck_command() -> list[str]:
    found = shutil.which("epubcheck")
    assert found, "epubcheck is not installed (apt-get install epubcheck; scripts/test does)"
    # Debian ships epubcheck as a bare jar, runnable directly only through binfmt_misc.
    target = os.path.realpath(found)
    if target.endswith(".jar"):
        java = shutil.which("java")
        assert java, "epubcheck needs Java (apt-get install default-jre-headless)"
        # A short-lived check: the quick JIT tier and the serial collector halve its start-up.
        # epubcheck walks long books recursively: with the default stack it dies of a
        # StackOverflowError on a 5,000-post book yet still prints "0 errors".
        return [
            java,
            "-Xss256m",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-jar",
            target,
        ]
    return [found]


def start_epubcheck(path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*epubcheck_command(), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def epubcheck_problems(process: subprocess.Popen) -> str | None:
    """None when epubcheck found no fatal error, error or warning; else its report."""
    output, _ = process.communicate(timeout=600)
    clean = (
        process.returncode == 0
        and not PROBLEM.search(output)
        and "0 fatals / 0 errors / 0 warnings" in output
    )
    return None if clean else output
