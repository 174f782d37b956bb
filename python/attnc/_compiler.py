"""The compiler side of the attnc package: finding the `attnc` binary,
compiling a spec into a package directory once (a content-hash cache on
disk), turning compiler diagnostics into CompileError, and `attnc explain`.

The compiler is not linked into the extension module: it is the `attnc`
command-line tool (which needs LLVM and MLIR), run as a subprocess. The
extension module binds only the runtime. docs/python.md, "The compiler".
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

__all__ = ["CompileError", "find_compiler", "compiler_version",
           "default_cache_dir", "compile_package", "explain_spec"]


class CompileError(Exception):
    """The compiler refused a spec. `message` is what it printed
    (`file:line:col: error: ...` with the source line and a caret);
    `file`, `line`, `column` locate the first error when there is one."""

    def __init__(self, message, returncode=1):
        super().__init__(message)
        self.message = message
        self.returncode = returncode
        m = re.search(r"^(.*?):(\d+):(\d+): error: ", message, re.M)
        self.file = m.group(1) if m else None
        self.line = int(m.group(2)) if m else None
        self.column = int(m.group(3)) if m else None


def _repo_binary():
    """build/tools/attnc/attnc of the checkout the package was built from
    (recorded at build time in _build_info.py), or of the source tree when
    the package is imported from python/ itself."""
    try:
        from ._build_info import SOURCE_ROOT
    except ImportError:
        SOURCE_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return os.path.normpath(os.path.join(SOURCE_ROOT, "build", "tools", "attnc", "attnc"))


def find_compiler():
    """The `attnc` binary: $ATTNC_BIN, else `attnc` on PATH, else
    build/tools/attnc/attnc of the checkout the package was built from.
    Raises FileNotFoundError naming all three."""
    env = os.environ.get("ATTNC_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise FileNotFoundError(f"ATTNC_BIN names '{env}', which is not an "
                                    "executable file")
        return env
    on_path = shutil.which("attnc")
    if on_path:
        return on_path
    repo = _repo_binary()
    if os.access(repo, os.X_OK):
        return repo
    raise FileNotFoundError(
        "the attnc compiler was not found: set ATTNC_BIN to the attnc "
        f"binary, put it on PATH, or build it as {repo} (scripts/setup.sh)")


_versions = {}


def compiler_version(binary=None):
    """`attnc --version` of the binary, plus the binary's size and
    modification time: a rebuilt compiler (same version string during
    development) gets a new cache key."""
    binary = os.path.realpath(binary or find_compiler())
    st = os.stat(binary)
    key = (binary, st.st_size, st.st_mtime_ns)
    if key not in _versions:
        out = subprocess.run([binary, "--version"], capture_output=True,
                             text=True)
        text = (out.stdout + out.stderr).strip()
        _versions[key] = f"{text}|{st.st_size}|{st.st_mtime_ns}"
    return _versions[key]


def default_cache_dir():
    """$ATTNC_CACHE_DIR, else $XDG_CACHE_HOME/attnc, else ~/.cache/attnc."""
    env = os.environ.get("ATTNC_CACHE_DIR")
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "attnc")


_DTYPE_STMT = re.compile(r"^([ \t]*)dtype[ \t]+(f16|bf16|f32)\b", re.M)
_ATTENTION = re.compile(r"^[ \t]*attention[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\{[^\n]*\n", re.M)


def override_dtype(text, dtype):
    """The spec with every `dtype` statement set to `dtype`; an attention
    block without one gets `dtype X` as its first statement (a line is
    inserted, so diagnostics below it are one line further down)."""
    if dtype not in ("f32", "f16", "bf16"):
        raise ValueError(f"dtype must be 'f32', 'f16' or 'bf16', got {dtype!r}")
    blocks = list(_ATTENTION.finditer(text))
    out, last = [], 0
    for i, block in enumerate(blocks):
        end = blocks[i + 1].start() if i + 1 < len(blocks) else len(text)
        body = text[block.end():end]
        out.append(text[last:block.end()])
        if _DTYPE_STMT.search(body):
            out.append(_DTYPE_STMT.sub(lambda m: f"{m.group(1)}dtype {dtype}", body))
        else:
            out.append(f"  dtype {dtype}\n" + body)
        last = end
    out.append(text[last:])
    return "".join(out)


def read_spec(spec):
    """(text, path): `spec` is a path (os.PathLike, or a str naming an
    existing file) or the spec text itself (path None)."""
    if isinstance(spec, os.PathLike):
        path = os.fspath(spec)
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    if isinstance(spec, str):
        if "\n" not in spec and "{" not in spec and os.path.isfile(spec):
            with open(spec, encoding="utf-8") as f:
                return f.read(), spec
        if "{" not in spec:
            raise FileNotFoundError(f"no spec file '{spec}' (and not spec text: "
                                    "that has an 'attention NAME {' block)")
        return spec, None
    raise TypeError(f"expected a spec path or text, got {type(spec).__name__}")


def _run(binary, args, shown, scratch):
    """Runs the compiler; on failure raises CompileError with the scratch
    spec path replaced by what the user knows it as."""
    out = subprocess.run([binary] + args, capture_output=True, text=True)
    if out.returncode != 0:
        message = (out.stderr or out.stdout).replace(scratch, shown).rstrip()
        raise CompileError(message, out.returncode)
    return out.stdout


def compile_package(spec, *, name=None, dtype=None, backward=False, cpu=True,
                    arch=None, cpu_flags=None, cache_dir=None, binary=None):
    """Compiles `spec` with `attnc compile` into the cache (once per spec
    text, compiler and options) and returns the package directory.

    The cache key is a SHA-256 of the spec text (after the dtype override),
    the compiler's version (and its binary's size and mtime) and the
    options; the package lands in CACHE/NAME-KEY16 through a rename, so
    concurrent compiles of one spec are safe (the loser's copy is dropped).
    """
    text, path = read_spec(spec)
    if dtype is not None:
        text = override_dtype(text, dtype)
    binary = binary or find_compiler()
    options = {"name": name, "backward": bool(backward), "cpu": bool(cpu),
               "arch": list(arch) if arch else None, "cpu_flags": cpu_flags}
    h = hashlib.sha256()
    h.update(text.encode())
    h.update(b"\0" + compiler_version(binary).encode())
    h.update(b"\0" + json.dumps(options, sort_keys=True).encode())
    key = h.hexdigest()
    cache_dir = os.path.abspath(cache_dir or default_cache_dir())
    os.makedirs(cache_dir, exist_ok=True)
    existing = [d for d in os.listdir(cache_dir) if d.endswith("-" + key[:16])
                and os.path.isfile(os.path.join(cache_dir, d, "manifest.json"))]
    if existing:
        return os.path.join(cache_dir, existing[0])

    shown = path if path is not None else "<string>"
    scratch = tempfile.mkdtemp(prefix=".build-", dir=cache_dir)
    try:
        spec_file = os.path.join(scratch, "spec.attn")
        with open(spec_file, "w", encoding="utf-8") as f:
            f.write(text)
        pkg = os.path.join(scratch, "pkg")
        args = ["compile", spec_file, "-o", pkg]
        if name:
            args += ["--name", name]
        if backward:
            args.append("--backward")
        if not cpu:
            args.append("--no-cpu")
        if arch:
            args += ["--arch", ",".join(arch)]
        else:
            args.append("--no-cuda-build")
        if cpu_flags is not None:
            args += ["--cpu-flags", cpu_flags]
        _run(binary, args, shown, spec_file)
        with open(os.path.join(pkg, "manifest.json"), encoding="utf-8") as f:
            pkg_name = json.load(f)["name"]
        # The spec is kept beside the package, for `explain` and for people.
        shutil.copyfile(spec_file, os.path.join(pkg, "spec.attn"))
        final = os.path.join(cache_dir, f"{pkg_name}-{key[:16]}")
        try:
            os.rename(pkg, final)
        except OSError:
            if not os.path.isfile(os.path.join(final, "manifest.json")):
                raise
        return final
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def explain_spec(spec_file, nq, nk=None, *, name=None, svg=False, binary=None,
                 shown=None):
    """Runs `attnc explain SPEC --len Nq,Nk` and returns (text, svg text or
    None)."""
    binary = binary or find_compiler()
    length = f"{nq}" if nk is None else f"{nq},{nk}"
    args = ["explain", spec_file, "--len", length]
    if name:
        args += ["--name", name]
    with tempfile.TemporaryDirectory() as tmp:
        svg_path = os.path.join(tmp, "map.svg")
        if svg:
            args += ["--svg", svg_path]
        text = _run(binary, args, shown or spec_file, spec_file)
        image = None
        if svg:
            with open(svg_path, encoding="utf-8") as f:
                image = f.read()
    return text, image
