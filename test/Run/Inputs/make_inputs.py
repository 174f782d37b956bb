"""Writes the .npy files the test/Run input-error tests use into a folder.

Valid inputs match Inputs/*.attn (B=1, H=2, G=1, Nq=5, Nk=6, D=4, Dv=3;
the linear specs' state has F=D=4 rows: state [1, 2, 4, 3], z [1, 2, 4]);
the others are wrong in exactly one way, named after the way. Random
values, never zeros, so that a test that accidentally runs gets no
trivially passing result.

usage: make_inputs.py OUT_DIR
"""

import os
import sys

import numpy as np

B, H, G, NQ, NK, D, DV = 1, 2, 1, 5, 6, 4, 3


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)

    def save(name, array):
        np.save(os.path.join(out, name + ".npy"), array)

    def normal(*shape, dtype=np.float32):
        return rng.standard_normal(shape).astype(dtype)

    # Valid inputs.
    save("q", normal(B, H, NQ, D))
    save("q_f16", normal(B, H, NQ, D, dtype=np.float16))
    save("k", normal(B, G, NK, D))
    save("v", normal(B, G, NK, DV))
    save("slope", rng.uniform(0.1, 1.0, (H,)).astype(np.float32))
    save("doc", np.array([[0, 0, 0, 1, 1, 1]], dtype=np.int32))
    save("state", normal(B, H, D, DV))
    save("z", rng.uniform(0.5, 1.5, (B, H, D)).astype(np.float32))

    # Wrong shapes.
    save("q_wrong_d", normal(B, H, NQ, D + 1))
    save("q_wrong_heads", normal(B, H + 1, NQ, D))
    save("q_rank3", normal(H, NQ, D))
    save("q_wrong_batch", normal(B + 1, H, NQ, D))
    save("k_wrong_heads", normal(B, 2, NK, D))
    save("v_wrong_len", normal(B, G, NK + 1, DV))
    save("v_wrong_dv", normal(B, G, NK, D))
    save("q_empty", normal(B, H, 0, D))
    save("k_empty", normal(B, G, 0, D))
    save("v_empty", normal(B, G, 0, DV))
    save("doc_empty", np.zeros((B, 0), dtype=np.int32))
    save("slope_wrong", rng.uniform(0.1, 1.0, (H + 1,)).astype(np.float32))
    save("slope_rank2", rng.uniform(0.1, 1.0, (1, H)).astype(np.float32))
    save("doc_wrong", np.zeros((B, NK + 2), dtype=np.int32) + 1)
    save("state_wrong_f", normal(B, H, D + 1, DV))
    save("state_rank3", normal(H, D, DV))
    save("z_wrong", rng.uniform(0.5, 1.5, (B, H, D + 1)).astype(np.float32))

    # Wrong dtypes.
    save("q_int", rng.integers(1, 5, (B, H, NQ, D)).astype(np.int32))
    save("q_f64", normal(B, H, NQ, D, dtype=np.float64))
    save("slope_int", rng.integers(1, 5, (H,)).astype(np.int32))
    save("slope_f64", rng.uniform(0.1, 1.0, (H,)).astype(np.float64))
    save("doc_float", np.array([[0, 0, 0, 1, 1, 1]], dtype=np.float32))
    save("doc_i64", np.array([[0, 0, 0, 1, 1, 1]], dtype=np.int64))
    save("q_fortran", np.asfortranarray(normal(B, H, NQ, D)))
    save("state_f16", normal(B, H, D, DV, dtype=np.float16))

    # Corrupt files, made from a valid one.
    with open(os.path.join(out, "q.npy"), "rb") as f:
        good = f.read()
    raw = {
        "bad_magic": b"\x93NUMPX" + good[6:],
        "not_npy": b"q,k,v\n1,2,3\n",
        "empty": b"",
        "truncated_data": good[:-10],
        "truncated_header": good[:20],
        "bad_version": good[:6] + b"\x07\x00" + good[8:],
        "bad_header": good.replace(b"'fortran_order': False",
                                   b"'fortran_order': Maybe"),
    }
    for name, data in raw.items():
        with open(os.path.join(out, name + ".npy"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
