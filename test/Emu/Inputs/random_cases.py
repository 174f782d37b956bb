#!/usr/bin/env python3
"""Random CUDA configurations for the CPU emulator: writes a bundle of
seeded random softmax-family cases (dtype, head and value dims, tiles,
warps, stages, heads and kv heads, the CPU matrix's masks and scores,
lengths from 1 to 300 with Nq and Nk independent) that attnc accepts, for
attnc-gpu-check under the emulator (docs/testing.md). Not run by lit: it
is for hunting, e.g. after a change to the kernel text:

  python3 test/Emu/Inputs/random_cases.py build/tools/attnc/attnc /tmp/rnd --seed 7 --count 60
  E=build/tools/attnc-cuda-emu
  env LD_LIBRARY_PATH=$E/driver ATTNC_NVRTC_LIBRARY=$E/libattnc_cuda_emu_nvrtc.so \\
      build/tools/attnc-gpu-check/attnc-gpu-check /tmp/rnd

It found the SIMT kernel's missing barrier for q-blocks without a visible
key (test/Emu/simt.test, empty_qblock).
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "GPU"))
sys.path.insert(0, os.path.join(here, "..", "..", "Backend", "Inputs"))
import make_bundle  # noqa: E402
from cpu_matrix import MASKS, SCORES, spec  # noqa: E402


def random_spec(rng, name):
    dtype = rng.choice(["f16", "bf16", "f32"])
    head_dim = rng.choice([8, 16, 24, 40, 64, 72, 128, 136, 200])
    heads = rng.choice([1, 2, 4])
    kv_heads = rng.choice([g for g in (1, 2, 4) if heads % g == 0])
    body, normalize = rng.choice(list(MASKS.values())), "softmax"
    if rng.random() < 0.3:
        score, normalize = rng.choice(list(SCORES.values()))
        body = score if "mask" in score else (body + "\n  " + score).strip()
    tile = "tile q=%d k=%d warps=%d stages=%d" % (
        rng.choice([16, 32, 64, 128]), rng.choice([16, 32, 64, 128]),
        rng.choice([1, 2, 4, 8]), rng.choice([1, 2]))
    text = spec(name, heads, kv_heads, head_dim, dtype, body, normalize, tile=tile)
    if rng.random() < 0.3:
        text = text.replace("  dtype", "  value_dim %d\n  dtype" % rng.choice([8, 32, 48, 96]), 1)
    return text


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("attnc")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=40)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        while n < args.count:
            text = random_spec(rng, "r%d" % n)
            path = os.path.join(tmp, "spec.attn")
            with open(path, "w") as f:
                f.write(text)
            # Schedules the CUDA backend refuses (too much shared memory,
            # tiles the warps do not divide) are skipped.
            if subprocess.run([args.attnc, path, "--emit=cuda"],
                              capture_output=True).returncode != 0:
                continue
            nq = rng.choice([1, 2, rng.randint(1, 300)])
            nk = rng.choice([1, 3, rng.randint(1, 300)]) if rng.random() < 0.6 else nq
            if "doc[" in text:
                nk = nq  # the document ids are per position of both
            shape = "%d,%d,%d" % (rng.randint(1, 2), nq, nk)
            make_bundle.write_case(args.attnc, os.path.join(args.out, "c%03d" % n),
                                   text, shape, n + 1, ["--no-cuda-build"])
            n += 1
    print("random bundle: %d cases in %s" % (n, args.out))


if __name__ == "__main__":
    main()
