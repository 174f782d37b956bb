"""Training steps of a small causal language model whose attention is an
attnc kernel: sliding window + attention sinks (StreamingLLM, "Efficient
Streaming Language Models with Attention Sinks", Xiao et al. 2023,
arXiv:2309.17453), compiled with its backward kernels and called on torch
tensors in the [B, N, H, D] layout. The model is also run through
torch.compile(fullgraph=True). Gated DeltaNet (examples/gated_deltanet.attn)
runs here only in inference: the linear family has no backward kernel yet.

    python examples/python/train_step.py [STEPS]
"""
import os
import sys

import torch

import attnc

here = os.path.dirname(os.path.abspath(__file__))
SPEC = """attention window_sinks {
  heads 4
  head_dim 16
  dtype f32
  mask causal && (k < 4 || q - k < 32)
}
"""
attention = attnc.compile(SPEC, backward=True)


class Block(torch.nn.Module):
    def __init__(self, width=64, heads=4, head_dim=16):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        self.norm1 = torch.nn.LayerNorm(width)
        self.qkv = torch.nn.Linear(width, 3 * heads * head_dim)
        self.proj = torch.nn.Linear(heads * head_dim, width)
        self.norm2 = torch.nn.LayerNorm(width)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(width, 4 * width), torch.nn.GELU(),
                                       torch.nn.Linear(4 * width, width))

    def forward(self, x):
        B, N, _ = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, N, 3, self.heads, self.head_dim).unbind(2)
        o = attention(q, k, v, layout="bnhd")
        x = x + self.proj(o.reshape(B, N, -1))
        return x + self.mlp(self.norm2(x))


class Model(torch.nn.Module):
    def __init__(self, vocab=97, width=64):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, width)
        self.blocks = torch.nn.Sequential(Block(width), Block(width))
        self.head = torch.nn.Linear(width, vocab)

    def forward(self, tokens):
        return self.head(self.blocks(self.embed(tokens)))


def main(steps):
    torch.manual_seed(0)
    model = Model()
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    # A task a window can learn: the next token is the previous one plus 1.
    start = torch.randint(0, 97, (8, 1))
    tokens = (start + torch.arange(150)) % 97
    for step in range(steps):
        logits = compiled(tokens[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 97), tokens[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step == 0:
            first = loss.item()
        print(f"step {step}: loss {loss.item():.3f}")
    print(f"loss {first:.3f} -> {loss.item():.3f}")

    gdn = attnc.compile(os.path.join(here, "..", "gated_deltanet.attn"))
    with torch.no_grad():
        B, N = 2, 100
        q, k, v = (torch.randn(B, gdn.heads, N, gdn.head_dim) for _ in range(3))
        beta, g = torch.rand(B, gdn.heads, N), 0.1 * torch.rand(B, gdn.heads, N)
        o, state = gdn(q, k, v, state=True, beta=beta, g=g)   # prefill: o and the final state
        o2, state = gdn(q[:, :, :1], k[:, :, :1], v[:, :, :1], state=state,
                        beta=beta[:, :, :1], g=g[:, :, :1])    # one decode step from it
    print(f"gated deltanet (inference only): o {tuple(o.shape)}, state {tuple(state.shape)}")
    return first, loss.item()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
