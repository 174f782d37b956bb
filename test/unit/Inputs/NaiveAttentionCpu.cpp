//===- NaiveAttentionCpu.cpp - A CPU kernel package fixture ---------------===//
//
// This file implements the CPU entry point of the fixture package that
// RuntimeTest.cpp assembles: float32 softmax attention with GQA, scale
// 1/sqrt(D), a causal mask with queries aligned to the end of the keys
// (docs/language.md §7), and one i32 [b, n] param "doc" that further limits
// a query to keys of its own document. It obeys attnc/kernel_abi.h the way a
// generated kernel does (strides honoured, lse optional) but is written
// plainly, for clarity rather than speed. A negative doc id on the first key
// makes it return 7, so tests can see a kernel failure.
//
// A second entry point, attnc_naive_state_cpu, stands in for a causal
// linear-family kernel's recurrent state (kernel ABI 2): it writes
// state_out = state_in (or 0) + Nk and z_out = z_in (or 0) + 1, reading an
// element before writing it so that state_out may alias state_in, and sets o
// to 0. Tests see from it which pointers the runtime passed.
//
// attnc_naive_cpu_block_mask and attnc_naive_block_mask_probe_cpu stand in
// for a block-mask builder and a kernel that reads the mask (kernel ABI 3; ABI 4 added the CUDA scratch pointers, ABI 5 the backward struct).
//
// Each entry has its signature (docs/runtime.md, "Kernel signatures") as a
// placeholder: RuntimeTest's writePackage stamps the signature of the
// manifest it writes into the copy of this library, as the compiler writes
// it into every kernel, so that a test can then edit the manifest alone.
//
//===----------------------------------------------------------------------===//

#include "attnc/kernel_abi.h"

#include <cmath>
#include <vector>

namespace {

constexpr long long kHeads = 4, kKvHeads = 2, kHeadDim = 16, kValueDim = 8;

long long offset(const AttncStrides4 &s, long long b, long long h, long long i,
                 long long c) {
  return b * s.s[0] + h * s.s[1] + i * s.s[2] + c * s.s[3];
}

} // namespace

// The placeholders' text is found and replaced in the library file; 512
// bytes hold any signature of the test manifests.
#define ATTNC_FIXTURE_SIGNATURE(entry)                                         \
  extern "C" __attribute__((visibility("default"))) const char                 \
      entry##_signature[512] = "@@attnc-fixture-signature:" #entry "@@";
ATTNC_FIXTURE_SIGNATURE(attnc_naive_cpu)
ATTNC_FIXTURE_SIGNATURE(attnc_naive_state_cpu)
ATTNC_FIXTURE_SIGNATURE(attnc_naive_block_mask_probe_cpu)

// Keeps the link to libattnc_test_dep (DependencyOfKernel.cpp), whose
// symbols the runtime must not resolve through this library.
extern "C" int attnc_dep_marker();
extern "C" __attribute__((visibility("default"))) int attnc_naive_dep_marker() {
  return attnc_dep_marker();
}

extern "C" __attribute__((visibility("default"))) int
attnc_naive_cpu(const AttncKernelArgs *args) {
  const float *q = static_cast<const float *>(args->q);
  const float *k = static_cast<const float *>(args->k);
  const float *v = static_cast<const float *>(args->v);
  float *o = static_cast<float *>(args->o);
  const int *doc = static_cast<const int *>(args->params[0]);
  const long long B = args->batch, Nq = args->q_len, Nk = args->kv_len;
  if (doc[0] < 0)
    return 7;
  const float scale = 1.0f / std::sqrt(static_cast<float>(kHeadDim));
  std::vector<float> scores(Nk);
  for (long long b = 0; b < B; ++b) {
    for (long long h = 0; h < kHeads; ++h) {
      long long g = h / (kHeads / kKvHeads);
      for (long long i = 0; i < Nq; ++i) {
        long long pos = i + Nk - Nq;
        float m = -INFINITY;
        for (long long j = 0; j < Nk; ++j) {
          bool visible =
              j <= pos && pos >= 0 && doc[b * Nk + j] == doc[b * Nk + pos];
          if (!visible) {
            scores[j] = -INFINITY;
            continue;
          }
          float s = 0;
          for (long long c = 0; c < kHeadDim; ++c)
            s += q[offset(args->q_strides, b, h, i, c)] *
                 k[offset(args->k_strides, b, g, j, c)];
          scores[j] = s * scale;
          m = std::fmax(m, scores[j]);
        }
        float sum = 0;
        for (long long j = 0; j < Nk; ++j)
          if (scores[j] != -INFINITY)
            sum += std::exp(scores[j] - m);
        for (long long c = 0; c < kValueDim; ++c) {
          float acc = 0;
          for (long long j = 0; j < Nk; ++j)
            if (scores[j] != -INFINITY)
              acc += std::exp(scores[j] - m) *
                     v[offset(args->v_strides, b, g, j, c)];
          o[offset(args->o_strides, b, h, i, c)] = sum > 0 ? acc / sum : 0.0f;
        }
        if (args->lse)
          args->lse[(b * kHeads + h) * Nq + i] =
              sum > 0 ? m + std::log(sum) : -INFINITY;
      }
    }
  }
  return 0;
}

extern "C" __attribute__((visibility("default"))) int
attnc_naive_state_cpu(const AttncKernelArgs *args) {
  constexpr long long kFeatureDim = 6;
  const long long B = args->batch, Nq = args->q_len, Nk = args->kv_len;
  float *o = static_cast<float *>(args->o);
  for (long long b = 0; b < B; ++b)
    for (long long h = 0; h < kHeads; ++h)
      for (long long i = 0; i < Nq; ++i)
        for (long long c = 0; c < kValueDim; ++c)
          o[offset(args->o_strides, b, h, i, c)] = 0.0f;
  const long long stateSize = B * kHeads * kFeatureDim * kValueDim;
  if (args->state_out)
    for (long long i = 0; i < stateSize; ++i)
      args->state_out[i] =
          (args->state_in ? args->state_in[i] : 0.0f) + static_cast<float>(Nk);
  if (args->z_out)
    for (long long i = 0; i < B * kHeads * kFeatureDim; ++i)
      args->z_out[i] = (args->z_in ? args->z_in[i] : 0.0f) + 1.0f;
  return 0;
}

// A block-mask builder (docs/runtime.md, "Runtime block masks") with a
// pattern the tests recompute: with 16 x 16 tiles, row r visits the k-blocks
// kb with (kb + r) even, full when kb is a multiple of 3; the static plan
// "visits" every k-block. Returns 7 for heads other than 1 and 4.
extern "C" __attribute__((visibility("default"))) int
attnc_naive_cpu_block_mask(const AttncKernelArgs *args, int heads, int *counts,
                           int *col, unsigned char *full,
                           long long *static_tiles) {
  if (heads != 1 && heads != kHeads)
    return 7;
  const long long qBlocks = (args->q_len + 15) / 16;
  const long long kBlocks = (args->kv_len + 15) / 16;
  const long long rows = args->batch * heads * qBlocks;
  for (long long r = 0; r < rows; ++r) {
    int n = 0;
    for (long long kb = 0; kb < kBlocks; ++kb)
      if ((kb + r) % 2 == 0) {
        col[r * kBlocks + n] = static_cast<int>(kb);
        full[r * kBlocks + n++] = kb % 3 == 0;
      }
    counts[r] = n;
  }
  if (static_tiles)
    *static_tiles = rows * kBlocks;
  return 0;
}

// Reports the block mask it was given in o[0, 0, 0, 0..3]: nnz, the sum of
// the k-block indices, the number of full entries and heads; o[0] = -1
// without a block mask.
extern "C" __attribute__((visibility("default"))) int
attnc_naive_block_mask_probe_cpu(const AttncKernelArgs *args) {
  float *o = static_cast<float *>(args->o);
  const AttncBlockMask *m = args->block_mask;
  float out[4] = {-1, 0, 0, 0};
  if (m) {
    const long long rows = args->batch * m->heads * ((args->q_len + 15) / 16);
    const int nnz = m->row_ptr[rows];
    out[0] = static_cast<float>(nnz);
    for (int i = 0; i < nnz; ++i) {
      out[1] += static_cast<float>(m->col[i]);
      out[2] += m->full[i] ? 1.0f : 0.0f;
    }
    out[3] = static_cast<float>(m->heads);
  }
  for (long long c = 0; c < 4; ++c)
    o[offset(args->o_strides, 0, 0, 0, c)] = out[c];
  return 0;
}
