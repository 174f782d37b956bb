#!/usr/bin/env python3
"""Runs the backward of every softmax-family example on one backend and
prints one verdict line per example:
  PASS NAME: the gradients agree (`attnc run --backward --check`: the
       reference backward against finite differences, a compiled backend
       against the reference backward);
  NONE NAME: the example has no backward on this backend yet, with the
       reason attnc gives (hybrids everywhere, content-based selection on
       CUDA);
  FAIL NAME: anything else.
Linear-family examples are skipped (their backward is issue 14).

usage: backward_examples.py ATTNC EXAMPLES_DIR BACKEND SHAPE
"""
import glob
import os
import re
import subprocess
import sys


def main():
    attnc, examples, backend, shape = sys.argv[1:5]
    failed = 0
    for path in sorted(glob.glob(os.path.join(examples, "*.attn"))):
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path) as f:
            text = f.read()
        if any(line.strip() == "linear" for line in text.splitlines()):
            continue
        lengths = re.search(r"^# test lengths: ([0-9,]+)", text, re.M)
        if lengths and backend == "reference":
            # Central differences at an example's required lengths (a whole
            # grid) take minutes; its backward is checked on the compiled
            # backends against the reference backward instead.
            print(f"SKIP {name}: finite differences at the required lengths "
                  f"{lengths.group(1)} are too slow")
            continue
        r = subprocess.run([attnc, "run", path, "--backend", backend, "--random",
                            lengths.group(1) if lengths else shape,
                            "--seed", "7", "--backward", "--check"],
                           capture_output=True, text=True)
        out = r.stdout + r.stderr
        if r.returncode == 0 and "FAIL" not in out and out.count(": ok") >= 3:
            print(f"PASS {name}")
        elif "no backward pass yet" in out or "has no CUDA backward" in out:
            reason = next(line for line in out.splitlines()
                          if "no backward pass yet" in line or "has no CUDA backward" in line)
            print(f"NONE {name}: {reason.split('error: ', 1)[-1]}")
        else:
            failed += 1
            print(f"FAIL {name} (exit {r.returncode})\n{out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
