"""Runs a command that must fail cleanly: exit status exactly 1 (not a
crash, not success) and nothing on stdout. Prints the command's stderr on
stdout for FileCheck; on any other outcome prints why and exits 1.

usage: expect_error.py COMMAND [ARG...]
"""

import subprocess
import sys


def main():
    proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    sys.stdout.write(proc.stderr)
    if proc.returncode != 1:
        print(f"expect_error.py: expected exit status 1, got {proc.returncode}")
        return 1
    if proc.stdout:
        print(f"expect_error.py: expected no output on stdout, got:\n{proc.stdout}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
