"""Writes a seed for runtime-args-fuzzer (test/Fuzz/RuntimeFuzzer.cpp): the
byte layout of a call that passes every check against the fuzzer's softmax
manifest (bf16, H=4, G=2, D=16, Dv=8, params doc i32 [b, n] and w f32 [h]),
for the CPU target, so that mutations start deep inside the checks.

usage: runtime_args_seed.py OUT_FILE
"""
import struct
import sys

F32, F16, BF16, I32 = 0, 1, 2, 3


def tensor(address, dtype, shape, strides):
    shape = list(shape) + [0] * (4 - len(shape))
    strides = list(strides) + [0] * (4 - len(strides))
    out = struct.pack("<Qbb", address, dtype, len([s for s in shape if s]))
    for n, s in zip(shape, strides):
        out += struct.pack("<qq", n, s)
    return out


def main():
    flags = 0                  # softmax manifest, CPU, small shapes
    nulls = 0b11110000000      # no state tensors
    body = struct.pack("<BH", flags, nulls)
    body += tensor(0x10000, BF16, [1, 4, 5, 16], [320, 80, 16, 1])   # q
    body += tensor(0x20000, BF16, [1, 2, 7, 16], [224, 112, 16, 1])  # k
    body += tensor(0x30000, BF16, [1, 2, 7, 8], [112, 56, 8, 1])     # v
    body += tensor(0x40000, BF16, [1, 4, 5, 8], [160, 40, 8, 1])     # o
    body += tensor(0x50000, F32, [1, 4, 5], [20, 5, 1])              # lse
    body += tensor(0x60000, I32, [1, 7], [7, 1])                     # doc
    body += tensor(0x70000, F32, [4], [1])                           # w
    for i in range(4):                                               # state
        body += tensor(0, F32, [], [])
    body += struct.pack("<b", 2)
    with open(sys.argv[1], "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main()
