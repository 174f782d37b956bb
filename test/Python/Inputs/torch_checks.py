"""The attnc package on torch tensors: forward on CPU tensors of every
dtype against the reference executor; autograd (out.backward) against
Kernel.backward (the same kernels: equal bits) and against PyTorch's own
scaled_dot_product_attention and its autograd (an independent oracle);
layouts; gradients of a learned parameter; the lse gradient refused; and,
when a GPU is present, CUDA tensors against the CPU results.
Usage: torch_checks.py TMPDIR (ATTNC_BIN and ATTNC_CACHE_DIR set)."""
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from common import (BACKWARD_TOL, FORWARD_TOL, PARAM_GRAD_TOL, check, doc_ids, expect,
                    reference)

import attnc

tmp = sys.argv[1]
torch.manual_seed(18)
TORCH_DTYPE = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}

SPEC = """attention doc_alibi {
  heads 4
  kv_heads 2
  head_dim 32
  dtype f32
  param doc: i32[b, n]
  param slope: f32[h]
  mask doc[b, q] == doc[b, k] && causal
  score s - slope[h] * (q - k)
}
"""
B, NQ, NK = 2, 77, 141
rng = np.random.default_rng(5)
for dtype in ("f32", "f16", "bf16"):
    td = TORCH_DTYPE[dtype]
    kern = attnc.compile(SPEC, dtype=dtype, backward=True)
    q = torch.randn(B, 4, NQ, 32).to(td).requires_grad_()
    k = torch.randn(B, 2, NK, 32).to(td).requires_grad_()
    v = torch.randn(B, 2, NK, 32).to(td).requires_grad_()
    doc = torch.from_numpy(doc_ids(rng, B, NK))
    slope = torch.rand(4).mul(0.9).add(0.05).requires_grad_()
    o = kern(q, k, v, doc=doc, slope=slope)
    expect(f"torch {dtype}: o is a {td} tensor with a grad_fn",
           o.dtype == td and o.shape == (B, 4, NQ, 32) and o.grad_fn is not None)
    dout = torch.randn_like(o)
    (o * dout).sum().backward()
    f32 = lambda t: t.detach().float().numpy()
    ref = reference(kern._spec_path, os.path.join(tmp, dtype),
                    {"q": f32(q), "k": f32(k), "v": f32(v), "doc": doc.numpy(),
                     "slope": f32(slope), "do": f32(dout)},
                    [("--output", "o"), ("--grad", "q"), ("--grad", "k"), ("--grad", "v"),
                     ("--grad", "slope")], ["--backward"])
    check(f"torch {dtype}: o vs reference", f32(o), ref["o"], FORWARD_TOL[dtype])
    for name, t in (("q", q), ("k", k), ("v", v), ("slope", slope)):
        tol = (PARAM_GRAD_TOL if name == "slope" else BACKWARD_TOL)[dtype]
        check(f"torch {dtype}: autograd d{name} vs reference", f32(t.grad), ref[name], tol)
    with torch.no_grad():
        o2, lse = kern(q, k, v, lse=True, doc=doc, slope=slope)
    g = kern.backward(q, k, v, o2, dout, lse=lse, doc=doc, slope=slope)
    expect(f"torch {dtype}: autograd equals Kernel.backward",
           torch.equal(o2, o.detach()) and torch.equal(g.dq, q.grad) and torch.equal(g.dk, k.grad)
           and torch.equal(g.dv, v.grad) and torch.equal(g.params["slope"], slope.grad))

    # [B, N, H, D] views (no copies) and out.sum().backward(), whose
    # gradient has zero strides.
    qt, kt, vt = (t.detach().transpose(1, 2).contiguous().requires_grad_() for t in (q, k, v))
    ot = kern(qt, kt, vt, layout="bnhd", doc=doc, slope=slope.detach())
    (ot * dout.transpose(1, 2)).sum().backward()
    expect(f"torch {dtype}: bnhd forward and gradients equal bhnd",
           torch.equal(ot.transpose(1, 2), o.detach()) and torch.equal(qt.grad.transpose(1, 2), q.grad)
           and torch.equal(kt.grad.transpose(1, 2), k.grad) and torch.equal(vt.grad.transpose(1, 2), v.grad))

kern = attnc.compile(SPEC, dtype="f32", backward=True)
q = torch.randn(1, 4, 40, 32, requires_grad=True)
k = torch.randn(1, 2, 40, 32, requires_grad=True)
doc = torch.zeros(1, 40, dtype=torch.int32)
kern(q, k, k, doc=doc, slope=torch.full((4,), 0.1)).sum().backward()
expect("out.sum().backward() (zero-stride gradient)", q.grad is not None and torch.isfinite(q.grad).all()
       and k.grad.abs().sum() > 0)
o, lse = kern(q, k, k, lse=True, doc=doc, slope=torch.full((4,), 0.1))
try:
    (o.sum() + lse.sum()).backward()
    expect("the gradient through lse is refused", False)
except NotImplementedError as e:
    expect("the gradient through lse is refused", "lse" in str(e), str(e))

# An independent oracle: PyTorch's scaled_dot_product_attention, causal,
# f32, Nq = Nk not a multiple of the tile, and its autograd.
causal = attnc.compile("attention c {\n  heads 4\n  head_dim 32\n  dtype f32\n  mask causal\n}\n",
                       backward=True)
N = 83
q, k, v = (torch.randn(2, 4, N, 32, requires_grad=True) for _ in range(3))
o = causal(q, k, v)
dout = torch.randn_like(o)
(o * dout).sum().backward()
grads = [t.grad.clone() for t in (q, k, v)]
for t in (q, k, v):
    t.grad = None
ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
(ref * dout).sum().backward()
check("causal vs F.scaled_dot_product_attention: o", o.detach().numpy(), ref.detach().numpy(), 2e-5)
for name, got, t in zip("qkv", grads, (q, k, v)):
    check(f"causal vs SDPA autograd: d{name}", got.numpy(), t.grad.numpy(), 2e-5)

# FlexAttention (eager, CPU; it has no CPU backward) on a mask both can
# state: documents and causal, f32, Nq = Nk = 83.
from torch.nn.attention.flex_attention import create_block_mask, flex_attention

docs = torch.from_numpy(doc_ids(rng, 2, 83, mean=20))
doc_causal = attnc.compile("attention dc {\n  heads 4\n  head_dim 32\n  dtype f32\n"
                           "  param doc: i32[b, n]\n  mask doc[b, q] == doc[b, k] && causal\n}\n")
q, k, v = (torch.randn(2, 4, 83, 32) for _ in range(3))
block_mask = create_block_mask(
    lambda b, h, i, j: (docs[b, i] == docs[b, j]) & (j <= i), 2, None, 83, 83, device="cpu")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # flex_attention's "not compiled" warning
    ref = flex_attention(q, k, v, block_mask=block_mask)
check("documents + causal vs flex_attention: o", doc_causal(q, k, v, doc=docs).numpy(),
      ref.numpy(), 2e-5)

# torch.autograd.gradcheck: the kernels store at most f32, so not in
# double: central differences with eps 1e-2 in f32 (rounding error about
# 1e-7 / eps), atol = rtol = 5e-3, on a tiny case (2 heads, head_dim 8,
# N 7) with a learned ALiBi slope, so the Jacobian takes a second.
tiny = attnc.compile("attention tiny {\n  heads 2\n  head_dim 8\n  dtype f32\n"
                     "  param slope: f32[h]\n  mask causal\n  score s - slope[h] * (q - k)\n}\n",
                     backward=True)
inputs = [torch.randn(1, 2, 7, 8, requires_grad=True) for _ in range(3)]
inputs.append(torch.tensor([0.3, 0.7], requires_grad=True))
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # gradcheck's "not double precision" warning
    passed = torch.autograd.gradcheck(lambda a, b, c, s: tiny(a, b, c, slope=s), inputs,
                                      eps=1e-2, atol=5e-3, rtol=5e-3)
expect("torch.autograd.gradcheck (f32, eps 1e-2, tolerance 5e-3)", passed)

# torch.compile(fullgraph=True) of a small attention block in the [B, N,
# H, D] layout (projections, the kernel's custom op, an output projection,
# a learned slope): the traced forward and backward (AOTAutograd, through
# the ops' fake implementations and registered autograd) give the eager
# results. backend="aot_eager" keeps Inductor's C++ compiles out of the
# test's time; the graph is the same.
kern = attnc.compile(SPEC, dtype="f32", backward=True)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.q = torch.nn.Linear(64, 4 * 32)
        self.kv = torch.nn.Linear(64, 2 * 2 * 32)
        self.out = torch.nn.Linear(4 * 32, 64)
        self.slope = torch.nn.Parameter(torch.linspace(0.1, 0.8, 4))

    def forward(self, x, doc):
        B, N, _ = x.shape
        q = self.q(x).view(B, N, 4, 32)
        k, v = self.kv(x).view(B, N, 2, 2, 32).unbind(2)
        o = kern(q, k, v, layout="bnhd", doc=doc, slope=self.slope)
        return self.out(o.reshape(B, N, 4 * 32))


block = Block()
x = torch.randn(2, 70, 64)
doc = torch.from_numpy(doc_ids(rng, 2, 70))
eager = block(x, doc)
eager.square().mean().backward()
want = {n: p.grad.clone() for n, p in block.named_parameters()}
block.zero_grad()
torch._dynamo.reset()
compiled = torch.compile(block, fullgraph=True, backend="aot_eager")
got = compiled(x, doc)
got.square().mean().backward()
check("torch.compile(fullgraph=True): output", got.detach().numpy(), eager.detach().numpy(), 1e-6)
for n, p in block.named_parameters():
    check(f"torch.compile(fullgraph=True): grad {n}", p.grad.numpy(), want[n].numpy(), 1e-6)
opt = torch.optim.SGD(block.parameters(), lr=0.1)
loss0 = compiled(x, doc).square().mean()
for step in range(3):
    opt.zero_grad()
    loss = compiled(x, doc).square().mean()
    loss.backward()
    opt.step()
expect("three SGD steps through the compiled block lower the loss",
       compiled(x, doc).square().mean().item() < loss0.item())

# The CUDA path, where there is a device: the same calls on CUDA tensors
# against the CPU results (GPU tolerances of docs/testing.md).
if torch.cuda.is_available():
    for dtype, tol in (("f32", 1e-4), ("bf16", 1e-2)):
        td = TORCH_DTYPE[dtype]
        kern = attnc.compile(SPEC, dtype=dtype, backward=True)
        q = torch.randn(B, 4, NQ, 32).to(td)
        k = torch.randn(B, 2, NK, 32).to(td)
        v = torch.randn(B, 2, NK, 32).to(td)
        doc = torch.from_numpy(doc_ids(rng, B, NK))
        slope = torch.rand(4) * 0.9 + 0.05
        o, lse = kern(q, k, v, lse=True, doc=doc, slope=slope)
        dev = [t.cuda().requires_grad_() if t.is_floating_point() else t.cuda()
               for t in (q, k, v, doc, slope)]
        oc = kern(*dev[:3], doc=dev[3], slope=dev[4])
        dout = torch.randn_like(o)
        (oc * dout.cuda()).sum().backward()
        g = kern.backward(q, k, v, o, dout, lse=lse, doc=doc, slope=slope)
        check(f"cuda {dtype}: o vs CPU", oc.detach().float().cpu().numpy(), o.float().numpy(), tol)
        for name, got, want in (("q", dev[0].grad, g.dq), ("k", dev[1].grad, g.dk),
                                ("v", dev[2].grad, g.dv), ("slope", dev[4].grad, g.params["slope"])):
            check(f"cuda {dtype}: d{name} vs CPU", got.float().cpu().numpy(), want.float().numpy(),
                  tol)
else:
    print("cuda: no device, not run")
print("torch checks done")
