"""Errors from the attnc package: compiler diagnostics become CompileError
with file:line:col, runtime failures RuntimeError_ with attnc_last_error()
and the status, misuse TypeError/ValueError/NotImplementedError naming the
tensor or parameter. Prints one line per case for FileCheck."""
import os
import sys

import numpy as np

import attnc

tmp = sys.argv[1]
os.makedirs(tmp, exist_ok=True)


def show(what, fn):
    try:
        fn()
    except attnc.CompileError as e:
        print(f"{what}: CompileError at {e.file}:{e.line}:{e.column}")
        print(e.message)
        lines = e.message.splitlines()
        caret = next(i for i, l in enumerate(lines) if l.strip() == "^")
        print(f"caret under column {lines[caret].index('^') + 1} of: {lines[caret - 1]}")
    except attnc.RuntimeError_ as e:
        print(f"{what}: RuntimeError_ {e.status_name}: {e.message}")
    except (TypeError, ValueError, NotImplementedError, FileNotFoundError) as e:
        print(f"{what}: {type(e).__name__}: {e}")
    else:
        print(f"{what}: no error")


BAD = "attention bad {\n  heads 4\n  head_dim 32\n  mask causal && q < nope\n}\n"
show("text", lambda: attnc.compile(BAD))
path = os.path.join(tmp, "bad.attn")
with open(path, "w") as f:
    f.write(BAD)
show("file", lambda: attnc.compile(path))
show("missing file", lambda: attnc.compile(os.path.join(tmp, "none.attn")))

kern = attnc.compile("attention ok {\n  heads 4\n  head_dim 32\n  param doc: i32[b, n]\n"
                     "  mask doc[b, q] == doc[b, k]\n}\n")
rng = np.random.default_rng(1)
q = rng.standard_normal((1, 4, 10, 32)).astype(np.float32)
doc = np.zeros((1, 10), np.int32)
show("runtime shape", lambda: kern(q, q[:, :, :, :16], q, doc=doc))
show("param shape", lambda: kern(q, q, q, doc=np.zeros((1, 9), np.int32)))
show("dtype", lambda: kern(q.astype(np.float16), q, q, doc=doc))
show("missing param", lambda: kern(q, q, q))
show("unknown param", lambda: kern(q, q, q, doc=doc, slope=1.0))
show("layout", lambda: kern(q, q, q, doc=doc, layout="nhd"))
show("no backward", lambda: kern.backward(q, q, q, q, q, doc=doc))
show("package", lambda: attnc.load(tmp))
print("last_error:", attnc.last_error())
