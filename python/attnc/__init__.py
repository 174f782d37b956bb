"""attnc from Python: compile an .attn spec, run its kernels on numpy
arrays, torch tensors (with autograd) and DLPack producers.

    import attnc
    kernel = attnc.compile("examples/causal.attn", dtype="f32", backward=True)
    o, lse = kernel(q, k, v, lse=True)

The compiler is the `attnc` binary ($ATTNC_BIN, PATH, or the repository's
build/tools/attnc/attnc); the runtime is linked into attnc._attnc (no LLVM
or MLIR). docs/python.md.
"""
from . import _attnc
from ._compiler import (CompileError, compiler_version, default_cache_dir,
                        find_compiler, read_spec)
from ._compiler import compile_package as _compile_package
from ._kernel import (LAYOUTS, Explanation, Gradients, Kernel, Param,
                      RuntimeError_)

__version__ = "0.1.0"
runtime_version = _attnc.runtime_version
abi_version = _attnc.abi_version
last_error = _attnc.last_error

__all__ = ["compile", "load", "Kernel", "Gradients", "Explanation", "Param",
           "CompileError", "RuntimeError_", "LAYOUTS", "find_compiler",
           "compiler_version", "default_cache_dir", "runtime_version",
           "abi_version", "last_error"]


def compile(spec, *, name=None, dtype=None, backward=False, cpu=True,
            arch=None, cpu_flags=None, cache_dir=None):
    """Compiles a spec (a path, or the spec text) into a Kernel.

    name: the attention block of a multi-block spec (--name).
    dtype: 'f32', 'f16' or 'bf16' replaces the spec's `dtype` statement.
    backward: include the backward kernels (--backward), for
        Kernel.backward and autograd.
    cpu: build the CPU kernel (False: --no-cpu).
    arch: CUDA archs to build cubins for (e.g. ['sm_90']); None writes the
        CUDA source only, which the runtime compiles with NVRTC on the first
        launch (--no-cuda-build).
    cpu_flags: flags of the host compiler for the CPU kernel (--cpu-flags).
    cache_dir: where packages are kept (default: $ATTNC_CACHE_DIR, else
        ~/.cache/attnc); a spec is compiled once per text, compiler and
        options.
    Raises CompileError with the compiler's located message."""
    text, path = read_spec(spec)
    pkg = _compile_package(text if path is None else path, name=name,
                           dtype=dtype, backward=backward, cpu=cpu, arch=arch,
                           cpu_flags=cpu_flags, cache_dir=cache_dir)
    import os
    return Kernel(pkg, spec_path=os.path.join(pkg, "spec.attn"),
                  spec_shown=path if path is not None else "<string>")


def load(package_dir, *, spec=None):
    """Opens a package written by `attnc compile` (or attnc.compile).
    `spec`: its spec file, for Kernel.explain (a package from
    attnc.compile keeps it as spec.attn)."""
    import os
    if spec is None and os.path.isfile(os.path.join(package_dir, "spec.attn")):
        spec = os.path.join(package_dir, "spec.attn")
    return Kernel(package_dir, spec_path=spec)
