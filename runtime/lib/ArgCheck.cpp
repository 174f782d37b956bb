//===- ArgCheck.cpp - Checking kernel arguments ---------------------------===//
//
// This file implements checkArguments. The order of the checks is the order
// of the messages a user sees: q first (it fixes B and Nq), then k (it fixes
// Nk), v, o, lse, the params and the linear family's state; within a
// tensor, rank, dtype, shape, data pointer, strides, extent, overlap and
// alignment.
//
//===----------------------------------------------------------------------===//

#include "ArgCheck.h"

#include <climits>
#include <cstdint>
#include <cstdio>
#include <utility>

using namespace attnc::rt;

namespace {

/// CUDA kernels load q, k, v and store o 16 bytes at a time.
constexpr uintptr_t kCudaVectorBytes = 16;

std::string pointerString(const void *p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

std::string dtypeString(attnc_dtype d) {
  const char *name = attnc_dtype_name(d);
  if (std::string(name) == "unknown")
    return "unknown (" + std::to_string(static_cast<int>(d)) + ")";
  return name;
}

/// Appended to a shape error when a [B, N, H, D] tensor was given.
constexpr const char *kHeadsSecondHint =
    "; it looks like [B, N, H, D] order: attnc takes [B, H, N, D] (swap "
    "dimensions 1 and 2, e.g. x.transpose(1, 2) in PyTorch; a transposed "
    "view's strides are accepted without a copy)";

Error invalid(const Expect &e, const std::string &what) {
  return makeError(ATTNC_ERROR_INVALID_ARGUMENT, e.label + ": " + what);
}

} // namespace

Error attnc::rt::checkTensor(const attnc_tensor *t, const Expect &e,
                             Target target,
                             std::vector<CudaLaunch::Pointer> *pointers) {
  if (!t)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT, e.label + " is null");
  if (t->rank != e.rank)
    return invalid(e, "expected rank " + std::to_string(e.rank) + ", got " +
                          std::to_string(t->rank));
  if (t->dtype != e.dtype)
    return invalid(e, "expected dtype " + dtypeString(e.dtype) + ", got " +
                          dtypeString(t->dtype));
  bool same = true;
  for (int i = 0; i < e.rank; ++i)
    same = same && t->shape[i] == e.shape[i];
  if (!same) {
    // [B, N, H, D] (PyTorch SDPA's and FlashAttention's order) passed as
    // [B, H, N, D] shows up as heads in dimension 2: say so.
    const bool headsSecond = e.rank == 4 && t->shape[2] == e.shape[1] &&
                             t->shape[1] != e.shape[1] &&
                             e.label.rfind("tensor '", 0) == 0;
    return invalid(e, "expected shape " + shapeString(e.shape, e.rank) +
                          ", got " + shapeString(t->shape, e.rank) +
                          (headsSecond ? kHeadsSecondHint : ""));
  }
  if (!t->data)
    return invalid(e, "data is null");

  const long long *st = t->strides;
  if (e.rank > 0 && st[e.rank - 1] != 1)
    return invalid(e, "the last stride must be 1, got " +
                          std::to_string(st[e.rank - 1]));
  for (int i = 0; i < e.rank; ++i)
    if (e.shape[i] > 1 && st[i] < 1)
      return invalid(e, "strides must be positive, got " +
                            shapeString(st, e.rank));
  if (e.contiguous) {
    long long want[4] = {1, 1, 1, 1};
    bool ok = true;
    for (int i = e.rank - 2; i >= 0; --i)
      want[i] = want[i + 1] * e.shape[i + 1];
    for (int i = 0; i < e.rank; ++i)
      ok = ok && (e.shape[i] == 1 || st[i] == want[i]);
    if (!ok)
      return invalid(e, "expected contiguous strides " +
                            shapeString(want, e.rank) + ", got " +
                            shapeString(st, e.rank));
  }

  // The furthest element must be addressable: kernels compute offsets in
  // 64-bit and would wrap silently.
  size_t elem = dtypeSize(e.dtype);
  long long last = 0;
  bool overflow = false;
  for (int i = 0; i < e.rank; ++i) {
    long long term;
    overflow |= __builtin_mul_overflow(e.shape[i] - 1, st[i], &term);
    overflow |= __builtin_add_overflow(last, term, &last);
  }
  long long bytes;
  overflow |= __builtin_add_overflow(last, 1LL, &bytes);
  overflow |=
      __builtin_mul_overflow(bytes, static_cast<long long>(elem), &bytes);
  uintptr_t base = reinterpret_cast<uintptr_t>(t->data);
  uintptr_t end;
  overflow |= __builtin_add_overflow(base, static_cast<uintptr_t>(bytes), &end);
  if (overflow)
    return invalid(e, "shape " + shapeString(e.shape, e.rank) +
                          " with strides " + shapeString(st, e.rank) +
                          " does not fit in the address space");

  if (e.output) {
    // Sorted by stride, each dimension must step over everything the
    // smaller ones span; otherwise two indices share an element and the
    // kernel's writes race.
    int order[4], n = 0;
    for (int i = 0; i < e.rank; ++i)
      if (e.shape[i] > 1)
        order[n++] = i;
    // Insertion sort: at most 4 entries (and GCC 12 warns falsely on
    // std::sort over a 4-element array at -O3).
    for (int a = 1; a < n; ++a)
      for (int b = a; b > 0 && st[order[b]] < st[order[b - 1]]; --b)
        std::swap(order[b], order[b - 1]);
    long long span = 1;
    for (int j = 0; j < n; ++j) {
      if (st[order[j]] < span)
        return invalid(e, "strides " + shapeString(st, e.rank) +
                              " make distinct elements overlap");
      if (__builtin_mul_overflow(st[order[j]], e.shape[order[j]], &span))
        span = LLONG_MAX;
    }
  }

  uintptr_t align = elem;
  if (target == Target::Cuda && e.vectorized)
    align = kCudaVectorBytes;
  if (base % align != 0) {
    if (align == elem)
      return invalid(e, "data pointer " + pointerString(t->data) +
                            " is not aligned to its " + std::to_string(elem) +
                            "-byte elements");
    return invalid(e, "data pointer " + pointerString(t->data) +
                          " is not 16-byte aligned (required for CUDA)");
  }
  if (target == Target::Cuda && e.vectorized) {
    for (int i = 0; i + 1 < e.rank; ++i) {
      if (e.shape[i] == 1)
        continue;
      long long strideBytes = st[i] * static_cast<long long>(elem);
      if (strideBytes % static_cast<long long>(kCudaVectorBytes) != 0)
        return invalid(e, "stride " + std::to_string(i) + " is " +
                              std::to_string(st[i]) + " elements (" +
                              std::to_string(strideBytes) +
                              " bytes), not a multiple of 16 bytes "
                              "(required for CUDA)");
    }
  }
  if (pointers)
    pointers->push_back({e.label, t->data});
  return success();
}

Expect attnc::rt::expect4(const char *name, attnc_dtype dtype, long long d0,
                          long long d1, long long d2, long long d3,
                          bool output) {
  Expect e;
  e.label = std::string("tensor '") + name + "'";
  e.dtype = dtype;
  e.rank = 4;
  e.shape[0] = d0;
  e.shape[1] = d1;
  e.shape[2] = d2;
  e.shape[3] = d3;
  e.contiguous = false;
  e.output = output;
  e.vectorized = true;
  return e;
}

Expect attnc::rt::lseExpect(std::initializer_list<long long> shape) {
  Expect e;
  e.label = "tensor 'lse'";
  e.dtype = ATTNC_F32;
  e.rank = static_cast<int>(shape.size());
  int i = 0;
  for (long long extent : shape)
    e.shape[i++] = extent;
  e.contiguous = true;
  e.output = true;
  e.vectorized = false;
  return e;
}

Error attnc::rt::lseNotProduced(const Manifest &m) {
  return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                   "tensor 'lse': package '" + m.name +
                       "' has no lse output (has_lse is false); pass null");
}

namespace {

/// The recurrent state: only for packages with has_state, z only with
/// normalize "sum" and then paired with S, float32 and contiguous. Checked
/// in the order state_in, state_out, z_in, z_out.
Error checkState(const Manifest &m, const attnc_linear_state &s, long long B,
                 Target target, std::vector<CudaLaunch::Pointer> *ptrs) {
  struct Slot {
    const attnc_tensor *t;
    const char *name;
    bool isZ, output;
  };
  const Slot slots[4] = {{s.state_in, "state_in", false, false},
                         {s.state_out, "state_out", false, true},
                         {s.z_in, "z_in", true, false},
                         {s.z_out, "z_out", true, true}};
  auto label = [](const Slot &slot) {
    return std::string("tensor '") + slot.name + "'";
  };
  const bool sum = m.normalize == "sum";
  for (const Slot &slot : slots) {
    if (!slot.t)
      continue;
    if (!m.hasState)
      return makeError(
          ATTNC_ERROR_INVALID_ARGUMENT,
          label(slot) + ": package '" + m.name +
              "' has no recurrent state (has_state is false: " +
              (m.family == "linear" ? "bidirectional" : "softmax family") +
              "); pass null");
    if (slot.isZ && !sum)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       label(slot) + ": package '" + m.name +
                           "' has no normalizer state (normalize is \"" +
                           m.normalize + "\"); pass null");
  }
  // With normalize sum, a state without its normalizer (or the reverse)
  // would silently restart z from zero: S and z travel together.
  if (sum)
    for (int i = 0; i < 2; ++i) {
      const Slot &state = slots[i], &z = slots[i + 2];
      if ((state.t != nullptr) != (z.t != nullptr)) {
        const Slot &given = state.t ? state : z, &missing = state.t ? z : state;
        return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                         label(missing) + " is null, but '" + given.name +
                             "' is given; package '" + m.name +
                             "' normalizes by sum, so pass the state and its "
                             "normalizer together");
      }
    }
  for (const Slot &slot : slots) {
    if (!slot.t)
      continue;
    Expect e;
    e.label = label(slot);
    e.dtype = ATTNC_F32;
    e.rank = slot.isZ ? 3 : 4;
    e.shape[0] = B;
    e.shape[1] = m.heads;
    e.shape[2] = m.featureDim;
    e.shape[3] = m.valueDim;
    e.contiguous = true;
    e.output = slot.output;
    e.vectorized = false;
    if (Error err = checkTensor(slot.t, e, target, ptrs); err.failed())
      return err;
  }
  return success();
}

} // namespace

std::string attnc::rt::shapeString(const long long *shape, int rank) {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i > 0)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

size_t attnc::rt::dtypeSize(attnc_dtype dtype) {
  switch (dtype) {
  case ATTNC_F32:
  case ATTNC_I32:
    return 4;
  case ATTNC_F16:
  case ATTNC_BF16:
    return 2;
  default:
    return 0;
  }
}

Error attnc::rt::checkRequirements(const Manifest &m, long long Nq,
                                   long long Nk) {
  for (const ManifestRequirement &r : m.requirements)
    if (evaluateRequirement(r.program, Nq, Nk) == 0)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       "the inputs violate the spec's 'require " +
                           sanitize(r.text, 256) + "' (line " +
                           std::to_string(r.line) + "): Nq = " +
                           std::to_string(Nq) + ", Nk = " +
                           std::to_string(Nk));
  return success();
}

Error attnc::rt::checkParams(const Manifest &m, const CallTensors &t,
                             long long B, long long Nk, Target target,
                             std::vector<CudaLaunch::Pointer> *ptrs) {
  const long long H = m.heads, D = m.headDim;
  Error err;
  size_t count = m.params.size();
  if (t.numParams < 0 || static_cast<size_t>(t.numParams) != count) {
    std::string names;
    for (size_t i = 0; i < count; ++i)
      names += (i ? ", '" : "'") + m.params[i].name + "'";
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "expected " + std::to_string(count) +
                         (count == 1 ? " param" : " params") +
                         (count ? " (" + names + ")" : "") + ", got " +
                         std::to_string(t.numParams));
  }
  if (count > 0 && !t.params)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "params is null, but num_params is " +
                         std::to_string(count));
  for (size_t i = 0; i < count; ++i) {
    const ManifestParam &p = m.params[i];
    Expect e;
    e.label = "param '" + p.name + "'";
    e.dtype = p.dtype;
    e.rank = static_cast<int>(p.shape.size());
    for (int d = 0; d < e.rank; ++d)
      e.shape[d] = paramDimExtent(p.shape[d], B, H, Nk, D);
    e.contiguous = true;
    e.output = false;
    e.vectorized = false;
    if ((err = checkTensor(&t.params[i], e, target, ptrs)).failed())
      return err;
  }

  return success();
}

Error attnc::rt::checkArguments(const Manifest &m, const CallTensors &t,
                                Target target, AttncKernelArgs &args,
                                std::vector<CudaLaunch::Pointer> *pointers) {
  // q fixes B and Nq, k fixes Nk; check their rank and extents first so the
  // expected shapes of the others are meaningful.
  auto leading = [](const attnc_tensor *x, const char *name, int index,
                    long long &out) -> Error {
    if (!x)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       std::string("tensor '") + name + "' is null");
    if (x->rank != 4)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       std::string("tensor '") + name +
                           "': expected rank 4, got " +
                           std::to_string(x->rank));
    for (int i = 0; i < 4; ++i)
      if (x->shape[i] < 1)
        return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                         std::string("tensor '") + name +
                             "': every dimension must be positive, got " +
                             shapeString(x->shape, 4));
    out = x->shape[index];
    return success();
  };
  long long B, Nq, Nk;
  Error err = leading(t.q, "q", 0, B);
  if (err.failed())
    return err;
  Nq = t.q->shape[2];
  err = leading(t.k, "k", 2, Nk);
  if (err.failed())
    return err;

  const long long H = m.heads, G = m.kvHeads, D = m.headDim, Dv = m.valueDim;
  std::vector<CudaLaunch::Pointer> list;
  std::vector<CudaLaunch::Pointer> *ptrs = pointers ? &list : nullptr;

  if ((err = checkTensor(t.q, expect4("q", m.dtype, B, H, Nq, D, false), target,
                         ptrs))
          .failed() ||
      (err = checkTensor(t.k, expect4("k", m.dtype, B, G, Nk, D, false), target,
                         ptrs))
          .failed() ||
      (err = checkTensor(t.v, expect4("v", m.dtype, B, G, Nk, Dv, false),
                         target, ptrs))
          .failed() ||
      (!t.noOutput &&
       (err = checkTensor(t.o, expect4("o", m.dtype, B, H, Nq, Dv, true),
                          target, ptrs))
           .failed()))
    return err;

  if (t.lse && !t.noOutput) {
    if (!m.hasLse)
      return lseNotProduced(m);
    if ((err = checkTensor(t.lse, lseExpect({B, H, Nq}), target, ptrs))
            .failed())
      return err;
  }

  if ((err = checkParams(m, t, B, Nk, target, ptrs)).failed())
    return err;
  const size_t count = m.params.size();

  attnc_linear_state state = {nullptr, nullptr, nullptr, nullptr};
  if (t.state)
    state = *t.state;
  if ((err = checkState(m, state, B, target, ptrs)).failed())
    return err;
  if ((err = checkRequirements(m, Nq, Nk)).failed())
    return err;

  AttncKernelArgs a = {};
  a.q = t.q->data;
  a.k = t.k->data;
  a.v = t.v->data;
  a.o = t.noOutput ? nullptr : t.o->data;
  a.lse = t.lse && !t.noOutput ? static_cast<float *>(t.lse->data) : nullptr;
  for (size_t i = 0; i < count; ++i)
    a.params[i] = t.params[i].data;
  a.batch = B;
  a.q_len = Nq;
  a.kv_len = Nk;
  a.state_in = state.state_in ? static_cast<const float *>(state.state_in->data)
                              : nullptr;
  a.state_out =
      state.state_out ? static_cast<float *>(state.state_out->data) : nullptr;
  a.z_in = state.z_in ? static_cast<const float *>(state.z_in->data) : nullptr;
  a.z_out = state.z_out ? static_cast<float *>(state.z_out->data) : nullptr;
  for (int i = 0; i < 4; ++i) {
    a.q_strides.s[i] = t.q->strides[i];
    a.k_strides.s[i] = t.k->strides[i];
    a.v_strides.s[i] = t.v->strides[i];
    a.o_strides.s[i] = t.noOutput ? 0 : t.o->strides[i];
  }
  args = a;
  if (pointers)
    *pointers = std::move(list);
  return success();
}

Error attnc::rt::checkBackwardArguments(const Manifest &m,
                                        const AttncKernelArgs &forward,
                                        const attnc_backward_tensors *g,
                                        int numParams, Target target,
                                        AttncBackwardArgs &out,
                                        std::vector<CudaLaunch::Pointer> *pointers) {
  if (!g)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "grads is null");
  const long long B = forward.batch, Nq = forward.q_len, Nk = forward.kv_len;
  const long long H = m.heads, G = m.kvHeads, D = m.headDim, Dv = m.valueDim;
  if (m.hasLse && !forward.lse)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "tensor 'lse': the backward of a softmax package needs "
                     "the forward's lse");
  Error err;
  if ((err = checkTensor(g->dout, expect4("dout", m.dtype, B, H, Nq, Dv, false),
                         target, pointers))
          .failed() ||
      (err = checkTensor(g->dq, expect4("dq", m.dtype, B, H, Nq, D, true),
                         target, pointers))
          .failed() ||
      (err = checkTensor(g->dk, expect4("dk", m.dtype, B, G, Nk, D, true),
                         target, pointers))
          .failed() ||
      (err = checkTensor(g->dv, expect4("dv", m.dtype, B, G, Nk, Dv, true),
                         target, pointers))
          .failed())
    return err;
  AttncBackwardArgs a = {};
  bool anyGrad = false;
  for (const ManifestParam &p : m.params)
    anyGrad |= p.grad;
  if (anyGrad && !g->param_grads)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "param_grads is null, but the package has parameter "
                     "gradients");
  for (size_t i = 0; g->param_grads && i < m.params.size() &&
                     static_cast<int>(i) < numParams;
       ++i) {
    const ManifestParam &p = m.params[i];
    const attnc_tensor &t = g->param_grads[i];
    if (!p.grad) {
      if (t.data)
        return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                         "param_grads[" + std::to_string(i) + "] ('" + p.name +
                             "'): the parameter has no gradient; pass data "
                             "null");
      continue;
    }
    Expect e;
    e.label = "param_grads[" + std::to_string(i) + "] ('" + p.name + "')";
    e.dtype = ATTNC_F32;
    e.rank = static_cast<int>(p.shape.size());
    for (int d = 0; d < e.rank; ++d)
      e.shape[d] = paramDimExtent(p.shape[d], B, H, Nk, D);
    e.contiguous = true;
    e.output = true;
    e.vectorized = false;
    if ((err = checkTensor(&t, e, target, pointers)).failed())
      return err;
    a.param_grads[i] = static_cast<float *>(t.data);
  }
  a.dout = g->dout->data;
  a.dq = g->dq->data;
  a.dk = g->dk->data;
  a.dv = g->dv->data;
  for (int i = 0; i < 4; ++i) {
    a.dout_strides.s[i] = g->dout->strides[i];
    a.dq_strides.s[i] = g->dq->strides[i];
    a.dk_strides.s[i] = g->dk->strides[i];
    a.dv_strides.s[i] = g->dv->strides[i];
  }
  out = a;
  return success();
}

Error attnc::rt::checkMergeArguments(const attnc_tensor *oParts,
                                     const attnc_tensor *lseParts, int parts,
                                     const attnc_tensor *o,
                                     const attnc_tensor *lse, Target target,
                                     long long (&shape)[4],
                                     attnc_dtype &dtype) {
  if (parts < 1 || parts > kMaxMergeParts)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "parts must be in [1, " + std::to_string(kMaxMergeParts) +
                         "], got " + std::to_string(parts));
  if (!oParts || !lseParts)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     std::string(!oParts ? "o_parts" : "lse_parts") +
                         " is null");
  if (!o)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "tensor 'o' is null");
  // The output fixes the shape and the dtype; every part must match it.
  dtype = o->dtype;
  if (dtype != ATTNC_F32 && dtype != ATTNC_F16 && dtype != ATTNC_BF16)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "tensor 'o': expected dtype f32, f16 or bf16, got " +
                         dtypeString(dtype));
  if (o->rank != 4)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "tensor 'o': expected rank 4, got " +
                         std::to_string(o->rank));
  for (int i = 0; i < 4; ++i) {
    if (o->shape[i] < 1)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       "tensor 'o': expected a positive shape, got " +
                           shapeString(o->shape, 4));
    shape[i] = o->shape[i];
  }
  auto expectO = [&](const std::string &label, bool output) {
    Expect e{label, dtype, 4, {shape[0], shape[1], shape[2], shape[3]},
             false, output, false};
    return e;
  };
  auto expectLse = [&](const std::string &label, bool output) {
    Expect e{label, ATTNC_F32, 3, {shape[0], shape[1], shape[2], 0},
             true, output, false};
    return e;
  };
  Error err;
  if ((err = checkTensor(o, expectO("tensor 'o'", true), target, nullptr))
          .failed() ||
      (err = checkTensor(lse, expectLse("tensor 'lse'", true), target,
                         nullptr))
          .failed())
    return err;
  for (int i = 0; i < parts; ++i) {
    const std::string n = std::to_string(i);
    if ((err = checkTensor(&oParts[i], expectO("o_parts[" + n + "]", false),
                           target, nullptr))
            .failed() ||
        (err = checkTensor(&lseParts[i],
                           expectLse("lse_parts[" + n + "]", false), target,
                           nullptr))
            .failed())
      return err;
  }
  return success();
}
