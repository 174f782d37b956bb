"""The tile map of an attention spec, notebook style: compile
examples/streaming_sinks.attn (a causal window of 124 keys plus 4 sink
tokens, StreamingLLM), print what `attnc explain` found at a few lengths
and save the map as SVG (in a notebook, the Explanation shows itself).
Then run the kernel on numpy arrays.

    python examples/python/tile_map.py [OUT.svg]
"""
import os
import sys

import numpy as np

import attnc

here = os.path.dirname(os.path.abspath(__file__))
kernel = attnc.compile(os.path.join(here, "..", "streaming_sinks.attn"))
print(kernel)

for n in (1024, 8192, 65536):
    s = kernel.explain(n).stats
    print(f"N = {n:6d}: {s['visited']:6d} of {s['total']:9d} tiles visited "
          f"({100 * s['dense_fraction']:.1f}% of dense work), {s['full']} full, "
          f"{s['partial']} partial")

explanation = kernel.explain(2048, svg=True)   # a notebook cell ending here draws it
out = sys.argv[1] if len(sys.argv) > 1 else "streaming_sinks.svg"
with open(out, "w") as f:
    f.write(explanation.svg)
print(f"tile map at N = 2048 written to {out}")

rng = np.random.default_rng(0)
B, N = 1, 300
q, k, v = (rng.standard_normal((B, kernel.heads, N, kernel.head_dim), np.float32)
           for _ in range(3))
o, lse = kernel(q, k, v, lse=True)
print(f"o {o.shape} {o.dtype}, lse {lse.shape}; row 200 sees keys 0-3 and 77-200")
