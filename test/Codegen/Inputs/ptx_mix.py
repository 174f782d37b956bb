#!/usr/bin/env python3
"""Counts the instructions of one kernel entry in a PTX file that tell how
the tensor-core softmax kernel uses its operands: mma.sync (m16n8k16),
ldmatrix (shared memory to fragments), ex2.approx (the softmax's
exponentials) and cp.async (global to shared). The kernels unroll their
k-block body completely, so the counts are per k-block (one copy of the
loop body in the PTX).

usage: ptx_mix.py FILE.ptx ENTRY_SUFFIX
Prints `mma N ldmatrix N ex2 N cp.async N` for the entry whose name ends
in ENTRY_SUFFIX (e.g. `_fwd`)."""
import re
import sys


def main():
    path, suffix = sys.argv[1], sys.argv[2]
    text = open(path).read()
    found = re.search(r"\.entry (\w+%s)\(" % re.escape(suffix), text)
    if not found:
        sys.exit(f"ptx_mix.py: no entry ending in '{suffix}' in {path}")
    body = text[found.start():]
    body = body[:body.index("\n}\n") + 3]
    counts = {name: len(re.findall(pattern, body)) for name, pattern in (
        ("mma", r"\bmma\.sync\.aligned\.m16n8k16"), ("ldmatrix", r"\bldmatrix\.sync\.aligned"),
        ("ex2", r"\bex2\.approx"), ("cp.async", r"\bcp\.async\.c[ag]\."))}
    print(found.group(1) + ": " + " ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
