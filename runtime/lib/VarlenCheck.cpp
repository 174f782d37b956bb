//===- VarlenCheck.cpp - Checking a packed variable-length call -----------===//
//
// This file implements checkVarlenArguments: the checks of a ragged call
// (docs/runtime.md §3e) in the order a user reads the messages: the two
// cu_seqlens tensors and their values, then q, k, v, o, lse and the params
// at the padded lengths. Nothing a kernel reads is left unchecked: every
// sequence's rows lie inside the packed tensors because the offsets start
// at 0, never decrease and end at the tensors' token counts.
//
//===----------------------------------------------------------------------===//

#include "ArgCheck.h"

#include <algorithm>

using namespace attnc::rt;

namespace {

Error invalidArgument(const std::string &message) {
  return makeError(ATTNC_ERROR_INVALID_ARGUMENT, message);
}

/// One cu_seqlens tensor: int32, rank 1, contiguous, host memory, B + 1
/// entries (the first one fixes B), 0 first, non-decreasing.
} // namespace

Error attnc::rt::checkSeqOffsets(const attnc_tensor *t, const char *name,
                                 long long entries, long long &total,
                                 long long &longest, const char *batchFrom) {
  const std::string label = std::string("tensor '") + name + "'";
  if (!t)
    return invalidArgument(label + " is null");
  if (t->rank != 1)
    return invalidArgument(label + ": expected rank 1, got " +
                           std::to_string(t->rank));
  if (t->dtype != ATTNC_I32)
    return invalidArgument(label + ": expected dtype i32, got " +
                           std::string(attnc_dtype_name(t->dtype)));
  if (entries < 0 && t->shape[0] < 2)
    return invalidArgument(label + ": expected at least 2 entries (B + 1 " +
                           "for B >= 1 sequences), got " +
                           std::to_string(t->shape[0]));
  if (entries >= 0 && t->shape[0] != entries)
    return invalidArgument(label + ": expected shape [" +
                           std::to_string(entries) +
                           "] (B + 1, B from " + batchFrom + "), got [" +
                           std::to_string(t->shape[0]) + "]");
  if (!t->data)
    return invalidArgument(label + ": data is null");
  if (t->strides[0] != 1)
    return invalidArgument(label + ": expected contiguous strides [1], got [" +
                           std::to_string(t->strides[0]) + "]");
  const int *cu = static_cast<const int *>(t->data);
  const long long n = t->shape[0];
  if (cu[0] != 0)
    return invalidArgument(label + ": expected " + name +
                           "[0] = 0, got " + std::to_string(cu[0]));
  longest = 0;
  for (long long i = 1; i < n; ++i) {
    if (cu[i] < cu[i - 1])
      return invalidArgument(
          label + ": offsets must not decrease, got " + std::to_string(cu[i]) +
          " at index " + std::to_string(i) + " after " +
          std::to_string(cu[i - 1]) + " (sequence " + std::to_string(i - 1) +
          " would have length " + std::to_string(cu[i] - cu[i - 1]) + ")");
    longest = std::max<long long>(longest, cu[i] - cu[i - 1]);
  }
  total = cu[n - 1];
  return success();
}

/// A packed [tokens, heads, dim] tensor (or lse's [H, total_q]); a tensor
/// of no tokens is checked for rank, dtype and shape only (its data is
/// never read).
Error attnc::rt::checkPackedTensor(const attnc_tensor *t, Expect e,
                                   Target target, const std::string &because,
                                   std::vector<CudaLaunch::Pointer> *ptrs) {
  if (t && t->rank == e.rank && t->dtype == e.dtype) {
    bool same = true;
    for (int i = 0; i < e.rank; ++i)
      same = same && t->shape[i] == e.shape[i];
    if (!same)
      return invalidArgument(e.label + ": expected shape " +
                             shapeString(e.shape, e.rank) + " (" + because +
                             "), got " + shapeString(t->shape, e.rank));
    bool empty = false;
    for (int i = 0; i < e.rank; ++i)
      empty = empty || e.shape[i] == 0;
    if (empty)
      return success();
  }
  return checkTensor(t, e, target, ptrs);
}

Expect attnc::rt::packedExpect(const char *name, attnc_dtype dtype,
                               long long tokens, long long heads,
                               long long dim, bool output) {
  Expect e;
  e.label = std::string("tensor '") + name + "'";
  e.dtype = dtype;
  e.rank = 3;
  e.shape[0] = tokens;
  e.shape[1] = heads;
  e.shape[2] = dim;
  e.shape[3] = 0;
  e.contiguous = false;
  e.output = output;
  e.vectorized = true;
  return e;
}

AttncStrides4 attnc::rt::packedStrides(const attnc_tensor *t) {
  AttncStrides4 st;
  st.s[0] = 0;
  st.s[1] = t->strides[1];
  st.s[2] = t->strides[0];
  st.s[3] = 1;
  return st;
}

Error attnc::rt::checkVarlenArguments(const Manifest &m, const CallTensors &t,
                                      Target target, AttncKernelArgs &args,
                                      long long &totalQ,
                                      std::vector<CudaLaunch::Pointer> *pointers) {
  const attnc_varlen &vl = *t.varlen;
  long long totalK = 0, longestQ = 0, longestK = 0;
  Error err;
  if ((err = checkSeqOffsets(vl.cu_seqlens_q, "cu_seqlens_q", -1, totalQ,
                          longestQ))
          .failed())
    return err;
  const long long entries = vl.cu_seqlens_q->shape[0], B = entries - 1;
  if ((err = checkSeqOffsets(vl.cu_seqlens_k, "cu_seqlens_k", entries, totalK,
                          longestK))
          .failed())
    return err;
  if (t.state && (t.state->state_in || t.state->state_out ||
                  t.state->z_in || t.state->z_out))
    return invalidArgument("a ragged call takes no recurrent state (softmax "
                           "family only)");

  const long long H = m.heads, G = m.kvHeads, D = m.headDim, Dv = m.valueDim;
  const std::string qTokens =
      "cu_seqlens_q[" + std::to_string(B) + "] = " + std::to_string(totalQ);
  const std::string kTokens =
      "cu_seqlens_k[" + std::to_string(B) + "] = " + std::to_string(totalK);
  std::vector<CudaLaunch::Pointer> list;
  std::vector<CudaLaunch::Pointer> *ptrs = pointers ? &list : nullptr;
  if ((err = checkPackedTensor(t.q, packedExpect("q", m.dtype, totalQ, H, D, false),
                         target, qTokens, ptrs))
          .failed() ||
      (err = checkPackedTensor(t.k, packedExpect("k", m.dtype, totalK, G, D, false),
                         target, kTokens, ptrs))
          .failed() ||
      (err = checkPackedTensor(t.v, packedExpect("v", m.dtype, totalK, G, Dv, false),
                         target, kTokens, ptrs))
          .failed() ||
      (err = checkPackedTensor(t.o, packedExpect("o", m.dtype, totalQ, H, Dv, true),
                         target, qTokens, ptrs))
          .failed())
    return err;
  if (t.lse) {
    if (!m.hasLse)
      return lseNotProduced(m);
    if ((err = checkPackedTensor(t.lse, lseExpect({H, totalQ}), target,
                                 "[H, total_q], " + qTokens, ptrs))
            .failed())
      return err;
  }
  // The padded dense equivalent: the longest sequences, at least 1 (a dense
  // call's lengths are positive). The params are shaped by it.
  const long long Nq = std::max(1LL, longestQ), Nk = std::max(1LL, longestK);
  if ((err = checkParams(m, t, B, Nk, target, ptrs)).failed())
    return err;
  // The spec's `require` conditions hold for every sequence's own lengths
  // (what a dense call on it alone would check).
  {
    const int *cq = static_cast<const int *>(vl.cu_seqlens_q->data);
    const int *ck = static_cast<const int *>(vl.cu_seqlens_k->data);
    for (long long b = 0; b < B; ++b) {
      const long long nq = cq[b + 1] - cq[b], nk = ck[b + 1] - ck[b];
      if (nq == 0)
        continue; // nothing is computed for it
      if ((err = checkRequirements(m, nq, nk)).failed())
        return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                         "sequence " + std::to_string(b) + ": " + err.message);
    }
  }

  AttncKernelArgs a = {};
  a.q = t.q->data;
  a.k = t.k->data;
  a.v = t.v->data;
  a.o = t.o->data;
  a.lse = t.lse ? static_cast<float *>(t.lse->data) : nullptr;
  a.q_strides = packedStrides(t.q);
  a.k_strides = packedStrides(t.k);
  a.v_strides = packedStrides(t.v);
  a.o_strides = packedStrides(t.o);
  for (size_t i = 0; i < m.params.size(); ++i)
    a.params[i] = t.params[i].data;
  a.batch = B;
  a.q_len = Nq;
  a.kv_len = Nk;
  a.cu_seqlens_q = static_cast<const int *>(vl.cu_seqlens_q->data);
  a.cu_seqlens_k = static_cast<const int *>(vl.cu_seqlens_k->data);
  args = a;
  if (pointers)
    *pointers = std::move(list);
  return success();
}
