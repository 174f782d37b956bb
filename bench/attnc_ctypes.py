"""ctypes bindings to libattnc_runtime.so for the GPU benchmark and test
harnesses: open a package and launch its CUDA kernel on torch tensors.
Mirrors runtime/include/attnc/runtime.h (keep the two in step)."""
import ctypes

ATTNC_F32, ATTNC_F16, ATTNC_BF16, ATTNC_I32 = 0, 1, 2, 3


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int), ("shape", ctypes.c_longlong * 4),
                ("strides", ctypes.c_longlong * 4)]


class PagedKv(ctypes.Structure):
    """attnc_paged_kv (docs/runtime.md §3f)."""
    _fields_ = [("layout", ctypes.c_int), ("block_table", ctypes.POINTER(Tensor)),
                ("kv_lens", ctypes.POINTER(Tensor)), ("cu_seqlens_q", ctypes.POINTER(Tensor))]


class BackwardTensors(ctypes.Structure):
    """attnc_backward_tensors."""
    _fields_ = [("dout", ctypes.POINTER(Tensor)), ("dq", ctypes.POINTER(Tensor)),
                ("dk", ctypes.POINTER(Tensor)), ("dv", ctypes.POINTER(Tensor)),
                ("param_grads", ctypes.POINTER(Tensor))]


def _dtype_code(t):
    import torch
    return {torch.float32: ATTNC_F32, torch.float16: ATTNC_F16,
            torch.bfloat16: ATTNC_BF16, torch.int32: ATTNC_I32}[t.dtype]


def view(t):
    """An attnc_tensor describing torch tensor `t` (device memory, strided)."""
    v = Tensor()
    v.data = t.data_ptr()
    v.dtype = _dtype_code(t)
    v.rank = t.dim()
    for i in range(t.dim()):
        v.shape[i] = t.shape[i]
        v.strides[i] = t.stride(i)
    return v


class Runtime:
    def __init__(self, library_path):
        self.lib = ctypes.CDLL(library_path)
        self.lib.attnc_last_error.restype = ctypes.c_char_p
        self.lib.attnc_package_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        self.lib.attnc_launch_cuda.argtypes = [ctypes.c_void_p] + [ctypes.POINTER(Tensor)] * 6 + [
            ctypes.c_int, ctypes.c_void_p]
        self.lib.attnc_prepare_cuda.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib.attnc_package_close.argtypes = [ctypes.c_void_p]
        self.lib.attnc_block_mask_build_cuda.argtypes = [ctypes.c_void_p] + [
            ctypes.POINTER(Tensor)] * 4 + [ctypes.c_int, ctypes.c_void_p,
                                           ctypes.POINTER(ctypes.c_void_p)]
        self.lib.attnc_launch_cuda_block_mask.argtypes = [ctypes.c_void_p] + [
            ctypes.POINTER(Tensor)] * 6 + [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.attnc_block_mask_free.argtypes = [ctypes.c_void_p]
        self.lib.attnc_launch_cuda_backward.argtypes = [ctypes.c_void_p] + [
            ctypes.POINTER(Tensor)] * 6 + [ctypes.c_int, ctypes.POINTER(BackwardTensors),
                                           ctypes.c_void_p]
        self.lib.attnc_package_param_has_grad.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.lib.attnc_package_set_auto_block_mask.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.lib.attnc_package_set_kv_splits.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.lib.attnc_launch_cuda_paged.argtypes = [ctypes.c_void_p] + [
            ctypes.POINTER(Tensor)] * 6 + [ctypes.c_int, ctypes.POINTER(PagedKv), ctypes.c_void_p]

    def check(self, status, what):
        if status != 0:
            raise RuntimeError(f"{what}: {self.lib.attnc_last_error().decode()}")

    def open(self, directory):
        handle = ctypes.c_void_p()
        self.check(self.lib.attnc_package_open(directory.encode(), ctypes.byref(handle)),
                   f"open {directory}")
        return Package(self, handle)


class Package:
    def __init__(self, runtime, handle):
        self.rt, self.handle = runtime, handle

    def prepare(self, stream):
        self.rt.check(self.rt.lib.attnc_prepare_cuda(self.handle, ctypes.c_void_p(stream)), "prepare")

    def set_auto_block_mask(self, enabled):
        """attnc_package_set_auto_block_mask: off to time the static plan of
        a mask that reads params."""
        self.rt.check(self.rt.lib.attnc_package_set_auto_block_mask(self.handle, int(enabled)),
                      "set_auto_block_mask")

    def launcher(self, q, k, v, o, lse=None, params=(), stream=0):
        """Returns a zero-argument function that launches the kernel; the
        tensor descriptors are built once so timing measures the launch."""
        views = [view(t) for t in (q, k, v, o)]
        lse_view = view(lse) if lse is not None else None
        param_views = (Tensor * max(len(params), 1))(*[view(p) for p in params])
        refs = [ctypes.byref(x) for x in views]
        lse_ref = ctypes.byref(lse_view) if lse_view is not None else None
        lib, handle = self.rt.lib, self.handle

        def launch():
            status = lib.attnc_launch_cuda(handle, *refs, lse_ref,
                                           param_views if params else None,
                                           len(params), ctypes.c_void_p(stream))
            if status != 0:
                raise RuntimeError(lib.attnc_last_error().decode())
        launch._keepalive = (views, lse_view, param_views)
        return launch


    def set_kv_splits(self, splits):
        """attnc_package_set_kv_splits: 0 the runtime's rule, 1 never, n."""
        self.rt.check(self.rt.lib.attnc_package_set_kv_splits(self.handle, int(splits)),
                      "set_kv_splits")

    def paged_launcher(self, q, k_pages, v_pages, o, block_table, kv_lens, lse=None,
                       layout=0, stream=0):
        """A zero-argument launcher of attnc_launch_cuda_paged (docs/runtime.md
        §3f): q [B, H, Nq, D] dense on the device, the page pools on the
        device, block_table [B, max_pages] and kv_lens [B] int32 on the host
        (the runtime copies them per call, as it would in an engine)."""
        views = [view(t) for t in (q, k_pages, v_pages, o)]
        lse_view = view(lse) if lse is not None else None
        tables = [view(block_table), view(kv_lens)]
        paged = PagedKv(layout, ctypes.pointer(tables[0]), ctypes.pointer(tables[1]), None)
        refs = [ctypes.byref(x) for x in views]
        lse_ref = ctypes.byref(lse_view) if lse_view is not None else None
        lib, handle = self.rt.lib, self.handle

        def launch():
            status = lib.attnc_launch_cuda_paged(handle, *refs, lse_ref, None, 0,
                                                 ctypes.byref(paged), ctypes.c_void_p(stream))
            if status != 0:
                raise RuntimeError(lib.attnc_last_error().decode())
        launch._keepalive = (views, lse_view, tables, paged, block_table, kv_lens)
        return launch

    def backward_launcher(self, q, k, v, o, lse, dout, dq, dk, dv, params=(),
                          param_grads=(), stream=0):
        """Returns a zero-argument function that launches the backward
        (attnc_launch_cuda_backward). `param_grads`: one tensor or None per
        parameter (None for those without a gradient)."""
        views = [view(t) for t in (q, k, v, o, lse)]
        grad_views = [view(t) for t in (dout, dq, dk, dv)]
        param_views = (Tensor * max(len(params), 1))(*[view(p) for p in params])
        pg = (Tensor * max(len(params), 1))(*[view(g) if g is not None else Tensor()
                                              for g in param_grads])
        any_grad = any(g is not None for g in param_grads)
        bt = BackwardTensors(*[ctypes.pointer(x) for x in grad_views],
                             pg if any_grad else None)
        refs = [ctypes.byref(x) for x in views]
        lib, handle = self.rt.lib, self.handle

        def launch():
            status = lib.attnc_launch_cuda_backward(
                handle, *refs, param_views if params else None, len(params),
                ctypes.byref(bt), ctypes.c_void_p(stream))
            if status != 0:
                raise RuntimeError(lib.attnc_last_error().decode())
        launch._keepalive = (views, grad_views, param_views, pg, bt)
        return launch


class BlockMask:
    """A device block mask (attnc_block_mask_build_cuda); freed on close."""

    def __init__(self, pkg, q, k, v, params=(), stream=0):
        self.pkg = pkg
        lib = pkg.rt.lib
        self._views = [view(t) for t in (q, k, v)]
        self._params = (Tensor * max(len(params), 1))(*[view(p) for p in params])
        self.handle = ctypes.c_void_p()
        pkg.rt.check(lib.attnc_block_mask_build_cuda(
            pkg.handle, *[ctypes.byref(x) for x in self._views],
            self._params if params else None, len(params), ctypes.c_void_p(stream),
            ctypes.byref(self.handle)), "block mask build")

    def launcher(self, o, lse=None, stream=0):
        """Launches the package's kernel over this mask with the q, k, v and
        params it was built from."""
        lib, pkg = self.pkg.rt.lib, self.pkg
        o_view = view(o)
        lse_view = view(lse) if lse is not None else None
        refs = [ctypes.byref(x) for x in self._views]
        nparams = len(self._params) if self._params[0].data else 0

        def launch():
            status = lib.attnc_launch_cuda_block_mask(
                pkg.handle, *refs, ctypes.byref(o_view),
                ctypes.byref(lse_view) if lse_view is not None else None,
                self._params if nparams else None, nparams, self.handle,
                ctypes.c_void_p(stream))
            if status != 0:
                raise RuntimeError(lib.attnc_last_error().decode())
        launch._keepalive = (o_view, lse_view)
        return launch

    def close(self):
        if self.handle:
            self.pkg.rt.lib.attnc_block_mask_free(self.handle)
            self.handle = ctypes.c_void_p()
