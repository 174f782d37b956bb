#!/usr/bin/env python3
"""Copies a case directory of an emulator bundle and replaces one piece of
its package's .cu (the mutation), failing when the piece is not there, so
that a change to the kernel text cannot turn a mutation test into one that
passes for the wrong reason.

usage: mutate.py SRC_CASE DST_CASE OLD NEW   (\\n in OLD or NEW: a newline)
"""
import glob
import shutil
import sys


def main():
    src, dst, old, new = (a.replace("\\n", "\n") for a in sys.argv[1:5])
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    (cu,) = glob.glob(f"{dst}/pkg/*.cu")
    with open(cu) as f:
        text = f.read()
    if text.count(old) != 1:
        sys.exit(f"mutate.py: expected one '{old}' in {cu}, found {text.count(old)}")
    with open(cu, "w") as f:
        f.write(text.replace(old, new))


if __name__ == "__main__":
    main()
