"""Run one command and write its wall time and resource usage as JSON (benchmark helper).

    python benchmarks/_measure.py OUT.json -- ansible-playbook ...

A fresh process per phase, so that ``getrusage(RUSAGE_CHILDREN)`` covers exactly that phase:
``ru_maxrss`` is the peak resident set of the largest single process among the command and every
descendant it waited for (ansible-playbook, its fork workers, the module processes), and the CPU
times are summed over all of them. Standard library only.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv):
    if len(argv) < 4 or argv[2] != '--':
        sys.stderr.write(__doc__)
        return 2
    out, cmd = argv[1], argv[3:]
    t0 = time.monotonic()
    rc = subprocess.call(cmd)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, 'w') as f:
        json.dump(dict(rc=rc, wall_s=wall, maxrss_kb=ru.ru_maxrss, user_s=ru.ru_utime, sys_s=ru.ru_stime), f)
    return rc


if __name__ == '__main__':
    sys.exit(main(sys.argv))
