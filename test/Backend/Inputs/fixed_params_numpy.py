"""Independent numpy check of test/Backend/Inputs/fixed_params.attn: reads
the inputs `attnc run --save-inputs` wrote and the output o, recomputes the
attention in float64 from docs/language.md (not from the compiler) and
prints the largest difference."""
import sys

import numpy as np

d = sys.argv[1]
q, k, v = (np.load(f"{d}/{n}.npy").astype(np.float64) for n in "qkv")
bias = np.load(f"{d}/bucket_bias.npy").astype(np.float64)
temp = np.load(f"{d}/temperature.npy").astype(np.float64)
pair = np.load(f"{d}/pair.npy").astype(np.float64)
o = np.load(f"{d}/o.npy").astype(np.float64)
assert temp.shape == (), temp.shape
assert bias.shape == (4, 32) and pair.shape[1] == 4, (bias.shape, pair.shape)
B, H, Nq, D = q.shape
Nk = k.shape[2]
kk = np.repeat(k, 2, axis=1)
vv = np.repeat(v, 2, axis=1)
qp = np.arange(Nq)[:, None] + Nk - Nq
kp = np.arange(Nk)[None, :]
s = np.einsum("bhid,bhjd->bhij", q, kk) / np.sqrt(D)
index = np.clip(np.minimum(qp - kp, 31), 0, 31)  # masked where q - k < 0
score = s * temp + bias[:, index][None] + pair[:, :, qp[:, 0], :]
score = np.where(kp <= qp, score, -np.inf)
m = score.max(-1, keepdims=True)
w = np.exp(score - m)
ref = np.einsum("bhij,bhjd->bhid", w / w.sum(-1, keepdims=True), vv)
err = np.abs(o - ref).max()
print(f"max error {err:.3g}")
sys.exit(0 if err < 1e-5 else 1)
