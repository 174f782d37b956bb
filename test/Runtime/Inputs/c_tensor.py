"""attnc_tensor (runtime/include/attnc/runtime.h) for the ctypes-based
runtime tests in this folder (and bench/backward_block_mask_cpu.py): the
struct, the dtype codes, a view of a numpy array (strides in elements; an
empty array has no data pointer) and attnc_backward_tensors."""
import ctypes

F32, F16, BF16, I32 = 0, 1, 2, 3


class Tensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int), ("shape", ctypes.c_longlong * 4),
                ("strides", ctypes.c_longlong * 4)]


def tensor(array, dtype):
    t = Tensor()
    t.data = array.ctypes.data if array.size else None
    t.dtype = dtype
    t.rank = array.ndim
    for i in range(array.ndim):
        t.shape[i] = array.shape[i]
        t.strides[i] = array.strides[i] // array.itemsize
    return t


class BackwardTensors(ctypes.Structure):
    """attnc_backward_tensors: dO in; dq, dk, dv and the parameters'
    gradients (one tensor per parameter, or null) out."""
    _fields_ = [(name, ctypes.POINTER(Tensor))
                for name in ("dout", "dq", "dk", "dv", "param_grads")]
