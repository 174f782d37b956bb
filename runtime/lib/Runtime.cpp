//===- Runtime.cpp - The attnc runtime C API ------------------------------===//
//
// This file implements the functions declared in attnc/runtime.h. Each entry
// point runs its body inside `guarded`, which turns an Error into the return
// code and the thread's last-error text and keeps C++ exceptions (allocation
// failure, mostly) from crossing the C ABI.
//
//===----------------------------------------------------------------------===//

#include "attnc/kv_splits.h"
#include "attnc/runtime.h"

#include "ArgCheck.h"
#include "CudaPrologues.h"
#include "MergeStates.h"
#include "Package.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include <sys/stat.h>

#ifndef ATTNC_RUNTIME_VERSION
#define ATTNC_RUNTIME_VERSION "0.1.0"
#endif

using namespace attnc::rt;

/// A runtime block mask: the CSR arrays the kernel reads, the call shape it
/// was built for and its counts. A CPU mask owns host vectors; a CUDA mask
/// one device allocation (DeviceBlockMask) in context `cudaContext`.
struct attnc_block_mask {
  const attnc_package *pkg = nullptr;
  long long batch = 0, qLen = 0, kvLen = 0;
  int heads = 0, qBlocks = 0, kBlocks = 0;
  long long fullCount = 0, staticTiles = 0;
  std::vector<int> rowPtr, col;
  std::vector<unsigned char> full;
  AttncBlockMask abi{};
  bool onDevice = false;
  long long deviceNnz = 0;
  void *cudaContext = nullptr;
  DeviceBlockMask device;

  ~attnc_block_mask() {
    if (onDevice)
      freeCudaMemory(cudaContext, device.base);
  }
};

namespace {

thread_local std::string tLastError;

void setLastError(const std::string &message) {
  try {
    tLastError = message;
  } catch (...) {
    tLastError.clear();
  }
}

template <typename F> int guarded(F &&body) {
  try {
    Error e = body();
    if (e.failed()) {
      setLastError(e.message);
      return e.code;
    }
    return ATTNC_OK;
  } catch (const std::bad_alloc &) {
    setLastError("out of memory");
    return ATTNC_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception &ex) {
    setLastError(std::string("internal error: ") + ex.what());
    return ATTNC_ERROR_INTERNAL;
  } catch (...) {
    setLastError("internal error: unknown exception");
    return ATTNC_ERROR_INTERNAL;
  }
}

Error nullPackage() {
  return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "package is null");
}

Error openPackage(const char *dir, attnc_package **out) {
  if (!out)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
  *out = nullptr;
  if (!dir || !*dir)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "package directory is null or empty");
  char *resolved = ::realpath(dir, nullptr);
  if (!resolved)
    return makeError(ATTNC_ERROR_IO, "cannot open package '" +
                                         sanitize(dir, 512) +
                                         "': " + std::strerror(errno));
  std::string path = resolved;
  std::free(resolved);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return makeError(ATTNC_ERROR_IO, "cannot open package '" +
                                         sanitize(dir, 512) +
                                         "': not a directory");
  auto pkg = std::make_unique<attnc_package>();
  pkg->dir = path;
  Error e = readManifest(path, pkg->manifest);
  if (e.failed()) {
    // Say which package: a program may open several.
    if (e.message.compare(0, 15, "manifest.json: ") == 0)
      e.message = sanitize(path, 512) + "/" + e.message;
    return e;
  }
  *out = pkg.release();
  return success();
}

/// The signature of a package's block-mask builder (docs/runtime.md).
using BlockMaskFn = int (*)(const AttncKernelArgs *, int, int *, int *,
                            unsigned char *, long long *);

/// The CPU block mask of a call: of the dense tensors `t`, or with
/// `checked` of those arguments as checked already (a ragged or paged
/// call's, whose builder reads each sequence's lengths; §3e, §3f).
Error buildBlockMask(attnc_package *pkg, const CallTensors &t,
                     attnc_block_mask **out,
                     const AttncKernelArgs *checked = nullptr) {
  if (!out)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
  *out = nullptr;
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cpu)
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name + "' has no CPU code");
  if (m.cpu->blockMaskEntry.empty())
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name +
                         "' has no block-mask builder (softmax family only)");
  if (m.schedule.block_q < 1 || m.schedule.block_k < 1)
    return makeError(ATTNC_ERROR_MANIFEST,
                     "package '" + m.name +
                         "': a block mask needs positive 'schedule.block_q' "
                         "and 'schedule.block_k'");
  // The builder of a verified library (see runCpu).
  void *sym = nullptr;
  Error e = pkg->cpu.resolveSymbol(pkg->dir, m, m.cpu->blockMaskEntry, sym);
  if (e.failed())
    return e;
  AttncKernelArgs args;
  if (checked) {
    args = *checked;
  } else if ((e = checkArguments(m, t, Target::Cpu, args, nullptr)).failed()) {
    return e;
  }
  args.block_mask = nullptr;
  auto mask = std::make_unique<attnc_block_mask>();
  mask->pkg = pkg;
  mask->batch = args.batch;
  mask->qLen = args.q_len;
  mask->kvLen = args.kv_len;
  mask->heads = m.cpu->blockMaskHeads;
  const long long qBlocks =
      (args.q_len + m.schedule.block_q - 1) / m.schedule.block_q;
  const long long kBlocks =
      (args.kv_len + m.schedule.block_k - 1) / m.schedule.block_k;
  const long long rows = args.batch * mask->heads * qBlocks;
  // Every row has room for all k-blocks while the builder runs; entries
  // (and the CSR offsets) must fit in int.
  if (qBlocks > INT_MAX || kBlocks > INT_MAX || rows >= INT_MAX ||
      rows * kBlocks > INT_MAX)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "a block mask of " + std::to_string(rows) + " rows of " +
                         std::to_string(kBlocks) +
                         " k-blocks exceeds 2^31-1 entries");
  mask->qBlocks = static_cast<int>(qBlocks);
  mask->kBlocks = static_cast<int>(kBlocks);
  std::vector<int> counts;
  try {
    counts.resize(rows);
    mask->col.resize(rows * kBlocks);
    mask->full.resize(rows * kBlocks);
  } catch (const std::bad_alloc &) {
    return makeError(ATTNC_ERROR_OUT_OF_MEMORY,
                     "out of memory allocating a block mask of " +
                         std::to_string(rows) + " rows of " +
                         std::to_string(kBlocks) + " k-blocks (" +
                         std::to_string(rows * (kBlocks * 5 + 4)) + " bytes)");
  }
  int status = reinterpret_cast<BlockMaskFn>(sym)(
      &args, mask->heads, counts.data(), mask->col.data(), mask->full.data(),
      &mask->staticTiles);
  if (status != 0)
    return makeError(ATTNC_ERROR_KERNEL,
                     "CPU block-mask builder '" + m.cpu->blockMaskEntry +
                         "' of package '" + m.name + "' failed with status " +
                         std::to_string(status));
  // Compact the rows (stride kBlocks) in place into CSR: entries only move
  // to lower indices.
  mask->rowPtr.resize(rows + 1);
  long long nnz = 0;
  for (long long r = 0; r < rows; ++r) {
    mask->rowPtr[r] = static_cast<int>(nnz);
    for (int i = 0; i < counts[r]; ++i, ++nnz) {
      mask->col[nnz] = mask->col[r * kBlocks + i];
      mask->full[nnz] = mask->full[r * kBlocks + i];
      mask->fullCount += mask->full[nnz] != 0;
    }
  }
  mask->rowPtr[rows] = static_cast<int>(nnz);
  mask->col.resize(nnz);
  mask->col.shrink_to_fit();
  mask->full.resize(nnz);
  mask->full.shrink_to_fit();
  mask->abi.row_ptr = mask->rowPtr.data();
  mask->abi.col = mask->col.data();
  mask->abi.full = mask->full.data();
  mask->abi.heads = mask->heads;
  *out = mask.release();
  return success();
}

Error checkMaskFits(const attnc_block_mask *mask, const attnc_package *pkg,
                    const AttncKernelArgs &args, bool device);

/// The block mask a CPU call walks: `mask` when given, else for a package
/// with `auto_block_mask` (and its switch on) one built for the call into
/// `automatic` (docs/runtime.md §3a); checked against the call and set in
/// args. Neither: args keep the static plan.
Error useCpuBlockMask(attnc_package *pkg, const CallTensors &t,
                      const attnc_block_mask *mask,
                      std::unique_ptr<attnc_block_mask> &automatic,
                      AttncKernelArgs &args) {
  Error e;
  if (!mask && pkg->manifest.cpu->autoBlockMask && pkg->autoBlockMask) {
    attnc_block_mask *built = nullptr;
    // A ragged or paged call's mask is of its checked arguments.
    if ((e = buildBlockMask(pkg, t, &built,
                            t.varlen || t.paged ? &args : nullptr))
            .failed())
      return e;
    automatic.reset(built);
    mask = built;
  }
  if (mask) {
    if ((e = checkMaskFits(mask, pkg, args, false)).failed())
      return e;
    args.block_mask = &mask->abi;
  }
  return e;
}

Error runCpu(attnc_package *pkg, const CallTensors &t,
             const attnc_block_mask *mask = nullptr) {
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cpu)
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name + "' has no CPU code");
  // Load and verify the library first: a manifest that does not belong to
  // the kernel is the problem to report, not the tensors checked against it.
  CpuEntryFn fn = nullptr;
  Error e = pkg->cpu.resolve(pkg->dir, m, fn);
  if (e.failed())
    return e;
  AttncKernelArgs args;
  if (t.varlen || t.paged) {
    // A packed batch (§3e) or a paged cache (§3f): the plan must say the
    // kernel reads per-sequence lengths.
    if (!m.cpu->ragged)
      return makeError(ATTNC_ERROR_UNSUPPORTED,
                       "package '" + m.name +
                           "' has no ragged CPU kernel (its CPU plan is not "
                           "ragged: content-based selection, hybrids and "
                           "token grids take padded batches only)");
    long long rows = 0;
    if ((e = t.paged ? checkPagedArguments(m, t, Target::Cpu, args, rows,
                                           nullptr)
                     : checkVarlenArguments(m, t, Target::Cpu, args, rows,
                                            nullptr))
            .failed())
      return e;
    if (rows == 0)
      return success(); // no query rows: nothing to write
  } else if ((e = checkArguments(m, t, Target::Cpu, args, nullptr))
                 .failed()) {
    return e;
  }
  // A mask that reads params skips no tile at compile time: build its block
  // mask for this call (docs/runtime.md §3b, "Automatic block masks"),
  // ragged and paged calls included (per sequence).
  std::unique_ptr<attnc_block_mask> automatic;
  if ((e = useCpuBlockMask(pkg, t, mask, automatic, args)).failed())
    return e;
  // Split-KV decode (§3g): a CPU kernel reads kv_splits as the request
  // (0: its rule with the machine's threads) and splits no call with a
  // block mask.
  args.kv_splits = pkg->kvSplits;
  int status = fn(&args);
  if (status != 0)
    return makeError(ATTNC_ERROR_KERNEL,
                     "CPU kernel '" + m.cpu->entry + "' of package '" + m.name +
                         "' failed with status " + std::to_string(status));
  return success();
}

/// attnc_run_cpu_backward: the forward's arguments as attnc_run_cpu checks
/// them, then the gradients; the entry is resolved in the package library.
Error runCpuBackward(attnc_package *pkg, const CallTensors &t,
                     const attnc_backward_tensors *grads,
                     const attnc_block_mask *mask = nullptr) {
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cpu || m.cpu->backwardEntry.empty())
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name +
                         "' has no CPU backward (compile it with attnc "
                         "compile --backward)");
  AttncKernelArgs args;
  Error e = checkArguments(m, t, Target::Cpu, args, nullptr);
  if (e.failed())
    return e;
  AttncBackwardArgs bargs;
  if ((e = checkBackwardArguments(m, args, grads, t.numParams, Target::Cpu,
                                  bargs, nullptr))
          .failed())
    return e;
  void *sym = nullptr;
  // The backward of a verified library (see runCpu).
  e = pkg->cpu.resolveSymbol(pkg->dir, m, m.cpu->backwardEntry, sym);
  if (e.failed())
    return e;
  // The forward's tiles: the caller's block mask, or the automatic one the
  // forward built for the same call (a mask is deterministic, so the same
  // tiles), or the static plan. The CPU backward runs on the forward's
  // tiles, so a CPU mask always fits them.
  std::unique_ptr<attnc_block_mask> automatic;
  if ((e = useCpuBlockMask(pkg, t, mask, automatic, args)).failed())
    return e;
  using BackwardFn = int (*)(const AttncKernelArgs *, const AttncBackwardArgs *);
  int status = reinterpret_cast<BackwardFn>(sym)(&args, &bargs);
  if (status != 0)
    return makeError(ATTNC_ERROR_KERNEL,
                     "CPU backward '" + m.cpu->backwardEntry + "' of package '" +
                         m.name + "' failed with status " +
                         std::to_string(status) +
                         (status == 2 ? " (out of memory)" : ""));
  return success();
}

/// Checks a mask against the call it is used for.
Error checkMaskFits(const attnc_block_mask *mask, const attnc_package *pkg,
                    const AttncKernelArgs &args, bool device) {
  const Manifest &m = pkg->manifest;
  if (mask->pkg != pkg)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "the block mask was built for another package than '" +
                         m.name + "'");
  if (mask->onDevice != device)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     std::string("the block mask was built for the ") +
                         (mask->onDevice ? "CUDA" : "CPU") +
                         " backend (attnc_block_mask_build_" +
                         (device ? "cuda" : "cpu") + " builds one for this)");
  if (mask->batch != args.batch || mask->qLen != args.q_len ||
      mask->kvLen != args.kv_len)
    return makeError(
        ATTNC_ERROR_INVALID_ARGUMENT,
        "the block mask was built for B, Nq, Nk = " +
            std::to_string(mask->batch) + ", " + std::to_string(mask->qLen) +
            ", " + std::to_string(mask->kvLen) + ", got " +
            std::to_string(args.batch) + ", " + std::to_string(args.q_len) +
            ", " + std::to_string(args.kv_len));
  return success();
}

/// Split-KV decode (§3g) in a session: when the rule of attnc/kv_splits.h
/// gives more than one split for this call, the attention kernel writes
/// each split's partial (o, lse) to session buffers and the merge kernel
/// combines them into o and lse; `ran` says whether it did (else the caller
/// launches the kernel as usual). `lseRows`: the lse's element count
/// (B * H * Nq, or H * total_q for packed queries). Never with a block mask
/// (the split is of the static plan's walk).
Error launchSplitKv(CudaSession &s, const attnc_package *pkg,
                    const AttncKernelArgs &in, long long lseRows, bool &ran) {
  ran = false;
  const Manifest &m = pkg->manifest;
  const ManifestCuda &cuda = *m.cuda;
  if (cuda.splitMergeKernel.empty() || in.block_mask || pkg->kvSplits == 1 ||
      lseRows == 0)
    return success();
  int sms = 0;
  Error e = s.multiprocessors(sms);
  if (e.failed())
    return e;
  const long long bq = m.schedule.block_q, bk = m.schedule.block_k;
  const long long blocks = in.batch * m.heads * ((in.q_len + bq - 1) / bq);
  const long long tiles = (in.kv_len + bk - 1) / bk;
  const long long splits = attnc_choose_kv_splits(
      blocks, tiles, sms, cuda.maxKvSplits, pkg->kvSplits);
  if (splits < 2)
    return success();
  AttncKernelArgs args = in;
  void *partialO = nullptr, *partialLse = nullptr;
  const size_t rows = static_cast<size_t>(splits * lseRows);
  if ((e = s.alloc(rows * static_cast<size_t>(m.valueDim) * sizeof(float),
                   partialO))
          .failed() ||
      (e = s.alloc(rows * sizeof(float), partialLse)).failed())
    return e;
  args.kv_splits = splits;
  args.split_o = static_cast<float *>(partialO);
  args.split_lse = static_cast<float *>(partialLse);
  if ((e = s.launchMain(args)).failed())
    return e;
  const unsigned threads = static_cast<unsigned>(cuda.mergeThreads);
  const long long perBlock = threads / 32;
  void *params[] = {&args};
  if ((e = s.launch(cuda.splitMergeKernel,
                    static_cast<unsigned long long>((lseRows + perBlock - 1) /
                                                    perBlock),
                    threads, params))
          .failed())
    return e;
  ran = true;
  return success();
}

/// A packed batch (§3e) or a paged cache (§3f) on CUDA: the tables,
/// checked on the host, are copied to stream-ordered device memory in a
/// session, then the attention kernel runs over the longest sequence's
/// q-blocks.
Error launchCudaRagged(attnc_package *pkg, const CallTensors &t,
                       void *stream) {
  const Manifest &m = pkg->manifest;
  if (!m.cuda->ragged)
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name +
                         "' has no ragged CUDA kernel (its CUDA plan is not "
                         "ragged: content-based selection, hybrids and token "
                         "grids take padded batches only)");
  CudaLaunch launch;
  long long rows = 0;
  Error e = t.paged ? checkPagedArguments(m, t, Target::Cuda, launch.args,
                                          rows, &launch.pointers)
                    : checkVarlenArguments(m, t, Target::Cuda, launch.args,
                                           rows, &launch.pointers);
  if (e.failed() || rows == 0)
    return e;
  launch.heads = m.heads;
  const AttncKernelArgs host = launch.args;
  const long long B = host.batch;
  // Each host table with its entry count; null ones stay null.
  struct Table {
    const int *AttncKernelArgs::*field;
    long long entries;
  };
  const Table tables[] = {
      {&AttncKernelArgs::cu_seqlens_q, B + 1},
      {&AttncKernelArgs::cu_seqlens_k, B + 1},
      {&AttncKernelArgs::block_table, B * host.block_table_stride},
      {&AttncKernelArgs::kv_lens, B}};
  return pkg->cuda.run(pkg->dir, m, launch, stream, [&](CudaSession &s) {
    AttncKernelArgs args = host;
    for (const Table &table : tables) {
      const int *src = host.*table.field;
      if (!src)
        continue;
      const size_t bytes = sizeof(int) * static_cast<size_t>(table.entries);
      void *dev = nullptr;
      Error e;
      if ((e = s.alloc(bytes, dev)).failed() ||
          (e = s.toDevice(dev, src, bytes)).failed())
        return e;
      args.*table.field = static_cast<const int *>(dev);
    }
    // A mask that reads params: its block mask, built on the device from
    // each sequence's lengths (§3b, "Automatic block masks").
    DeviceBlockMask automatic;
    Error e;
    if (m.cuda->autoBlockMask && pkg->autoBlockMask) {
      if ((e = queueBlockMask(s, m, args, /*keep=*/false, automatic)).failed())
        return e;
      args.block_mask = automatic.mask;
    }
    // One lse element per query row and head.
    bool split = false;
    e = launchSplitKv(s, pkg, args, m.heads * rows, split);
    return e.failed() || split ? e : s.launchMain(args);
  });
}

/// The CUDA call: the attention kernel alone, or in a session after the
/// package's prologues (docs/runtime.md, "CUDA sessions"): a given device
/// block mask, else the selection a `select` package makes per call, and a
/// hybrid's linear-branch states.
Error launchCuda(attnc_package *pkg, const CallTensors &t, void *stream,
                 const attnc_block_mask *mask = nullptr) {
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cuda)
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name + "' has no CUDA code");
  CudaLaunch launch;
  if (t.varlen || t.paged)
    return launchCudaRagged(pkg, t, stream);
  Error e = checkArguments(m, t, Target::Cuda, launch.args, &launch.pointers);
  if (e.failed())
    return e;
  launch.heads = m.heads;
  if (mask && (e = checkMaskFits(mask, pkg, launch.args, true)).failed())
    return e;
  const ManifestCuda &cuda = *m.cuda;
  const bool selecting = !cuda.selectKernel.empty();
  const bool hybrid = !cuda.hybridStatesKernel.empty();
  // A mask that reads params: its block mask is built on the device first
  // (docs/runtime.md §3b, "Automatic block masks").
  const bool automatic = !mask && cuda.autoBlockMask && pkg->autoBlockMask;
  const bool splittable = !cuda.splitMergeKernel.empty() && pkg->kvSplits != 1;
  if (!mask && !selecting && !hybrid && !automatic && !splittable)
    return pkg->cuda.launch(pkg->dir, m, launch, stream);
  return pkg->cuda.run(pkg->dir, m, launch, stream, [&](CudaSession &s) {
    AttncKernelArgs args = launch.args;
    DeviceBlockMask selection;
    Error e;
    if (mask) {
      args.block_mask = mask->device.mask;
    } else if (selecting || automatic) {
      if ((e = queueBlockMask(s, m, args, /*keep=*/false, selection)).failed())
        return e;
      args.block_mask = selection.mask;
    }
    if (hybrid && (e = queueHybridPrologue(s, m, args)).failed())
      return e;
    bool split = false;
    if (splittable &&
        (e = launchSplitKv(s, pkg, args,
                           args.batch * m.heads * args.q_len, split))
            .failed())
      return e;
    return split ? e : s.launchMain(args);
  });
}

/// attnc_launch_cuda_backward: the forward's arguments and the gradients as
/// the CPU backward checks them (for device memory), then the four backward
/// kernels in a session with their per-call buffers: the row statistics
/// (stat, delta) and the parameters' double accumulators (zeroed).
Error launchCudaBackward(attnc_package *pkg, const CallTensors &t,
                         const attnc_backward_tensors *grads, void *stream,
                         const attnc_block_mask *mask = nullptr) {
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cuda || m.cuda->backwardRowsKernel.empty())
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name +
                         "' has no CUDA backward (compile it with attnc "
                         "compile --backward; content-based selection and "
                         "hybrids have none yet)");
  const ManifestCuda &cuda = *m.cuda;
  CudaLaunch launch;
  Error e = checkArguments(m, t, Target::Cuda, launch.args, &launch.pointers);
  if (e.failed())
    return e;
  AttncBackwardArgs bargs;
  if ((e = checkBackwardArguments(m, launch.args, grads, t.numParams,
                                  Target::Cuda, bargs, &launch.pointers))
          .failed())
    return e;
  launch.heads = m.heads;
  // The forward's tiles: a given device mask or, for a package with
  // auto_block_mask, the same automatic mask the forward builds, when the
  // backward's kernels walk masks of the forward's tiles
  // (`backward_block_mask`); else the static plan.
  if (mask) {
    if (!cuda.backwardBlockMask)
      return makeError(ATTNC_ERROR_UNSUPPORTED,
                       "the CUDA backward of package '" + m.name +
                           "' takes no block mask (its tiles are not the "
                           "forward's; attnc_launch_cuda_backward walks its "
                           "static plan)");
    if ((e = checkMaskFits(mask, pkg, launch.args, true)).failed())
      return e;
  }
  const bool automatic = !mask && cuda.backwardBlockMask &&
                         cuda.autoBlockMask && pkg->autoBlockMask;
  const long long B = launch.args.batch, Nq = launch.args.q_len,
                  Nk = launch.args.kv_len;
  // The accumulators of every parameter with a gradient, slot after slot,
  // in manifest order (the kernels' attnc_param_grad_offset).
  long long gradElements = 0;
  for (const ManifestParam &p : m.params) {
    if (!p.grad)
      continue;
    long long n = 1;
    for (const ParamDim &d : p.shape)
      n *= paramDimExtent(d, B, m.heads, Nk, m.headDim);
    gradElements += n;
  }
  const long long rows = B * m.heads * Nq;
  const long long kBlocks = (Nk + cuda.backwardBlockK - 1) / cuda.backwardBlockK;
  const long long qBlocks = (Nq + cuda.backwardBlockQ - 1) / cuda.backwardBlockQ;
  const unsigned threads = static_cast<unsigned>(cuda.backwardThreads);
  const unsigned shared = static_cast<unsigned>(cuda.backwardSharedBytes);
  return pkg->cuda.run(pkg->dir, m, launch, stream, [&](CudaSession &s) {
    AttncKernelArgs args = launch.args;
    void *stat = nullptr, *delta = nullptr, *acc = nullptr, *grads = nullptr;
    Error e;
    if ((e = s.alloc(sizeof(float) * rows, stat)).failed() ||
        (e = s.alloc(sizeof(float) * rows, delta)).failed() ||
        (e = s.alloc(sizeof(double) * gradElements, acc)).failed() ||
        (e = s.zero(acc, sizeof(double) * gradElements)).failed() ||
        (e = s.alloc(sizeof(AttncBackwardArgs), grads)).failed() ||
        (e = s.toDevice(grads, &bargs, sizeof(AttncBackwardArgs))).failed())
      return e;
    // Every attnc kernel takes one AttncKernelArgs; the backward's own
    // arguments and buffers travel in its scratch pointers.
    args.scratch[0] = stat;
    args.scratch[1] = delta;
    args.scratch[2] = acc;
    args.scratch[3] = grads;
    DeviceBlockMask built;
    if (mask) {
      args.block_mask = mask->device.mask;
    } else if (automatic) {
      if ((e = queueBlockMask(s, m, args, /*keep=*/false, built)).failed())
        return e;
      args.block_mask = built.mask;
    }
    void *params[] = {&args};
    const unsigned long long rowBlocks = (rows + threads / 32 - 1) / (threads / 32);
    if ((e = s.launch(cuda.backwardRowsKernel, rowBlocks, threads, params))
            .failed() ||
        (e = s.launch(cuda.backwardKeyMajorKernel, B * m.kvHeads * kBlocks,
                      threads, params, shared))
            .failed() ||
        (e = s.launch(cuda.backwardQueryMajorKernel, B * m.heads * qBlocks,
                      threads, params, shared))
            .failed())
      return e;
    if (gradElements == 0)
      return success();
    return s.launch(cuda.backwardParamsKernel,
                    (gradElements + threads - 1) / threads, threads, params);
  });
}

/// attnc_merge_states_cuda: the tensors checked as the host merge checks
/// them (for device memory, and against the package: its dtype, heads and
/// value_dim), then the package's merge kernel over an array of the parts.
Error mergeStatesCuda(attnc_package *pkg, const attnc_tensor *oParts,
                      const attnc_tensor *lseParts, int parts,
                      const attnc_tensor *o, const attnc_tensor *lse,
                      void *stream) {
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cuda || m.cuda->mergeKernel.empty())
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name + "' has no CUDA merge kernel");
  long long shape[4];
  attnc_dtype dtype;
  Error e = checkMergeArguments(oParts, lseParts, parts, o, lse, Target::Cuda,
                                shape, dtype);
  if (e.failed())
    return e;
  if (dtype != m.dtype || shape[1] != m.heads || shape[3] != m.valueDim)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                     "tensor 'o': the merge kernel of package '" + m.name +
                         "' takes " + attnc_dtype_name(m.dtype) + " [B, " +
                         std::to_string(m.heads) + ", Nq, " +
                         std::to_string(m.valueDim) + "], got " +
                         attnc_dtype_name(dtype) + " " +
                         shapeString(shape, 4));
  CudaLaunch launch = {};
  launch.heads = m.heads;
  AttncKernelArgs &args = launch.args;
  args.batch = shape[0];
  args.q_len = shape[2];
  args.kv_len = parts;
  args.o = o->data;
  args.lse = static_cast<float *>(lse->data);
  for (int i = 0; i < 4; ++i)
    args.o_strides.s[i] = o->strides[i];
  std::vector<AttncMergePart> table(parts);
  launch.pointers.push_back({"o", o->data});
  launch.pointers.push_back({"lse", lse->data});
  for (int i = 0; i < parts; ++i) {
    table[i].o = oParts[i].data;
    table[i].lse = static_cast<const float *>(lseParts[i].data);
    for (int d = 0; d < 4; ++d)
      table[i].o_strides.s[d] = oParts[i].strides[d];
    launch.pointers.push_back({"o_parts[" + std::to_string(i) + "]",
                               oParts[i].data});
    launch.pointers.push_back({"lse_parts[" + std::to_string(i) + "]",
                               lseParts[i].data});
  }
  const unsigned threads = static_cast<unsigned>(m.cuda->mergeThreads);
  const long long rows = shape[0] * shape[1] * shape[2];
  return pkg->cuda.run(pkg->dir, m, launch, stream, [&](CudaSession &s) {
    void *device = nullptr;
    Error e;
    if ((e = s.alloc(sizeof(AttncMergePart) * table.size(), device))
            .failed() ||
        (e = s.toDevice(device, table.data(),
                        sizeof(AttncMergePart) * table.size()))
            .failed())
      return e;
    AttncKernelArgs call = launch.args;
    call.scratch[0] = device;
    void *params[] = {&call};
    return s.launch(m.cuda->mergeKernel,
                    (rows + threads / 32 - 1) / (threads / 32), threads,
                    params);
  });
}

/// attnc_block_mask_build_cuda: the builder kernels in a session, the mask
/// kept in device memory, its counts read back (the stream synchronizes).
Error buildCudaBlockMask(attnc_package *pkg, const CallTensors &t,
                         void *stream, attnc_block_mask **out) {
  if (!out)
    return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
  *out = nullptr;
  if (!pkg)
    return nullPackage();
  const Manifest &m = pkg->manifest;
  if (!m.cuda)
    return makeError(ATTNC_ERROR_UNSUPPORTED,
                     "package '" + m.name + "' has no CUDA code");
  // queueBlockMask says so when the package has no builder.
  CudaLaunch launch;
  Error e = checkArguments(m, t, Target::Cuda, launch.args, &launch.pointers);
  if (e.failed())
    return e;
  launch.heads = m.heads;
  auto mask = std::make_unique<attnc_block_mask>();
  e = pkg->cuda.run(pkg->dir, m, launch, stream, [&](CudaSession &s) {
    Error e = queueBlockMask(s, m, launch.args, /*keep=*/true, mask->device);
    if (e.failed()) {
      if (mask->device.base)
        freeCudaMemory(s.context(), mask->device.base);
      mask->device.base = nullptr;
      return e;
    }
    mask->onDevice = true;
    mask->cudaContext = s.context();
    // [tiles, full tiles, static-plan tiles], after the builders ran.
    unsigned long long totals[3] = {0, 0, 0};
    if ((e = s.toHost(totals, mask->device.totals, sizeof(totals))).failed())
      return e;
    mask->deviceNnz = static_cast<long long>(totals[0]);
    mask->fullCount = static_cast<long long>(totals[1]);
    mask->staticTiles = static_cast<long long>(totals[2]);
    return success();
  });
  if (e.failed())
    return e;
  mask->pkg = pkg;
  mask->batch = launch.args.batch;
  mask->qLen = launch.args.q_len;
  mask->kvLen = launch.args.kv_len;
  mask->heads = mask->device.heads;
  mask->qBlocks = static_cast<int>(mask->device.qBlocks);
  mask->kBlocks = static_cast<int>(mask->device.kBlocks);
  *out = mask.release();
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Errors and versions
//===----------------------------------------------------------------------===//

const char *attnc_last_error(void) { return tLastError.c_str(); }

const char *attnc_status_name(int status) {
  switch (status) {
  case ATTNC_OK:
    return "ATTNC_OK";
  case ATTNC_ERROR_INVALID_ARGUMENT:
    return "ATTNC_ERROR_INVALID_ARGUMENT";
  case ATTNC_ERROR_IO:
    return "ATTNC_ERROR_IO";
  case ATTNC_ERROR_MANIFEST:
    return "ATTNC_ERROR_MANIFEST";
  case ATTNC_ERROR_UNSUPPORTED:
    return "ATTNC_ERROR_UNSUPPORTED";
  case ATTNC_ERROR_LOAD:
    return "ATTNC_ERROR_LOAD";
  case ATTNC_ERROR_KERNEL:
    return "ATTNC_ERROR_KERNEL";
  case ATTNC_ERROR_CUDA_UNAVAILABLE:
    return "ATTNC_ERROR_CUDA_UNAVAILABLE";
  case ATTNC_ERROR_CUDA:
    return "ATTNC_ERROR_CUDA";
  case ATTNC_ERROR_COMPILE:
    return "ATTNC_ERROR_COMPILE";
  case ATTNC_ERROR_OUT_OF_MEMORY:
    return "ATTNC_ERROR_OUT_OF_MEMORY";
  case ATTNC_ERROR_INTERNAL:
    return "ATTNC_ERROR_INTERNAL";
  case ATTNC_ERROR_SIGNATURE:
    return "ATTNC_ERROR_SIGNATURE";
  }
  return "unknown";
}

const char *attnc_dtype_name(attnc_dtype dtype) {
  switch (dtype) {
  case ATTNC_F32:
    return "f32";
  case ATTNC_F16:
    return "f16";
  case ATTNC_BF16:
    return "bf16";
  case ATTNC_I32:
    return "i32";
  default:
    return "unknown";
  }
}

int attnc_abi_version(void) { return ATTNC_ABI_VERSION; }

const char *attnc_runtime_version(void) { return ATTNC_RUNTIME_VERSION; }

//===----------------------------------------------------------------------===//
// Packages
//===----------------------------------------------------------------------===//

int attnc_package_open(const char *dir, attnc_package **out) {
  return guarded([&] { return openPackage(dir, out); });
}

void attnc_package_close(attnc_package *pkg) { delete pkg; }

const char *attnc_package_dir(const attnc_package *pkg) {
  return pkg ? pkg->dir.c_str() : nullptr;
}

const char *attnc_package_name(const attnc_package *pkg) {
  return pkg ? pkg->manifest.name.c_str() : nullptr;
}

const char *attnc_package_family(const attnc_package *pkg) {
  return pkg ? pkg->manifest.family.c_str() : nullptr;
}

const char *attnc_package_normalize(const attnc_package *pkg) {
  return pkg ? pkg->manifest.normalize.c_str() : nullptr;
}

const char *attnc_package_spec_hash(const attnc_package *pkg) {
  return pkg ? pkg->manifest.specHash.c_str() : nullptr;
}

const char *attnc_package_attnc_version(const attnc_package *pkg) {
  return pkg ? pkg->manifest.attncVersion.c_str() : nullptr;
}

attnc_dtype attnc_package_dtype(const attnc_package *pkg) {
  return pkg ? pkg->manifest.dtype : ATTNC_F32;
}

int attnc_package_heads(const attnc_package *pkg) {
  return pkg ? pkg->manifest.heads : 0;
}

int attnc_package_kv_heads(const attnc_package *pkg) {
  return pkg ? pkg->manifest.kvHeads : 0;
}

int attnc_package_head_dim(const attnc_package *pkg) {
  return pkg ? pkg->manifest.headDim : 0;
}

int attnc_package_value_dim(const attnc_package *pkg) {
  return pkg ? pkg->manifest.valueDim : 0;
}

int attnc_package_has_lse(const attnc_package *pkg) {
  return pkg && pkg->manifest.hasLse;
}

int attnc_package_has_state(const attnc_package *pkg) {
  return pkg && pkg->manifest.hasState;
}

int attnc_package_feature_dim(const attnc_package *pkg) {
  return pkg ? pkg->manifest.featureDim : 0;
}

int attnc_package_has_cpu(const attnc_package *pkg) {
  return pkg && pkg->manifest.cpu.has_value();
}

int attnc_package_has_cuda(const attnc_package *pkg) {
  return pkg && pkg->manifest.cuda.has_value();
}

int attnc_package_num_params(const attnc_package *pkg) {
  return pkg ? static_cast<int>(pkg->manifest.params.size()) : 0;
}

int attnc_package_param(const attnc_package *pkg, int index,
                        attnc_param_info *out) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    if (!out)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
    const auto &params = pkg->manifest.params;
    if (index < 0 || static_cast<size_t>(index) >= params.size())
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       "param index " + std::to_string(index) +
                           " is out of range: package '" + pkg->manifest.name +
                           "' has " + std::to_string(params.size()) +
                           " params");
    out->name = params[index].name.c_str();
    out->dtype = params[index].dtype;
    out->dims = params[index].dims.c_str();
    return success();
  });
}

int attnc_package_schedule(const attnc_package *pkg, attnc_schedule *out) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    if (!out)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
    *out = pkg->manifest.schedule;
    return success();
  });
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

int attnc_run_cpu(attnc_package *pkg, const attnc_tensor *q,
                  const attnc_tensor *k, const attnc_tensor *v,
                  const attnc_tensor *o, const attnc_tensor *lse,
                  const attnc_tensor *params, int num_params) {
  return guarded([&] {
    return runCpu(pkg, CallTensors{q, k, v, o, lse, params, num_params});
  });
}

int attnc_launch_cuda(attnc_package *pkg, const attnc_tensor *q,
                      const attnc_tensor *k, const attnc_tensor *v,
                      const attnc_tensor *o, const attnc_tensor *lse,
                      const attnc_tensor *params, int num_params,
                      void *cuda_stream) {
  return guarded([&] {
    return launchCuda(pkg, CallTensors{q, k, v, o, lse, params, num_params},
                      cuda_stream);
  });
}

int attnc_package_has_ragged_cpu(const attnc_package *pkg) {
  return pkg && pkg->manifest.cpu && pkg->manifest.cpu->ragged ? 1 : 0;
}

int attnc_package_has_ragged_cuda(const attnc_package *pkg) {
  return pkg && pkg->manifest.cuda && pkg->manifest.cuda->ragged ? 1 : 0;
}

int attnc_run_cpu_varlen(attnc_package *pkg, const attnc_tensor *q,
                         const attnc_tensor *k, const attnc_tensor *v,
                         const attnc_tensor *o, const attnc_tensor *lse,
                         const attnc_tensor *params, int num_params,
                         const attnc_varlen *varlen) {
  return guarded([&] {
    if (!varlen)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "varlen is null");
    CallTensors t{q, k, v, o, lse, params, num_params};
    t.varlen = varlen;
    return runCpu(pkg, t);
  });
}

int attnc_launch_cuda_varlen(attnc_package *pkg, const attnc_tensor *q,
                             const attnc_tensor *k, const attnc_tensor *v,
                             const attnc_tensor *o, const attnc_tensor *lse,
                             const attnc_tensor *params, int num_params,
                             const attnc_varlen *varlen, void *cuda_stream) {
  return guarded([&] {
    if (!varlen)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "varlen is null");
    CallTensors t{q, k, v, o, lse, params, num_params};
    t.varlen = varlen;
    return launchCuda(pkg, t, cuda_stream);
  });
}

int attnc_run_cpu_paged(attnc_package *pkg, const attnc_tensor *q,
                        const attnc_tensor *k_pages,
                        const attnc_tensor *v_pages, const attnc_tensor *o,
                        const attnc_tensor *lse, const attnc_tensor *params,
                        int num_params, const attnc_paged_kv *paged) {
  return guarded([&] {
    if (!paged)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "paged is null");
    CallTensors t{q, k_pages, v_pages, o, lse, params, num_params};
    t.paged = paged;
    return runCpu(pkg, t);
  });
}

int attnc_launch_cuda_paged(attnc_package *pkg, const attnc_tensor *q,
                            const attnc_tensor *k_pages,
                            const attnc_tensor *v_pages,
                            const attnc_tensor *o, const attnc_tensor *lse,
                            const attnc_tensor *params, int num_params,
                            const attnc_paged_kv *paged, void *cuda_stream) {
  return guarded([&] {
    if (!paged)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "paged is null");
    CallTensors t{q, k_pages, v_pages, o, lse, params, num_params};
    t.paged = paged;
    return launchCuda(pkg, t, cuda_stream);
  });
}

int attnc_run_cpu_state(attnc_package *pkg, const attnc_tensor *q,
                        const attnc_tensor *k, const attnc_tensor *v,
                        const attnc_tensor *o, const attnc_tensor *lse,
                        const attnc_tensor *params, int num_params,
                        const attnc_linear_state *state) {
  return guarded([&] {
    return runCpu(pkg, CallTensors{q, k, v, o, lse, params, num_params, state});
  });
}

int attnc_launch_cuda_state(attnc_package *pkg, const attnc_tensor *q,
                            const attnc_tensor *k, const attnc_tensor *v,
                            const attnc_tensor *o, const attnc_tensor *lse,
                            const attnc_tensor *params, int num_params,
                            const attnc_linear_state *state,
                            void *cuda_stream) {
  return guarded([&] {
    return launchCuda(pkg,
                      CallTensors{q, k, v, o, lse, params, num_params, state},
                      cuda_stream);
  });
}

int attnc_package_has_cpu_backward(const attnc_package *pkg) {
  return pkg && pkg->manifest.cpu && !pkg->manifest.cpu->backwardEntry.empty();
}

int attnc_package_param_has_grad(const attnc_package *pkg, int index) {
  return pkg && index >= 0 &&
         static_cast<size_t>(index) < pkg->manifest.params.size() &&
         pkg->manifest.params[index].grad;
}

int attnc_run_cpu_backward(attnc_package *pkg, const attnc_tensor *q,
                           const attnc_tensor *k, const attnc_tensor *v,
                           const attnc_tensor *o, const attnc_tensor *lse,
                           const attnc_tensor *params, int num_params,
                           const attnc_backward_tensors *grads) {
  return guarded([&] {
    return runCpuBackward(pkg, CallTensors{q, k, v, o, lse, params, num_params},
                          grads);
  });
}

int attnc_run_cpu_backward_block_mask(attnc_package *pkg,
                                      const attnc_tensor *q,
                                      const attnc_tensor *k,
                                      const attnc_tensor *v,
                                      const attnc_tensor *o,
                                      const attnc_tensor *lse,
                                      const attnc_tensor *params,
                                      int num_params,
                                      const attnc_backward_tensors *grads,
                                      const attnc_block_mask *mask) {
  return guarded([&] {
    if (!mask)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "mask is null");
    return runCpuBackward(pkg, CallTensors{q, k, v, o, lse, params, num_params},
                          grads, mask);
  });
}

int attnc_package_has_cuda_backward(const attnc_package *pkg) {
  return pkg && pkg->manifest.cuda &&
         !pkg->manifest.cuda->backwardRowsKernel.empty();
}

int attnc_launch_cuda_backward(attnc_package *pkg, const attnc_tensor *q,
                               const attnc_tensor *k, const attnc_tensor *v,
                               const attnc_tensor *o, const attnc_tensor *lse,
                               const attnc_tensor *params, int num_params,
                               const attnc_backward_tensors *grads,
                               void *cuda_stream) {
  return guarded([&] {
    return launchCudaBackward(
        pkg, CallTensors{q, k, v, o, lse, params, num_params}, grads,
        cuda_stream);
  });
}

int attnc_launch_cuda_backward_block_mask(
    attnc_package *pkg, const attnc_tensor *q, const attnc_tensor *k,
    const attnc_tensor *v, const attnc_tensor *o, const attnc_tensor *lse,
    const attnc_tensor *params, int num_params,
    const attnc_backward_tensors *grads, const attnc_block_mask *mask,
    void *cuda_stream) {
  return guarded([&] {
    if (!mask)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "mask is null");
    return launchCudaBackward(
        pkg, CallTensors{q, k, v, o, lse, params, num_params}, grads,
        cuda_stream, mask);
  });
}

int attnc_merge_states_cpu(const attnc_tensor *o_parts,
                           const attnc_tensor *lse_parts, int parts,
                           const attnc_tensor *o, const attnc_tensor *lse) {
  return guarded(
      [&] { return mergeStatesCpu(o_parts, lse_parts, parts, o, lse); });
}

int attnc_package_has_cuda_merge(const attnc_package *pkg) {
  return pkg && pkg->manifest.cuda && !pkg->manifest.cuda->mergeKernel.empty();
}

int attnc_merge_states_cuda(attnc_package *pkg, const attnc_tensor *o_parts,
                            const attnc_tensor *lse_parts, int parts,
                            const attnc_tensor *o, const attnc_tensor *lse,
                            void *cuda_stream) {
  return guarded([&] {
    return mergeStatesCuda(pkg, o_parts, lse_parts, parts, o, lse,
                           cuda_stream);
  });
}

int attnc_package_set_kv_splits(attnc_package *pkg, int splits) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    if (splits < 0)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT,
                       "kv splits must be 0 (automatic), 1 (never) or more, "
                       "got " +
                           std::to_string(splits));
    pkg->kvSplits = splits;
    return success();
  });
}

int attnc_package_max_kv_splits(const attnc_package *pkg) {
  return pkg && pkg->manifest.cuda ? pkg->manifest.cuda->maxKvSplits : 0;
}

int attnc_package_set_auto_block_mask(attnc_package *pkg, int enabled) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    pkg->autoBlockMask = enabled != 0;
    return success();
  });
}

int attnc_package_auto_block_mask(const attnc_package *pkg) {
  if (!pkg)
    return 0;
  const attnc::rt::Manifest &m = pkg->manifest;
  const bool asked = (m.cpu && m.cpu->autoBlockMask) ||
                     (m.cuda && m.cuda->autoBlockMask);
  return asked && pkg->autoBlockMask ? 1 : 0;
}

int attnc_package_has_block_mask(const attnc_package *pkg) {
  return pkg && pkg->manifest.cpu && !pkg->manifest.cpu->blockMaskEntry.empty();
}

int attnc_block_mask_build_cpu(attnc_package *pkg, const attnc_tensor *q,
                               const attnc_tensor *k, const attnc_tensor *v,
                               const attnc_tensor *params, int num_params,
                               attnc_block_mask **out) {
  return guarded([&] {
    CallTensors t{q, k, v, nullptr, nullptr, params, num_params};
    t.noOutput = true;
    return buildBlockMask(pkg, t, out);
  });
}

void attnc_block_mask_free(attnc_block_mask *mask) { delete mask; }

int attnc_block_mask_get_info(const attnc_block_mask *mask,
                              attnc_block_mask_info *out) {
  return guarded([&] {
    if (!mask)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "block mask is null");
    if (!out)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "out is null");
    attnc_block_mask_info info{};
    info.batch = mask->batch;
    info.q_len = mask->qLen;
    info.kv_len = mask->kvLen;
    info.heads = mask->heads;
    info.q_blocks = mask->qBlocks;
    info.k_blocks = mask->kBlocks;
    info.full = mask->fullCount;
    info.static_tiles = mask->staticTiles;
    info.on_device = mask->onDevice ? 1 : 0;
    if (mask->onDevice) {
      info.rows = mask->device.rows;
      info.nnz = mask->deviceNnz;
      info.row_ptr = mask->device.rowPtr;
      info.col = mask->device.col;
      info.full_flags = mask->device.full;
    } else {
      info.rows = static_cast<long long>(mask->rowPtr.size()) - 1;
      info.nnz = static_cast<long long>(mask->col.size());
      info.row_ptr = mask->rowPtr.data();
      info.col = mask->col.data();
      info.full_flags = mask->full.data();
    }
    info.partial = info.nnz - info.full;
    *out = info;
    return success();
  });
}

int attnc_run_cpu_block_mask(attnc_package *pkg, const attnc_tensor *q,
                             const attnc_tensor *k, const attnc_tensor *v,
                             const attnc_tensor *o, const attnc_tensor *lse,
                             const attnc_tensor *params, int num_params,
                             const attnc_block_mask *mask) {
  return guarded([&] {
    return runCpu(pkg, CallTensors{q, k, v, o, lse, params, num_params},
                  mask);
  });
}

int attnc_package_has_cuda_block_mask(const attnc_package *pkg) {
  return pkg && pkg->manifest.cuda &&
         !pkg->manifest.cuda->blockMaskKernel.empty();
}

int attnc_block_mask_build_cuda(attnc_package *pkg, const attnc_tensor *q,
                                const attnc_tensor *k, const attnc_tensor *v,
                                const attnc_tensor *params, int num_params,
                                void *cuda_stream, attnc_block_mask **out) {
  return guarded([&] {
    CallTensors t{q, k, v, nullptr, nullptr, params, num_params};
    t.noOutput = true;
    return buildCudaBlockMask(pkg, t, cuda_stream, out);
  });
}

int attnc_launch_cuda_block_mask(attnc_package *pkg, const attnc_tensor *q,
                                 const attnc_tensor *k, const attnc_tensor *v,
                                 const attnc_tensor *o,
                                 const attnc_tensor *lse,
                                 const attnc_tensor *params, int num_params,
                                 const attnc_block_mask *mask,
                                 void *cuda_stream) {
  return guarded([&] {
    if (!mask)
      return makeError(ATTNC_ERROR_INVALID_ARGUMENT, "block mask is null");
    return launchCuda(pkg, CallTensors{q, k, v, o, lse, params, num_params},
                      cuda_stream, mask);
  });
}

int attnc_prepare_cuda(attnc_package *pkg, void *cuda_stream) {
  return guarded([&] {
    if (!pkg)
      return nullPackage();
    if (!pkg->manifest.cuda)
      return makeError(ATTNC_ERROR_UNSUPPORTED,
                       "package '" + pkg->manifest.name + "' has no CUDA code");
    return pkg->cuda.prepare(pkg->dir, pkg->manifest, cuda_stream);
  });
}
