"""attnc kernels as PyTorch operators: per kernel (and layout) a
torch.library custom op for the forward and one for the backward, each
with a fake implementation (shapes only) so that torch.compile traces a
model calling them without graph breaks, and autograd registered on the
forward with the package's backward kernels (attnc_run_cpu_backward on CPU
tensors, attnc_launch_cuda_backward on CUDA tensors): dq, dk, dv and the
gradients of the f32 parameters. Imported only when torch is in use.
"""
import hashlib

import torch

from ._kernel import _Torch

_OPS = {}


def _ops(kernel, layout):
    """(forward op, backward op) of `kernel` in `layout`, registered once.

    forward:  attnc::NAME_KEY_LAYOUT(Tensor q, Tensor k, Tensor v, Tensor[] params)
                  -> (Tensor o, Tensor lse)
    backward: attnc::NAME_KEY_LAYOUT_backward(Tensor q, Tensor k, Tensor v,
                  Tensor o, Tensor lse, Tensor dout, Tensor[] params)
                  -> (Tensor dq, Tensor dk, Tensor dv, Tensor[] param_grads)
    lse is empty when the kernel has none; param_grads holds the gradients
    of the parameters the backward writes, in manifest order."""
    key = (kernel.package_dir, layout)
    if key in _OPS:
        return _OPS[key]
    if torch.compiler.is_compiling():
        raise RuntimeError(
            f"kernel '{kernel.name}' has no PyTorch operator yet and torch.compile cannot "
            "register one while tracing: import torch before attnc.compile/attnc.load, "
            "or call the kernel once outside torch.compile")
    tag = hashlib.sha256(kernel.package_dir.encode()).hexdigest()[:12]
    base = f"attnc::{kernel.name}_{tag}_{layout}"
    grad_params = [i for i, p in enumerate(kernel.params) if p.grad]
    H, Dv = kernel.heads, kernel.value_dim

    def o_shape(q):
        B, Nq = q.shape[0], (q.shape[2] if layout == "bhnd" else q.shape[1])
        return (B, Nq, H, Dv) if layout == "bnhd" else (B, H, Nq, Dv), (B, H, Nq)

    def forward(q, k, v, params):
        fw = _Torch(kernel.dtype, q.device)
        if kernel.has_lse:
            return kernel._forward(fw, q, k, v, list(params), True, None, layout)
        o = kernel._forward(fw, q, k, v, list(params), False, None, layout)
        return o, q.new_empty((0,), dtype=torch.float32)

    fwd = torch.library.custom_op(
        base, forward, mutates_args=(),
        schema="(Tensor q, Tensor k, Tensor v, Tensor[] params) -> (Tensor, Tensor)")

    @fwd.register_fake
    def _(q, k, v, params):
        oshape, lshape = o_shape(q)
        lse = q.new_empty(lshape if kernel.has_lse else (0,), dtype=torch.float32)
        return q.new_empty(oshape), lse

    def backward_impl(q, k, v, o, lse, dout, params):
        fw = _Torch(kernel.dtype, q.device)
        g = kernel._backward(fw, q, k, v, o, lse if kernel.has_lse else None, dout,
                             list(params), layout)
        return g.dq, g.dk, g.dv, [g.params[kernel.params[i].name] for i in grad_params]

    bwd = torch.library.custom_op(
        base + "_backward", backward_impl, mutates_args=(),
        schema="(Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor dout, "
               "Tensor[] params) -> (Tensor, Tensor, Tensor, Tensor[])")

    @bwd.register_fake
    def _(q, k, v, o, lse, dout, params):
        grads = [params[i].new_empty(params[i].shape, dtype=torch.float32) for i in grad_params]
        return q.new_empty(q.shape), k.new_empty(k.shape), v.new_empty(v.shape), grads

    def setup_context(ctx, inputs, output):
        q, k, v, params = inputs
        o, lse = output
        ctx.save_for_backward(q, k, v, o, lse, *params)
        ctx.set_materialize_grads(False)

    def backward(ctx, do, dlse):
        if dlse is not None and kernel.has_lse:
            raise NotImplementedError(
                f"kernel '{kernel.name}': the backward through lse is not supported "
                "(only o's gradient reaches the backward kernel)")
        q, k, v, o, lse, *params = ctx.saved_tensors
        if do is None:
            return None, None, None, [None] * len(params)
        has = kernel.has_cuda_backward if q.is_cuda else kernel.has_cpu_backward
        if not has:
            kernel._backward(_Torch(kernel.dtype, q.device), q, k, v, o, None, do,
                             list(params), layout)  # raises, naming what is missing
        dq, dk, dv, grads = bwd(q, k, v, o, lse, do, list(params))
        pgrads = [None] * len(params)
        for i, g in zip(grad_params, grads):
            pgrads[i] = g
        return dq, dk, dv, pgrads

    fwd.register_autograd(backward, setup_context=setup_context)
    _OPS[key] = (fwd, bwd)
    return _OPS[key]


def register(kernel):
    """Registers the kernel's operators for both layouts (Kernel.__init__
    does it when torch is already imported)."""
    for layout in ("bhnd", "bnhd"):
        _ops(kernel, layout)


def apply(kernel, layout, q, k, v, values):
    """(o, lse) through the kernel's custom op; lse is empty when the
    kernel has none."""
    fwd, _ = _ops(kernel, layout)
    return fwd(q, k, v, list(values))
