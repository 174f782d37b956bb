"""Autograd for attnc kernels on torch tensors: a torch.autograd.Function
whose forward runs the kernel (keeping o and lse) and whose backward runs
the package's backward kernel (attnc_run_cpu_backward on CPU tensors,
attnc_launch_cuda_backward on CUDA tensors) for dq, dk, dv and the
gradients of the f32 parameters. Imported only when torch is in use.
"""
import torch

from ._kernel import _Torch


class _AttncFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, kernel, layout, q, k, v, *values):
        fw = _Torch(kernel.dtype, q.device)
        if kernel.has_lse:
            o, lse = kernel._forward(fw, q, k, v, list(values), True, None, layout)
        else:
            o = kernel._forward(fw, q, k, v, list(values), False, None, layout)
            lse = torch.empty(0, dtype=torch.float32, device=q.device)
        ctx.kernel, ctx.layout = kernel, layout
        ctx.save_for_backward(q, k, v, o, lse, *values)
        ctx.set_materialize_grads(False)
        if not kernel.has_lse:
            ctx.mark_non_differentiable(lse)
        return o, lse

    @staticmethod
    def backward(ctx, do, dlse):
        kernel = ctx.kernel
        n = len(kernel.params)
        if dlse is not None and kernel.has_lse:
            raise NotImplementedError(
                f"kernel '{kernel.name}': the backward through lse is not supported "
                "(only o's gradient reaches the backward kernel)")
        if do is None:
            return (None,) * (5 + n)
        q, k, v, o, lse, *values = ctx.saved_tensors
        fw = _Torch(kernel.dtype, q.device)
        g = kernel._backward(fw, q, k, v, o, lse if kernel.has_lse else None, do,
                             list(values), ctx.layout)
        pgrads = []
        for i, p in enumerate(kernel.params):
            want = ctx.needs_input_grad[5 + i]
            pgrads.append(g.params.get(p.name) if want else None)
        return (None, None, g.dq, g.dk, g.dv, *pgrads)


def apply(kernel, layout, q, k, v, values):
    """(o, lse): lse is the forward's log-sum-exp, or an empty tensor when
    the kernel has none."""
    return _AttncFunction.apply(kernel, layout, q, k, v, *values)
