//===- CudaPrologues.cpp - Work queued before a CUDA attention kernel -----===//

#include "CudaPrologues.h"

#include <algorithm>
#include <climits>
#include <cstdint>

using namespace attnc::rt;

namespace {

size_t alignUp(size_t x) { return (x + 255) / 256 * 256; }

Error tooLarge(const std::string &what, long long n) {
  return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                   what + " of " + std::to_string(n) +
                       " entries exceeds the kernels' 2^31-1 limit");
}

} // namespace

Error attnc::rt::queueBlockMask(CudaSession &s, const Manifest &m,
                                const AttncKernelArgs &args, bool keep,
                                DeviceBlockMask &out) {
  const ManifestCuda &cuda = *m.cuda;
  if (cuda.blockMaskKernel.empty())
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name +
                         "' has no CUDA block-mask builder (softmax family; "
                         "recompile it with this attnc)");
  const bool selecting = !cuda.selectKernel.empty();
  const long long bq = m.schedule.block_q, bk = m.schedule.block_k;
  const long long qBlocks = (args.q_len + bq - 1) / bq;
  const long long kBlocks = (args.kv_len + bk - 1) / bk;
  const int heads = selecting ? m.heads : cuda.blockMaskHeads;
  const long long rows = args.batch * heads * qBlocks;
  if (rows >= INT_MAX || kBlocks >= INT_MAX || rows * kBlocks >= INT_MAX)
    return tooLarge("a block mask", rows * kBlocks);
  const size_t entries = static_cast<size_t>(rows * kBlocks);

  // The kept part: the struct, then row_ptr, col and full.
  const size_t structBytes = alignUp(sizeof(AttncBlockMask));
  const size_t rowPtrBytes = alignUp(sizeof(int) * (rows + 1));
  const size_t colBytes = alignUp(sizeof(int) * entries);
  // The totals after `full` (one byte per entry) take 8-byte atomics, which
  // fault on a misaligned address on a GPU: every section starts aligned.
  const size_t fullBytes = alignUp(entries);
  const size_t totalsBytes = alignUp(3 * sizeof(unsigned long long));
  void *base = nullptr;
  Error e = s.alloc(structBytes + rowPtrBytes + colBytes + fullBytes +
                        totalsBytes,
                    base, keep);
  if (e.failed())
    return e;
  char *p = static_cast<char *>(base);
  out.base = base;
  out.mask = reinterpret_cast<const AttncBlockMask *>(p);
  int *rowPtr = reinterpret_cast<int *>(p + structBytes);
  int *col = reinterpret_cast<int *>(p + structBytes + rowPtrBytes);
  unsigned char *full = reinterpret_cast<unsigned char *>(
      p + structBytes + rowPtrBytes + colBytes);
  unsigned long long *totals = reinterpret_cast<unsigned long long *>(
      p + structBytes + rowPtrBytes + colBytes + fullBytes);
  out.rowPtr = rowPtr;
  out.col = col;
  out.full = full;
  out.totals = totals;
  out.heads = heads;
  out.rows = rows;
  out.qBlocks = qBlocks;
  out.kBlocks = kBlocks;
  AttncBlockMask host{rowPtr, col, full, heads};
  if ((e = s.toDevice(p, &host, sizeof(host))).failed() ||
      (e = s.zero(totals, 3 * sizeof(unsigned long long))).failed())
    return e;

  // Temporaries: the padded rows the builders write.
  void *counts = nullptr, *colIn = nullptr, *fullIn = nullptr;
  if ((e = s.alloc(sizeof(int) * rows, counts)).failed() ||
      (e = s.alloc(sizeof(int) * entries, colIn)).failed() ||
      (e = s.alloc(entries, fullIn)).failed())
    return e;
  unsigned long long *staticTiles = totals + 2;
  const unsigned threads = static_cast<unsigned>(cuda.prologueThreads);
  // Every kernel takes one AttncKernelArgs: buffers go in args.scratch
  // (the layouts are in codegen/device/block_mask_builder.cuh and select.cuh).
  AttncKernelArgs a = args;
  void *params[] = {&a};
  auto integer = [](long long v) {
    return reinterpret_cast<void *>(static_cast<intptr_t>(v));
  };
  if (selecting) {
    const long long kGroups = args.batch * m.kvHeads * kBlocks;
    void *kMean = nullptr, *scores = nullptr, *order = nullptr;
    if ((e = s.alloc(sizeof(double) * kGroups * m.headDim, kMean)).failed() ||
        (e = s.alloc(sizeof(double) * entries, scores)).failed() ||
        (e = s.alloc(sizeof(int) * entries, order)).failed())
      return e;
    a.scratch[0] = kMean;
    if ((e = s.launch(cuda.selectKMeanKernel, kGroups, threads, params))
            .failed())
      return e;
    void *sel[8] = {kMean, scores, order, counts, colIn, fullIn, staticTiles,
                    nullptr};
    std::copy(sel, sel + 8, a.scratch);
    const unsigned selShared =
        static_cast<unsigned>(sizeof(double) * (m.headDim + 1));
    if ((e = s.launch(cuda.selectKernel, rows, threads, params, selShared))
            .failed())
      return e;
  } else {
    void *bm[8] = {counts, colIn, fullIn, staticTiles, integer(heads),
                   nullptr, nullptr, nullptr};
    std::copy(bm, bm + 8, a.scratch);
    if ((e = s.launch(cuda.blockMaskKernel, rows, threads, params)).failed())
      return e;
  }
  void *csr[8] = {counts, colIn, fullIn, rowPtr, col, full, totals,
                  integer(heads)};
  std::copy(csr, csr + 8, a.scratch);
  return s.launch(cuda.blockMaskCsrKernel, 1, 1024, params,
                  1024 * sizeof(long long));
}

Error attnc::rt::queueHybridPrologue(CudaSession &s, const Manifest &m,
                                     AttncKernelArgs &args) {
  const ManifestCuda &cuda = *m.cuda;
  const long long bk = m.schedule.block_k;
  const long long kBlocks = (args.kv_len + bk - 1) / bk;
  const long long bh = args.batch * m.heads, F = cuda.hybridFeatureDim;
  void *phik = nullptr, *P = nullptr, *Z = nullptr;
  Error e;
  if ((e = s.alloc(sizeof(float) * bh * args.kv_len * F, phik)).failed() ||
      (e = s.alloc(sizeof(double) * bh * (kBlocks + 1) * F * m.valueDim, P))
          .failed() ||
      (e = s.alloc(sizeof(double) * bh * (kBlocks + 1) * F, Z)).failed())
    return e;
  args.scratch[0] = phik;
  args.scratch[1] = P;
  args.scratch[2] = Z;
  const unsigned threads = static_cast<unsigned>(cuda.prologueThreads);
  AttncKernelArgs a = args;
  void *params[] = {&a};
  if ((e = s.launch(cuda.hybridStatesKernel, bh * kBlocks, threads, params))
          .failed())
    return e;
  return s.launch(cuda.hybridScanKernel, bh, threads, params);
}
