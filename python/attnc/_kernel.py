"""Kernel: a compiled attnc package called on numpy arrays, torch tensors
or any DLPack producer. Outputs are allocated here in the caller's
framework and layout; the runtime (attnc._attnc) reads and writes them in
place through their strides. docs/python.md.
"""
import re
import sys

import numpy as np

from . import _attnc
from ._compiler import explain_spec

__all__ = ["Kernel", "Gradients", "Explanation", "RuntimeError_", "LAYOUTS"]

LAYOUTS = ("bhnd", "bnhd")


class RuntimeError_(RuntimeError):
    """A runtime call failed. `message` is attnc_last_error(), `status` the
    attnc_status code and `status_name` its name (ATTNC_ERROR_...)."""

    def __init__(self, message, status=0, status_name=""):
        super().__init__(f"{message} [{status_name}]" if status_name else message)
        self.message = message
        self.status = status
        self.status_name = status_name


_attnc._set_error_type(RuntimeError_)


def _bf16_numpy():
    try:
        import ml_dtypes
    except ImportError as e:
        raise ImportError("bf16 numpy arrays need ml_dtypes (pip install "
                          "ml_dtypes), or use torch tensors") from e
    return np.dtype(ml_dtypes.bfloat16)


def _torch():
    """torch if it was imported by the caller (attnc never imports it
    first: a numpy user does not pay for it)."""
    return sys.modules.get("torch")


def _is_torch(x):
    t = _torch()
    return t is not None and isinstance(x, t.Tensor)


# ---- Framework adapters ----------------------------------------------------


class _Numpy:
    name = "numpy"
    cuda = False

    def __init__(self, pkg_dtype):
        self.pkg_dtype = pkg_dtype
        self.dtype = {"f32": np.dtype(np.float32), "f16": np.dtype(np.float16)}.get(
            pkg_dtype) or _bf16_numpy()

    def check(self, a, what):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"'{what}' must be a numpy array like q, got {type(a).__name__}")
        if a.dtype != self.dtype:
            raise TypeError(f"'{what}' has dtype {a.dtype}, but the kernel was compiled "
                            f"for {self.pkg_dtype} ({self.dtype}); cast it, or compile "
                            f"with dtype='...'")
        return a

    @staticmethod
    def strided_ok(a):
        st = [s // a.itemsize for s in a.strides]
        return all(s > 0 or n == 1 for s, n in zip(st, a.shape)) and (
            a.shape[-1] == 1 or st[-1] == 1) and all(s % a.itemsize == 0 for s in a.strides)

    def fix(self, a):
        """The array itself when the runtime can read its strides (positive,
        last one 1), else a C-contiguous copy."""
        return a if self.strided_ok(a) else np.ascontiguousarray(a)

    def raw(self, a):
        """What the extension takes: bf16 as its uint16 bits."""
        return a.view(np.uint16) if self.pkg_dtype == "bf16" and a.dtype == self.dtype else a

    def empty(self, shape, like=None, f32=False):
        return np.empty(shape, np.float32 if f32 else self.dtype)

    def zeros_f32(self, shape, like=None):
        return np.zeros(shape, np.float32)

    @staticmethod
    def swap12(a):
        return a.transpose(0, 2, 1, 3)

    @staticmethod
    def param(x, dtype, like=None):
        return np.ascontiguousarray(np.asarray(x), dtype=np.int32 if dtype == "i32" else np.float32)

    @staticmethod
    def f32(x, like=None):
        return np.ascontiguousarray(np.asarray(x), dtype=np.float32)

    def stream(self, like):
        return 0

    def device_guard(self, like):
        return _NullGuard()


class _NullGuard:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


class _Torch:
    name = "torch"

    def __init__(self, pkg_dtype, device):
        torch = _torch()
        self.torch = torch
        self.pkg_dtype = pkg_dtype
        self.dtype = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[pkg_dtype]
        self.device = device
        self.cuda = device.type == "cuda"
        if device.type not in ("cpu", "cuda"):
            raise ValueError(f"attnc runs on CPU and CUDA tensors, got device '{device}'")

    def check(self, a, what):
        torch = self.torch
        if not isinstance(a, torch.Tensor):
            raise TypeError(f"'{what}' must be a torch tensor like q, got {type(a).__name__}")
        if a.dtype != self.dtype:
            raise TypeError(f"'{what}' has dtype {a.dtype}, but the kernel was compiled "
                            f"for {self.pkg_dtype} ({self.dtype}); cast it, or compile "
                            f"with dtype='...'")
        if a.device != self.device:
            raise ValueError(f"'{what}' is on {a.device}, q on {self.device}")
        return a

    def fix(self, a):
        ok = all(s > 0 or n == 1 for s, n in zip(a.stride(), a.shape)) and (
            a.shape[-1] == 1 or a.stride(-1) == 1)
        if self.cuda:
            # The CUDA kernels need 16-byte aligned bases and byte strides.
            es = a.element_size()
            ok = ok and a.data_ptr() % 16 == 0 and all(
                (s * es) % 16 == 0 or n == 1 for s, n in zip(a.stride()[:-1], a.shape[:-1]))
        return a if ok else a.contiguous()

    @staticmethod
    def raw(a):
        return a.detach()

    def empty(self, shape, like=None, f32=False):
        return self.torch.empty(shape, dtype=self.torch.float32 if f32 else self.dtype,
                                device=self.device)

    def zeros_f32(self, shape, like=None):
        return self.torch.zeros(shape, dtype=self.torch.float32, device=self.device)

    @staticmethod
    def swap12(a):
        return a.transpose(1, 2)

    def param(self, x, dtype, like=None):
        t = self.torch
        want = t.int32 if dtype == "i32" else t.float32
        return t.as_tensor(x, device=self.device).to(want).contiguous()

    def f32(self, x, like=None):
        t = self.torch
        return t.as_tensor(x, device=self.device).to(t.float32).contiguous()

    def stream(self, like):
        if not self.cuda:
            return 0
        return self.torch.cuda.current_stream(self.device).cuda_stream

    def device_guard(self, like):
        return self.torch.cuda.device(self.device) if self.cuda else _NullGuard()


def _from_dlpack(x):
    """A numpy array (host memory) or torch tensor (other devices) sharing
    the memory of DLPack producer `x`."""
    dev = x.__dlpack_device__() if hasattr(x, "__dlpack_device__") else (1, 0)
    if int(dev[0]) in (1, 3):  # kDLCPU, kDLCUDAHost
        try:
            return np.from_dlpack(x)
        except (TypeError, BufferError, RuntimeError) as e:
            torch = _torch()
            if torch is None:
                raise TypeError(f"numpy cannot import this DLPack tensor ({e}); "
                                "import torch to pass bf16 DLPack tensors") from e
            return torch.from_dlpack(x)
    torch = _torch()
    if torch is None:
        raise TypeError("a DLPack tensor on a device needs torch (import torch first)")
    return torch.from_dlpack(x)


# ---- Results -----------------------------------------------------------------


class Gradients:
    """dq, dk, dv (shaped like q, k, v, in their layout) and `params`, a
    dict from parameter name to its gradient (float32), for the parameters
    whose gradient the backward writes."""

    def __init__(self, dq, dk, dv, params):
        self.dq, self.dk, self.dv, self.params = dq, dk, dv, params

    def __iter__(self):
        return iter((self.dq, self.dk, self.dv, self.params))

    def __repr__(self):
        return f"Gradients(dq, dk, dv, params={sorted(self.params)})"


class Explanation:
    """What `attnc explain` says about a kernel at given lengths: `text` (its
    report), `stats` (the numbers parsed from it: tile counts for the
    softmax family, the chunk plan for the linear family) and, with
    svg=True, `svg` (the tile map; shown inline by notebooks)."""

    def __init__(self, text, svg=None):
        self.text = text
        self.svg = svg
        self.stats = parse_explain(text)

    def __repr__(self):
        return self.text

    def _repr_svg_(self):
        return self.svg


def parse_explain(text):
    """The numbers of an `attnc explain` report (docs/cli.md): for the
    softmax family nq, nk, block_q, block_k and the tile counts total,
    visited, full, partial, skipped and dense_fraction (visited / total
    work, as printed); for the linear family nq, nk, chunks, chunk and the
    state's rows and columns. Lines it does not know stay in the text."""
    stats = {}
    m = re.search(r"attention '(\w+)': Nq (\d+), Nk (\d+)(?:, tiles (\d+) x (\d+))?", text)
    if m:
        stats["name"] = m.group(1)
        stats["nq"], stats["nk"] = int(m.group(2)), int(m.group(3))
        if m.group(4):
            stats["block_q"], stats["block_k"] = int(m.group(4)), int(m.group(5))
    m = re.search(r"^tiles: (\d+) total, (\d+) visited \(([\d.]+)% of dense work\), "
                  r"(\d+) full, (\d+) partial[^,]*, (\d+) skipped", text, re.M)
    if m:
        for i, key in enumerate(("total", "visited"), 1):
            stats[key] = int(m.group(i))
        stats["dense_fraction"] = float(m.group(3)) / 100
        stats["full"], stats["partial"], stats["skipped"] = (int(m.group(i)) for i in (4, 5, 6))
    m = re.search(r"^chunks: (\d+) of (\d+) keys", text, re.M)
    if m:
        stats["chunks"], stats["chunk"] = int(m.group(1)), int(m.group(2))
    m = re.search(r"^state: (\d+) x (\d+) floats", text, re.M)
    if m:
        stats["state_rows"], stats["state_cols"] = int(m.group(1)), int(m.group(2))
    stats["runtime_selection"] = bool(re.search(r"^selection: at run time", text, re.M))
    return stats


# ---- Kernel ------------------------------------------------------------------


class Param:
    """A runtime parameter of the spec: name, dtype ('i32' or 'f32'), dims
    (the manifest's text: letters of b h n d and fixed extents [N], "" for
    a scalar; docs/runtime.md) and whether the backward writes its
    gradient."""

    def __init__(self, name, dtype, dims, grad):
        self.name, self.dtype, self.dims, self.grad = name, dtype, dims, grad

    def dim_tokens(self):
        """['h', '13', '13'] for "h[13][13]"."""
        return [t.strip("[]") for t in re.findall(r"\[\d+\]|[bhnd]", self.dims)]

    def __repr__(self):
        return f"Param({self.name}: {self.dtype}[{', '.join(self.dim_tokens())}]{', grad' if self.grad else ''})"


class Kernel:
    """A compiled attnc package (attnc.compile returns one; attnc.load opens
    a package directory).

    kernel(q, k, v, *, lse=False, state=None, layout='bhnd', **params)
    runs the forward. q [B, H, Nq, D], k [B, G, Nk, D], v [B, G, Nk, Dv]
    (layout 'bnhd': [B, N, H, D]) in the kernel's dtype; returns o in the
    same layout, (o, lse) with lse=True (lse float32 [B, H, Nq]), and
    (o, final_state) when a state is given (see docs/python.md). On torch
    tensors that require grad, the result is differentiable (backward
    kernels: compile with backward=True)."""

    def __init__(self, package_dir, spec_path=None, spec_shown=None):
        self._pkg = _attnc.Package(package_dir)
        self.package_dir = self._pkg.dir
        self._spec_path = spec_path
        self._spec_shown = spec_shown
        p = self._pkg
        self.name, self.family, self.normalize = p.name, p.family, p.normalize
        self.dtype = p.dtype
        self.heads, self.kv_heads = p.heads, p.kv_heads
        self.head_dim, self.value_dim, self.feature_dim = p.head_dim, p.value_dim, p.feature_dim
        self.has_lse, self.has_state = p.has_lse, p.has_state
        self.has_cpu, self.has_cuda = p.has_cpu, p.has_cuda
        self.has_cpu_backward, self.has_cuda_backward = p.has_cpu_backward, p.has_cuda_backward
        self.params = [Param(*t) for t in p.params]
        self.schedule = p.schedule
        self.spec_hash = p.spec_hash
        if _torch() is not None:
            # Register the PyTorch operators now, outside any torch.compile
            # trace (Dynamo cannot trace their registration).
            from ._torch import register
            register(self)

    def __repr__(self):
        return (f"attnc.Kernel('{self.name}', {self.family}, {self.dtype}, heads={self.heads}, "
                f"kv_heads={self.kv_heads}, head_dim={self.head_dim}, params={self.params}, "
                f"dir='{self.package_dir}')")

    # -- helpers --

    def _adapter(self, q):
        if isinstance(q, np.ndarray):
            return _Numpy(self.dtype)
        if _is_torch(q):
            return _Torch(self.dtype, q.device)
        raise TypeError(f"q must be a numpy array, a torch tensor or a DLPack producer, "
                        f"got {type(q).__name__}")

    @staticmethod
    def _layout(layout):
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
        return layout

    def _param_values(self, fw, params, like):
        names = [p.name for p in self.params]
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise TypeError(f"kernel '{self.name}' has no parameter {', '.join(map(repr, unknown))}"
                            f" (its parameters: {', '.join(names) or 'none'})")
        missing = [n for n in names if n not in params]
        if missing:
            raise TypeError(f"kernel '{self.name}' needs parameter(s) {', '.join(missing)}")
        return [fw.param(params[p.name], p.dtype, like) for p in self.params]

    def _views(self, fw, layout, *arrays):
        """The [B, H, N, D] views the runtime reads."""
        return [fw.swap12(a) if layout == "bnhd" else a for a in arrays]

    # -- forward --

    def __call__(self, q, k, v, *, lse=False, state=None, layout="bhnd", **params):
        self._layout(layout)
        if not isinstance(q, np.ndarray) and not _is_torch(q) and hasattr(q, "__dlpack__"):
            q, k, v = _from_dlpack(q), _from_dlpack(k), _from_dlpack(v)
        fw = self._adapter(q)
        if fw.name == "torch" and state is None:
            # Through the kernel's custom op (attnc._torch): autograd, and
            # torch.compile traces it without a graph break.
            from ._torch import apply
            values = self._param_values(fw, params, q)
            if lse and not self.has_lse:
                raise ValueError(f"kernel '{self.name}' has no lse (normalize {self.normalize})")
            o, l = apply(self, layout, q, k, v, values)
            return (o, l) if lse else o
        if fw.name == "torch":
            torch = fw.torch
            values = self._param_values(fw, params, q)
            if torch.is_grad_enabled() and any(t.requires_grad for t in [q, k, v] + values):
                raise NotImplementedError(
                    "gradients through a recurrent state are not supported (the linear "
                    "family has no backward kernel yet); run under torch.no_grad()")
            return self._forward(fw, q, k, v, values, lse, state, layout)
        values = self._param_values(fw, params, q)
        return self._forward(fw, q, k, v, values, lse, state, layout)

    def _forward(self, fw, q, k, v, values, want_lse, state, layout):
        q, k, v = (fw.fix(fw.check(a, n)) for a, n in ((q, "q"), (k, "k"), (v, "v")))
        for a, n in ((q, "q"), (k, "k"), (v, "v")):
            if len(a.shape) != 4:
                raise ValueError(f"'{n}' must have 4 dimensions ({layout}), got shape {tuple(a.shape)}")
        if want_lse and not self.has_lse:
            raise ValueError(f"kernel '{self.name}' has no lse (normalize {self.normalize})")
        if state is not None and not self.has_state:
            raise ValueError(f"kernel '{self.name}' has no recurrent state (only causal "
                             "linear-family kernels do)")
        if fw.cuda and not self.has_cuda:
            raise ValueError(f"kernel '{self.name}' was compiled without CUDA code")
        if not fw.cuda and not self.has_cpu:
            raise ValueError(f"kernel '{self.name}' was compiled without a CPU kernel")
        B = q.shape[0]
        Nq = q.shape[2] if layout == "bhnd" else q.shape[1]
        oshape = (B, self.heads, Nq, self.value_dim) if layout == "bhnd" else (
            B, Nq, self.heads, self.value_dim)
        o = fw.empty(oshape, q)
        lse = fw.empty((B, self.heads, Nq), q, f32=True) if want_lse else None
        s_in = s_out = z_in = z_out = None
        sum_norm = self.normalize == "sum"
        if state is not None:
            sshape = (B, self.heads, self.feature_dim, self.value_dim)
            if state is not True:
                if sum_norm:
                    if not (isinstance(state, (tuple, list)) and len(state) == 2):
                        raise TypeError("with normalize sum, state is a pair (S, z)")
                    s_in, z_in = fw.f32(state[0], q), fw.f32(state[1], q)
                else:
                    s_in = fw.f32(state, q)
            s_out = fw.empty(sshape, q, f32=True)
            if sum_norm:
                z_out = fw.empty(sshape[:3], q, f32=True)
        qv, kv, vv, ov = self._views(fw, layout, q, k, v, o)
        with fw.device_guard(q):
            self._pkg.forward(fw.raw(qv), fw.raw(kv), fw.raw(vv), fw.raw(ov),
                              None if lse is None else fw.raw(lse),
                              [fw.raw(p) for p in values],
                              None if s_in is None else fw.raw(s_in),
                              None if s_out is None else fw.raw(s_out),
                              None if z_in is None else fw.raw(z_in),
                              None if z_out is None else fw.raw(z_out),
                              fw.cuda, fw.stream(q))
        if state is not None:
            return o, ((s_out, z_out) if sum_norm else s_out)
        return (o, lse) if want_lse else o

    # -- serving: packed and paged batches (docs/runtime.md §3e, §3f) --

    @staticmethod
    def _table(x, what):
        """An int32 host table from a numpy array, a list or a torch tensor
        (copied to the host: the runtime checks every entry there)."""
        if _is_torch(x):
            x = x.detach().to("cpu").numpy()
        a = np.asarray(x)
        if a.dtype.kind not in "iu":
            raise TypeError(f"'{what}' must hold integers, got dtype {a.dtype}")
        return np.ascontiguousarray(a, dtype=np.int32)

    def set_kv_splits(self, splits):
        """Split-KV decode's splits for later calls (docs/runtime.md §3g):
        0 the rule (default), 1 never, n asks for n."""
        self._pkg.set_kv_splits(int(splits))

    def varlen(self, q, k, v, cu_seqlens_q, cu_seqlens_k, *, lse=False, **params):
        """A packed batch of B sequences (FlashAttention's varlen): q
        [total_q, H, D], k and v [total_k, G, D(v)], cu_seqlens_* int32
        [B + 1] offsets. Returns o [total_q, H, Dv] (and lse [H, total_q]);
        each sequence gets what a dense call on it alone gives. Forward
        only (no autograd)."""
        return self._ragged(q, k, v, lse, params, self._table(cu_seqlens_q, "cu_seqlens_q"),
                            self._table(cu_seqlens_k, "cu_seqlens_k"), None, None, 0)

    def paged(self, q, k_pages, v_pages, block_table, kv_lens, *, cu_seqlens_q=None,
              page_layout="nhd", lse=False, **params):
        """Keys and values in a paged KV cache (docs/runtime.md §3f): pools
        [P, page_size, G, D(v)] ("nhd") or [P, G, page_size, D(v)] ("hnd"),
        block_table int32 [B, max_pages], kv_lens int32 [B]. q is dense
        [B, H, Nq, D] (each sequence's Nq queries aligned to the end of its
        keys: decode) or packed [total_q, H, D] by cu_seqlens_q. Returns o
        shaped like q with Dv (and lse). Forward only (no autograd)."""
        if page_layout not in ("nhd", "hnd"):
            raise ValueError(f"page_layout must be 'nhd' or 'hnd', got {page_layout!r}")
        cu_q = None if cu_seqlens_q is None else self._table(cu_seqlens_q, "cu_seqlens_q")
        return self._ragged(q, k_pages, v_pages, lse, params, cu_q, None,
                            self._table(block_table, "block_table"),
                            self._table(kv_lens, "kv_lens"), 0 if page_layout == "nhd" else 1)

    def _ragged(self, q, k, v, want_lse, params, cu_q, cu_k, table, lens, layout):
        fw = self._adapter(q)
        if fw.name == "torch":
            torch = fw.torch
            if torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v)):
                raise NotImplementedError("packed and paged calls are forward only; run "
                                          "under torch.no_grad() or detach the inputs")
        q, k, v = (fw.fix(fw.check(a, n)) for a, n in ((q, "q"), (k, "k"), (v, "v")))
        if not self._pkg.has_ragged:
            raise ValueError(f"kernel '{self.name}' takes no packed or paged batches (its "
                             "plan is not ragged: the linear family, content-based "
                             "selection, hybrids and token grids take padded batches)")
        if want_lse and not self.has_lse:
            raise ValueError(f"kernel '{self.name}' has no lse (normalize {self.normalize})")
        if fw.cuda and not self.has_cuda:
            raise ValueError(f"kernel '{self.name}' was compiled without CUDA code")
        if not fw.cuda and not self.has_cpu:
            raise ValueError(f"kernel '{self.name}' was compiled without a CPU kernel")
        packed = cu_q is not None
        if packed:
            if len(q.shape) != 3:
                raise ValueError(f"packed 'q' must be [total_q, H, D], got shape {tuple(q.shape)}")
            rows = q.shape[0]
            o = fw.empty((rows, self.heads, self.value_dim), q)
            lse = fw.empty((self.heads, rows), q, f32=True) if want_lse else None
        else:
            if len(q.shape) != 4:
                raise ValueError(f"dense 'q' must be [B, H, Nq, D], got shape {tuple(q.shape)}")
            B, _, Nq, _ = q.shape
            o = fw.empty((B, self.heads, Nq, self.value_dim), q)
            lse = fw.empty((B, self.heads, Nq), q, f32=True) if want_lse else None
        values = self._param_values(fw, params, q)
        with fw.device_guard(q):
            self._pkg.forward_ragged(fw.raw(q), fw.raw(k), fw.raw(v), fw.raw(o),
                                     None if lse is None else fw.raw(lse),
                                     [fw.raw(p) for p in values], cu_q, cu_k, table, lens,
                                     layout, fw.cuda, fw.stream(q))
        return (o, lse) if want_lse else o

    # -- backward --

    def backward(self, q, k, v, o, dout, *, lse=None, layout="bhnd", **params):
        """The gradients of sum(o * dout) with respect to q, k, v and the
        differentiable parameters: a Gradients (dq, dk, dv, params). `o`
        and (normalize softmax) `lse` are the forward's outputs
        (kernel(q, k, v, lse=True)). Needs a package compiled with
        backward=True."""
        self._layout(layout)
        if not isinstance(q, np.ndarray) and not _is_torch(q) and hasattr(q, "__dlpack__"):
            q, k, v, o, dout = (_from_dlpack(a) for a in (q, k, v, o, dout))
            lse = None if lse is None else _from_dlpack(lse)
        fw = self._adapter(q)
        values = self._param_values(fw, params, q)
        if fw.name == "torch":
            q, k, v, o, dout = (a.detach() for a in (q, k, v, o, dout))
            lse = None if lse is None else lse.detach()
            values = [p.detach() for p in values]
        return self._backward(fw, q, k, v, o, lse, dout, values, layout)

    def _backward(self, fw, q, k, v, o, lse, dout, values, layout):
        has = self.has_cuda_backward if fw.cuda else self.has_cpu_backward
        if not has:
            where = "CUDA" if fw.cuda else "CPU"
            why = ("the linear family has no backward kernel yet" if self.family == "linear"
                   else "compile it with attnc.compile(..., backward=True)")
            raise NotImplementedError(f"kernel '{self.name}' has no {where} backward ({why})")
        if self.has_lse and lse is None:
            raise ValueError("the softmax backward needs the forward's lse: "
                             "o, lse = kernel(q, k, v, lse=True)")
        q, k, v, o, dout = (fw.fix(fw.check(a, n)) for a, n in
                            ((q, "q"), (k, "k"), (v, "v"), (o, "o"), (dout, "dout")))
        if lse is not None:
            lse = fw.f32(lse, q)
        dq, dk, dv = fw.empty(tuple(q.shape), q), fw.empty(tuple(k.shape), q), fw.empty(tuple(v.shape), q)
        grads = [fw.zeros_f32(tuple(val.shape), q) if p.grad else None
                 for p, val in zip(self.params, values)]
        views = self._views(fw, layout, q, k, v, o, dout, dq, dk, dv)
        with fw.device_guard(q):
            self._pkg.backward(*[fw.raw(a) for a in views[:4]],
                               None if lse is None else fw.raw(lse),
                               [fw.raw(p) for p in values],
                               *[fw.raw(a) for a in views[4:]],
                               [None if g is None else fw.raw(g) for g in grads],
                               fw.cuda, fw.stream(q))
        named = {p.name: g for p, g in zip(self.params, grads) if g is not None}
        return Gradients(dq, dk, dv, named)

    # -- explain --

    def explain(self, nq, nk=None, *, svg=False):
        """`attnc explain` of this kernel's spec at lengths Nq (and Nk): an
        Explanation with the report text, its numbers in `.stats` and, with
        svg=True, the tile map (softmax family)."""
        if self._spec_path is None:
            raise ValueError("this kernel was opened without its spec; explain needs "
                             "attnc.compile (or attnc.load(dir, spec=...))")
        text, image = explain_spec(self._spec_path, nq, nk, name=self.name, svg=svg,
                                   shown=self._spec_shown)
        return Explanation(text, image)
