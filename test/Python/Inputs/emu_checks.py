"""The attnc package's CUDA path (the extension's CUDA branch, Kernel's
forward and backward with cuda=True: attnc_launch_cuda_state and
attnc_launch_cuda_backward) on the CPU emulator of tools/attnc-cuda-emu,
without torch: device memory comes from the (emulated) driver through
ctypes and is handed to the kernel as CUDA DLPack tensors. Compared with
the reference executor at the GPU tolerances (docs/testing.md). Run under
%emu_env. Usage: emu_checks.py TMPDIR (ATTNC_BIN, ATTNC_CACHE_DIR set)."""
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from common import (BACKWARD_TOL, PARAM_GRAD_TOL, check, doc_ids, expect, np_dtype,
                    randn, reference)

import attnc
from attnc import _kernel

tmp = sys.argv[1]
cuda = ctypes.CDLL("libcuda.so.1")


def ok(r, what):
    if r != 0:
        raise RuntimeError(f"{what} failed: CUresult {r}")


ok(cuda.cuInit(0), "cuInit")
dev, ctx = ctypes.c_int(), ctypes.c_void_p()
ok(cuda.cuDeviceGet(ctypes.byref(dev), 0), "cuDeviceGet")
ok(cuda.cuDevicePrimaryCtxRetain(ctypes.byref(ctx), dev), "cuDevicePrimaryCtxRetain")
ok(cuda.cuCtxSetCurrent(ctx), "cuCtxSetCurrent")
cuda.cuMemcpyHtoD_v2.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t]
cuda.cuMemcpyDtoH_v2.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t]


class DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class DLManagedTensor(ctypes.Structure):
    _fields_ = [("dl_tensor", DLTensor), ("manager_ctx", ctypes.c_void_p),
                ("deleter", ctypes.c_void_p)]


_capsule = ctypes.pythonapi.PyCapsule_New
_capsule.restype = ctypes.py_object
_capsule.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]


class Buffer:
    """cuMemAlloc'd bytes."""

    def __init__(self, nbytes):
        self.ptr = ctypes.c_uint64()
        ok(cuda.cuMemAlloc_v2(ctypes.byref(self.ptr), ctypes.c_size_t(max(nbytes, 1))), "cuMemAlloc")

    def __del__(self):
        cuda.cuMemFree_v2(self.ptr)


class DeviceArray:
    """A strided view of device memory, exported as a kDLCUDA DLPack tensor
    (bf16 as its uint16 bits, as the numpy path does)."""

    def __init__(self, buf, shape, strides, dtype):
        self.buf, self.shape, self.strides, self.dtype = buf, tuple(shape), tuple(strides), dtype

    @staticmethod
    def upload(a):
        a = np.ascontiguousarray(a)
        buf = Buffer(a.nbytes)
        ok(cuda.cuMemcpyHtoD_v2(buf.ptr.value, a.ctypes.data, a.nbytes), "cuMemcpyHtoD")
        return DeviceArray(buf, a.shape, [s // a.itemsize for s in a.strides], a.dtype)

    @staticmethod
    def empty(shape, dtype):
        return DeviceArray.upload(np.zeros(shape, dtype))

    def download(self):
        """The values as a C-contiguous numpy array (a copy of the whole
        allocation, then the view)."""
        n = max(sum((d - 1) * s for d, s in zip(self.shape, self.strides)) + 1, 1)
        flat = np.empty(n, self.dtype)
        ok(cuda.cuMemcpyDtoH_v2(flat.ctypes.data, self.buf.ptr.value, flat.nbytes), "cuMemcpyDtoH")
        return np.ascontiguousarray(np.lib.stride_tricks.as_strided(
            flat, self.shape, [s * flat.itemsize for s in self.strides]))

    def swap12(self):
        s, t = self.shape, self.strides
        return DeviceArray(self.buf, (s[0], s[2], s[1], s[3]), (t[0], t[2], t[1], t[3]), self.dtype)

    def __dlpack_device__(self):
        return (2, 0)

    def __dlpack__(self, **kw):
        dt = np.dtype(self.dtype)
        code, bits = {"f": 2, "i": 0, "u": 1, "V": 1}[dt.kind], dt.itemsize * 8
        if dt.kind == "V" or dt.name == "bfloat16":
            code = 1  # raw bits
        n = len(self.shape)
        self._keep = ((ctypes.c_int64 * n)(*self.shape), (ctypes.c_int64 * n)(*self.strides))
        self._mt = DLManagedTensor(DLTensor(self.buf.ptr.value, DLDevice(2, 0), n,
                                            DLDataType(code, bits, 1), self._keep[0],
                                            self._keep[1], 0), None, None)
        return _capsule(ctypes.addressof(self._mt), b"dltensor", None)


class EmuCuda(_kernel._Numpy):
    """Kernel's framework adapter for DeviceArray (what _Torch is for CUDA
    tensors, minus torch)."""
    cuda = True

    def check(self, a, what):
        expect_ = isinstance(a, DeviceArray) and np.dtype(a.dtype) == self.dtype
        if not expect_:
            raise TypeError(f"{what}: not a device array of {self.dtype}")
        return a

    def fix(self, a):
        return a

    def raw(self, a):
        return a

    def empty(self, shape, like=None, f32=False):
        return DeviceArray.empty(shape, np.float32 if f32 else self.dtype)

    def zeros_f32(self, shape, like=None):
        return DeviceArray.empty(shape, np.float32)

    @staticmethod
    def swap12(a):
        return a.swap12()

    @staticmethod
    def param(x, dtype, like=None):
        return DeviceArray.upload(np.asarray(x, np.int32 if dtype == "i32" else np.float32))

    @staticmethod
    def f32(x, like=None):
        return x if isinstance(x, DeviceArray) else DeviceArray.upload(np.asarray(x, np.float32))


SPEC = open(os.path.join(os.path.dirname(__file__), "numpy_checks.py")).read().split(
    'SPEC = """')[1].split('"""')[0]
# GPU forward tolerances (docs/testing.md: f32 1e-4 for the fast exp, f16
# 4e-3 and bf16 3e-2 on the tensor-core path); the backward's are the CPU
# backward's (test/Emu/backward.test).
GPU_FORWARD_TOL = {"f32": 1e-4, "f16": 4e-3, "bf16": 3e-2}
rng = np.random.default_rng(7)
B, NQ, NK = 1, 70, 90
for dtype in ("f32", "bf16"):
    kern = attnc.compile(SPEC, dtype=dtype, backward=True)
    expect(f"emu {dtype}: package has CUDA forward and backward",
           kern.has_cuda and kern.has_cuda_backward)
    fw = EmuCuda(dtype)
    q = randn(rng, (B, 4, NQ, 32), dtype)
    k = randn(rng, (B, 2, NK, 32), dtype)
    v = randn(rng, (B, 2, NK, 32), dtype)
    doc = doc_ids(rng, B, NK)
    slope = rng.uniform(0.05, 1.0, 4).astype(np.float32)
    dout = randn(rng, (B, 4, NQ, 32), dtype)
    ref = reference(kern._spec_path, os.path.join(tmp, dtype),
                    {"q": q, "k": k, "v": v, "doc": doc, "slope": slope, "do": dout},
                    [("--output", "o"), ("--lse", "lse"), ("--grad", "q"), ("--grad", "k"),
                     ("--grad", "v"), ("--grad", "slope")], ["--backward"])
    params = [fw.param(doc, "i32"), fw.param(slope, "f32")]
    dq_, dk_, dv_ = (DeviceArray.upload(a) for a in (q, k, v))
    o, lse = kern._forward(fw, dq_, dk_, dv_, params, True, None, "bhnd")
    check(f"emu {dtype}: o vs reference", o.download(), ref["o"], GPU_FORWARD_TOL[dtype])
    check(f"emu {dtype}: lse vs reference", lse.download(), ref["lse"], 1e-4)
    g = kern._backward(fw, dq_, dk_, dv_, o, lse, DeviceArray.upload(dout), params, "bhnd")
    for name, got in (("q", g.dq), ("k", g.dk), ("v", g.dv), ("slope", g.params["slope"])):
        tol = (PARAM_GRAD_TOL if name == "slope" else BACKWARD_TOL)[dtype]
        check(f"emu {dtype}: d{name} vs reference", got.download(), ref[name], tol)
    # [B, N, H, D] in device memory, read through strides.
    qt, kt, vt = (DeviceArray.upload(np.ascontiguousarray(a.transpose(0, 2, 1, 3)))
                  for a in (q, k, v))
    ot = kern._forward(fw, qt, kt, vt, params, False, None, "bnhd")
    expect(f"emu {dtype}: bnhd o equals bhnd o",
           np.array_equal(ot.download().transpose(0, 2, 1, 3), o.download()))
    try:
        kern._forward(_kernel._Numpy(dtype), dq_, dk_, dv_, params, False, None, "bhnd")
        expect(f"emu {dtype}: device arrays refused by the CPU path", False)
    except TypeError as e:
        expect(f"emu {dtype}: device arrays refused by the CPU path", True, str(e))
    try:
        kern._pkg.forward(q.view(np.uint16) if dtype == "bf16" else q, dk_, dv_, o, None,
                          params, None, None, None, None, True, 0)
        expect(f"emu {dtype}: host q refused by the CUDA launch", False)
    except ValueError as e:
        expect(f"emu {dtype}: host q refused by the CUDA launch", "not in CUDA device memory" in str(e),
               str(e))
print("emu checks done")
