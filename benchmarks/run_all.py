"""Run every ``bench_*.py`` in this folder, one after another (``tox -e bench``).

Pass benchmark names to run only those: ``python benchmarks/run_all.py mlp cnn``.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    failed = 0
    for script in scripts:
        print(f"\n######## {script.name}", flush=True)
        failed += subprocess.call([sys.executable, str(script)]) != 0
    return failed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
