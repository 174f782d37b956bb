//===- PagedCheck.cpp - Checking a call on a paged KV cache ---------------===//
//
// This file implements checkPagedArguments: the checks of a call whose keys
// and values live in pages of a pool (docs/runtime.md §3f), in the order a
// user reads the messages: the layout, kv_lens, the block table, the two
// pools, every page a sequence reads, then q, o, lse (dense or packed by
// cu_seqlens_q) and the params at the longest kv length. A kernel follows
// the block table without bounds checks, so every entry it reads (the first
// ceil(kv_lens[b] / page_size) of row b) is checked to lie in the pool.
//
//===----------------------------------------------------------------------===//

#include "ArgCheck.h"

#include <algorithm>

using namespace attnc::rt;

namespace {

Error invalidArgument(const std::string &message) {
  return makeError(ATTNC_ERROR_INVALID_ARGUMENT, message);
}

/// An int32 host table: rank, dtype, data, rows contiguous.
Error checkTable(const attnc_tensor *t, const char *name, int rank) {
  const std::string label = std::string("tensor '") + name + "'";
  if (!t)
    return invalidArgument(label + " is null");
  if (t->rank != rank)
    return invalidArgument(label + ": expected rank " + std::to_string(rank) +
                           ", got " + std::to_string(t->rank));
  if (t->dtype != ATTNC_I32)
    return invalidArgument(label + ": expected dtype i32, got " +
                           std::string(attnc_dtype_name(t->dtype)));
  for (int i = 0; i < rank; ++i)
    if (t->shape[i] < 1)
      return invalidArgument(label + ": every dimension must be positive, "
                                     "got " +
                             shapeString(t->shape, rank));
  if (!t->data)
    return invalidArgument(label + ": data is null");
  if (t->strides[rank - 1] != 1 ||
      (rank == 2 && t->strides[0] < t->shape[1]))
    return invalidArgument(label + ": expected rows of contiguous entries (" +
                           "strides [" +
                           (rank == 2 ? ">= " + std::to_string(t->shape[1]) +
                                            ", 1"
                                      : std::string("1")) +
                           "]), got " + shapeString(t->strides, rank));
  return success();
}

/// A page pool of `layout`: rank 4, positive extents; fills the page count
/// and the page size.
Error poolShape(const attnc_tensor *t, const char *name,
                attnc_page_layout layout, long long &pages,
                long long &pageSize) {
  const std::string label = std::string("tensor '") + name + "'";
  if (!t)
    return invalidArgument(label + " is null");
  if (t->rank != 4)
    return invalidArgument(label + ": expected rank 4 (a page pool [" +
                           (layout == ATTNC_PAGES_NHD
                                ? "pages, page_size, kv_heads, dim"
                                : "pages, kv_heads, page_size, dim") +
                           "]), got " + std::to_string(t->rank));
  for (int i = 0; i < 4; ++i)
    if (t->shape[i] < 1)
      return invalidArgument(label + ": every dimension must be positive, "
                                     "got " +
                             shapeString(t->shape, 4));
  pages = t->shape[0];
  pageSize = t->shape[layout == ATTNC_PAGES_NHD ? 1 : 2];
  return success();
}

/// The kernel's view of a pool: [0] one page, [1] one kv head, [2] one
/// slot of a page.
AttncStrides4 poolStrides(const attnc_tensor *t, attnc_page_layout layout) {
  AttncStrides4 st;
  st.s[0] = t->strides[0];
  st.s[1] = t->strides[layout == ATTNC_PAGES_NHD ? 2 : 1];
  st.s[2] = t->strides[layout == ATTNC_PAGES_NHD ? 1 : 2];
  st.s[3] = 1;
  return st;
}

} // namespace

Error attnc::rt::checkPagedArguments(const Manifest &m, const CallTensors &t,
                                     Target target, AttncKernelArgs &args,
                                     long long &rows,
                                     std::vector<CudaLaunch::Pointer> *pointers) {
  const attnc_paged_kv &pk = *t.paged;
  if (pk.layout != ATTNC_PAGES_NHD && pk.layout != ATTNC_PAGES_HND)
    return invalidArgument("paged.layout: expected ATTNC_PAGES_NHD (0) or "
                           "ATTNC_PAGES_HND (1), got " +
                           std::to_string(static_cast<int>(pk.layout)));
  if (t.state && (t.state->state_in || t.state->state_out ||
                  t.state->z_in || t.state->z_out))
    return invalidArgument("a paged call takes no recurrent state (softmax "
                           "family only)");
  Error err;
  if ((err = checkTable(pk.kv_lens, "kv_lens", 1)).failed() ||
      (err = checkTable(pk.block_table, "block_table", 2)).failed())
    return err;
  const long long B = pk.kv_lens->shape[0];
  const long long maxPages = pk.block_table->shape[1];
  if (pk.block_table->shape[0] != B)
    return invalidArgument("tensor 'block_table': expected " +
                           std::to_string(B) +
                           " rows (one per sequence, as kv_lens), got " +
                           std::to_string(pk.block_table->shape[0]));

  const long long H = m.heads, G = m.kvHeads, D = m.headDim, Dv = m.valueDim;
  long long pages = 0, pageSize = 0, vPages = 0, vPageSize = 0; // v: checked against k's below
  if ((err = poolShape(t.k, "k", pk.layout, pages, pageSize)).failed() ||
      (err = poolShape(t.v, "v", pk.layout, vPages, vPageSize)).failed())
    return err;
  std::vector<CudaLaunch::Pointer> list;
  std::vector<CudaLaunch::Pointer> *ptrs = pointers ? &list : nullptr;
  const bool nhd = pk.layout == ATTNC_PAGES_NHD;
  auto pool = [&](const char *name, long long dim) {
    return nhd ? expect4(name, m.dtype, pages, pageSize, G, dim, false)
               : expect4(name, m.dtype, pages, G, pageSize, dim, false);
  };
  if ((err = checkTensor(t.k, pool("k", D), target, ptrs)).failed() ||
      (err = checkTensor(t.v, pool("v", Dv), target, ptrs)).failed())
    return err;

  // Every page a sequence reads lies in the pool.
  const int *lens = static_cast<const int *>(pk.kv_lens->data);
  const int *table = static_cast<const int *>(pk.block_table->data);
  const long long tableStride = pk.block_table->strides[0];
  long long longestK = 0;
  for (long long b = 0; b < B; ++b) {
    const long long n = lens[b];
    if (n < 0 || n > maxPages * pageSize)
      return invalidArgument(
          "tensor 'kv_lens': sequence " + std::to_string(b) + " has " +
          std::to_string(n) + " keys, expected 0 to " +
          std::to_string(maxPages * pageSize) + " (" +
          std::to_string(maxPages) + " block-table entries of " +
          std::to_string(pageSize) + " keys)");
    longestK = std::max(longestK, n);
    for (long long j = 0; j < (n + pageSize - 1) / pageSize; ++j) {
      const long long page = table[b * tableStride + j];
      if (page < 0 || page >= pages)
        return invalidArgument(
            "tensor 'block_table': entry [" + std::to_string(b) + ", " +
            std::to_string(j) + "] is " + std::to_string(page) +
            ", outside the pool's " + std::to_string(pages) +
            " pages (sequence " + std::to_string(b) + " reads entries 0 to " +
            std::to_string((n + pageSize - 1) / pageSize - 1) + " for its " +
            std::to_string(n) + " keys)");
    }
  }

  // The queries: packed by cu_seqlens_q, or dense [B, H, Nq, D].
  long long Nq = 0;
  std::vector<long long> seqQ(B);
  if (pk.cu_seqlens_q) {
    long long totalQ = 0, longestQ = 0;
    if ((err = checkSeqOffsets(pk.cu_seqlens_q, "cu_seqlens_q", B + 1, totalQ,
                               longestQ, "kv_lens"))
            .failed())
      return err;
    const std::string qTokens =
        "cu_seqlens_q[" + std::to_string(B) + "] = " + std::to_string(totalQ);
    if ((err = checkPackedTensor(
             t.q, packedExpect("q", m.dtype, totalQ, H, D, false), target,
             qTokens, ptrs))
            .failed() ||
        (err = checkPackedTensor(
             t.o, packedExpect("o", m.dtype, totalQ, H, Dv, true), target,
             qTokens, ptrs))
            .failed())
      return err;
    if (t.lse && m.hasLse &&
        (err = checkPackedTensor(t.lse, lseExpect({H, totalQ}), target,
                                 "[H, total_q], " + qTokens, ptrs))
            .failed())
      return err;
    const int *cq = static_cast<const int *>(pk.cu_seqlens_q->data);
    for (long long b = 0; b < B; ++b)
      seqQ[b] = cq[b + 1] - cq[b];
    rows = totalQ;
    Nq = std::max(1LL, longestQ);
  } else {
    if (!t.q)
      return invalidArgument("tensor 'q' is null");
    if (t.q->rank != 4)
      return invalidArgument("tensor 'q': expected rank 4 ([B, H, Nq, D]; "
                             "packed queries need cu_seqlens_q), got " +
                             std::to_string(t.q->rank));
    Nq = t.q->shape[2];
    if ((err = checkTensor(t.q, expect4("q", m.dtype, B, H, Nq, D, false),
                           target, ptrs))
            .failed() ||
        (err = checkTensor(t.o, expect4("o", m.dtype, B, H, Nq, Dv, true),
                           target, ptrs))
            .failed())
      return err;
    if (t.lse && m.hasLse &&
        (err = checkTensor(t.lse, lseExpect({B, H, Nq}), target, ptrs))
            .failed())
      return err;
    std::fill(seqQ.begin(), seqQ.end(), Nq);
    rows = B * Nq;
  }
  if (t.lse && !m.hasLse)
    return lseNotProduced(m);

  // The padded dense equivalent's Nk: the longest sequence, at least 1.
  const long long Nk = std::max(1LL, longestK);
  if ((err = checkParams(m, t, B, Nk, target, ptrs)).failed())
    return err;
  // The spec's `require` conditions hold for every sequence's own lengths.
  for (long long b = 0; b < B; ++b) {
    if (seqQ[b] == 0)
      continue; // nothing is computed for it
    if ((err = checkRequirements(m, seqQ[b], lens[b])).failed())
      return invalidArgument("sequence " + std::to_string(b) + ": " +
                             err.message);
  }

  AttncKernelArgs a = {};
  a.q = t.q->data;
  a.k = t.k->data;
  a.v = t.v->data;
  a.o = t.o->data;
  a.lse = t.lse ? static_cast<float *>(t.lse->data) : nullptr;
  if (pk.cu_seqlens_q) {
    a.q_strides = packedStrides(t.q);
    a.o_strides = packedStrides(t.o);
    a.cu_seqlens_q = static_cast<const int *>(pk.cu_seqlens_q->data);
  } else {
    for (int i = 0; i < 4; ++i) {
      a.q_strides.s[i] = t.q->strides[i];
      a.o_strides.s[i] = t.o->strides[i];
    }
  }
  a.k_strides = poolStrides(t.k, pk.layout);
  a.v_strides = poolStrides(t.v, pk.layout);
  for (size_t i = 0; i < m.params.size(); ++i)
    a.params[i] = t.params[i].data;
  a.batch = B;
  a.q_len = Nq;
  a.kv_len = Nk;
  a.block_table = table;
  a.kv_lens = lens;
  a.page_size = pageSize;
  a.block_table_stride = tableStride;
  args = a;
  if (pointers)
    *pointers = std::move(list);
  return success();
}
