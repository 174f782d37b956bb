#!/usr/bin/env python3
"""Copies a CPU package, replaces one piece of its .cpu.cpp and rebuilds its
library the way `attnc compile` does, for mutation tests of the CPU kernels.
Fails if the piece is not in the source (so a test cannot silently stop
testing anything when the kernel text changes).

usage: mutate_cpu.py SRC_PACKAGE DST_PACKAGE OLD NEW
"""
import glob
import os
import shutil
import subprocess
import sys


def main():
    src, dst, old, new = sys.argv[1:5]
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    (source,) = glob.glob(os.path.join(dst, "*.cpu.cpp"))
    (library,) = glob.glob(os.path.join(dst, "*.cpu.so"))
    text = open(source).read()
    if old not in text:
        sys.exit(f"mutate_cpu.py: {old!r} is not in {source}")
    open(source, "w").write(text.replace(old, new, 1))
    subprocess.run(["c++", "-O1", "-fopenmp", "-std=c++17", "-shared", "-fPIC",
                    "-o", library, source], check=True)


if __name__ == "__main__":
    main()
