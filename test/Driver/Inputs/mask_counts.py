"""Reads `attnc explain --block-mask` output on stdin and checks that the
runtime mask's counts add up and that it visits fewer tiles than the static
plan (the reason to build one)."""
import re
import sys

text = sys.stdin.read()
m = re.search(r"runtime block mask .*?: (\d+) tiles visited .*?, (\d+) full, "
              r"(\d+) partial; static plan: (\d+) tiles", text)
if not m:
    sys.exit("mask_counts: no runtime block mask line in:\n" + text)
nnz, full, partial, static = map(int, m.groups())
assert full + partial == nnz, (full, partial, nnz)
assert 0 < nnz < static, (nnz, static)
print(f"mask_counts: {nnz} of {static} static tiles")
