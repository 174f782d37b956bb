"""Edits a compiled package as a hostile or careless user would and runs it
through the runtime's C API (ctypes): each edit must give a clean error and
leave o and lse untouched, never a crash or a silent wrong result.

usage: edited_package.py RUNTIME_LIB PACKAGE WORK_DIR

Tensors are shaped after the *edited* manifest, so that the runtime's
argument checks pass and only the kernel's signature (docs/runtime.md,
"Kernel signatures") can tell that the manifest does not belong to the
kernel. Prints one line per case: its name, the status name and the
runtime's message.
"""
import ctypes
import json
import os
import shutil
import sys

import numpy as np

from c_tensor import BF16, F16, F32, I32, Tensor
from c_tensor import tensor as view


def run(lib, pkg_dir):
    """Opens and runs the package; returns (status name, message)."""
    pkg = ctypes.c_void_p()
    status = lib.attnc_package_open(pkg_dir.encode(), ctypes.byref(pkg))
    if status != 0:
        return lib.attnc_status_name(status).decode(), lib.attnc_last_error().decode()
    manifest = json.load(open(os.path.join(pkg_dir, "manifest.json")))
    H, G = manifest["heads"], manifest["kv_heads"]
    D, Dv = manifest["head_dim"], manifest["value_dim"]
    store = {"f32": (np.float32, F32), "f16": (np.float16, F16),
             "bf16": (np.uint16, BF16)}[manifest["dtype"]]
    B, N = 1, 70
    rng = np.random.default_rng(3)
    q = rng.standard_normal((B, H, N, D)).astype(store[0])
    k = rng.standard_normal((B, G, N, D)).astype(store[0])
    v = rng.standard_normal((B, G, N, Dv)).astype(store[0])
    # Sentinels: a refused call must not write o or lse.
    o = np.full((B, H, N, Dv), 7, dtype=store[0])
    lse = np.full((B, H, N), 7, dtype=np.float32)
    sizes = {"b": B, "h": H, "n": N, "d": D}
    params = [np.zeros([sizes[c] for c in p["dims"]],
                       dtype=np.int32 if p["dtype"] == "i32" else np.float32)
              for p in manifest["params"]]
    views = (Tensor * max(len(params), 1))(
        *[view(p, I32 if p.dtype == np.int32 else F32) for p in params])
    tq, tk, tv = view(q, store[1]), view(k, store[1]), view(v, store[1])
    to, tl = view(o, store[1]), view(lse, F32)
    status = lib.attnc_run_cpu(pkg, ctypes.byref(tq), ctypes.byref(tk),
                               ctypes.byref(tv), ctypes.byref(to),
                               ctypes.byref(tl) if manifest["has_lse"] else None,
                               views if params else None, len(params))
    message = lib.attnc_last_error().decode()
    lib.attnc_package_close(pkg)
    if status != 0 and (np.any(o != 7) or np.any(lse != 7)):
        message += " [o or lse was written]"
    if status == 0 and np.any(o == 7):
        message += " [o left unwritten]"
    return lib.attnc_status_name(status).decode(), message


def main():
    lib_path, package, work = sys.argv[1:4]
    lib = ctypes.CDLL(lib_path)
    lib.attnc_last_error.restype = ctypes.c_char_p
    lib.attnc_status_name.restype = ctypes.c_char_p
    lib.attnc_package_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.attnc_package_close.argtypes = [ctypes.c_void_p]
    lib.attnc_run_cpu.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * 6 + [ctypes.c_int]

    def edited(name, edit):
        d = os.path.join(work, name)
        shutil.copytree(package, d, symlinks=True)
        path = os.path.join(d, "manifest.json")
        m = json.load(open(path))
        edit(m, d)
        json.dump(m, open(path, "w"), indent=2)
        return d

    def outside_library(m, d):
        # The library replaced by a symlink to a copy outside the package.
        lib_file = m["cpu"]["library"]
        outside = os.path.join(work, "outside-" + lib_file)
        shutil.copy(os.path.join(d, lib_file), outside)
        os.remove(os.path.join(d, lib_file))
        os.symlink(outside, os.path.join(d, lib_file))

    cases = [
        ("unedited", lambda m, d: None),
        ("heads-8", lambda m, d: m.update(heads=8, kv_heads=2)),
        ("heads-1", lambda m, d: m.update(heads=1, kv_heads=1)),
        ("head-dim-8", lambda m, d: m.update(head_dim=8, value_dim=8)),
        ("dtype-f16", lambda m, d: m.update(dtype="f16")),
        ("kv-heads-4", lambda m, d: m.update(kv_heads=4)),
        ("issue-15", lambda m, d: m.update(heads=1, kv_heads=1, head_dim=8, dtype="f16")),
        ("no-params", lambda m, d: m.update(params=[])),
        ("spec-hash", lambda m, d: m.update(spec_hash="0000000000000000")),
        ("entry-abort", lambda m, d: m["cpu"].update(entry="abort")),
        ("entry-prefixed-libc", lambda m, d: m["cpu"].update(entry="attnc_exit")),
        ("library-outside", outside_library),
    ]
    for name, edit in cases:
        status, message = run(lib, edited(name, edit))
        print(f"{name}: {status}: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
