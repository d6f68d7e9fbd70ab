"""Run as a script: read one workbook with the project's reader and print the process's peak memory (MB).

``python -m tests.hostile.memory_probe <file> measurements|tasklist``. The address space is capped at
1.5 GB first, so a reader that pads rows again fails here with MemoryError instead of swapping the machine.
"""

from __future__ import annotations

import io
import os
import resource
import sys

resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reform.settings.test")

import django  # noqa: E402

django.setup()

from indicators.tabular import read_table  # noqa: E402
from tasks_app.tasklist.reader import _read_workbook  # noqa: E402
from tasks_app.tasklist.report import _Issues  # noqa: E402


def peak_kib() -> int:
    """The process's peak resident memory (VmHWM), in KiB.

    Not ``getrusage().ru_maxrss``: that survives ``exec`` and so reports the parent's size at the fork
    (a single-process pytest of several hundred MB), whereas VmHWM belongs to this program's own memory.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: the best we have


def main() -> None:
    path, kind = sys.argv[1], sys.argv[2]
    content = open(path, "rb").read()  # noqa: SIM115
    before = peak_kib()
    if kind == "measurements":
        rows, errors, _sheet = read_table(name="指标.xlsx", content=content)
        result = f"rows={len(rows)} errors={len(errors)}"
    else:
        sheets = _read_workbook(io.BytesIO(content), _Issues())
        result = f"rows={sum(len(s.rows) for s in sheets.values())}"
    peak = peak_kib()
    print(f"{result} before_mb={before / 1024:.1f} peak_mb={peak / 1024:.1f}")


if __name__ == "__main__":
    main()
