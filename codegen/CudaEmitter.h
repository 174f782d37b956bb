//===- CudaEmitter.h - The blocked schedule as CUDA C++ ---------*- C++ -*-===//
//
// Translates a scheduled, classified attn.attention into one self-contained
// .cu file (only CUDA toolkit headers) and a C header with its host
// launcher. f16/bf16 run on tensor cores (mma.sync m16n8k16, ldmatrix,
// cp.async double buffering, swizzled shared memory; sm_80 and newer); f32
// runs on a SIMT path.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CUDAEMITTER_H
#define ATTNC_CODEGEN_CUDAEMITTER_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// How the grid's x dimension is sized (y is the heads, z the batch).
enum class CudaGrid {
  QBlocks,    ///< ceil(Nq / block_q): the softmax family
  ValueTiles, ///< CudaLaunchInfo::valueTiles, fixed: the linear family
};

/// Launch configuration the manifest records and the runtime uses.
struct CudaLaunchInfo {
  std::string kernelName;   ///< the __global__ function
  std::string launcherName; ///< the host launcher in the .cu / header
  int64_t blockThreads = 0;
  int64_t sharedBytes = 0; ///< dynamic shared memory per block
  CudaGrid grid = CudaGrid::QBlocks;
  int64_t valueTiles = 0; ///< grid x with CudaGrid::ValueTiles
};

/// Reads the plan of `op`'s CUDA attn.kernel into `plan`; an error on `op`
/// (with the plan pass's reason when no kernel fits) when there is none.
mlir::LogicalResult readCudaPlan(mlir::Operation *op,
                                 mlir::attn::CudaPlanAttr &plan);

/// The launch configuration of `op`'s CUDA plan (an error on `op` when it
/// has none).
mlir::FailureOr<CudaLaunchInfo> cudaLaunchInfo(mlir::Operation *op);

/// Threads per block of every prologue kernel below (the manifest's
/// `cuda.prologue_threads`; the CSR compaction alone runs 1024).
constexpr int64_t kCudaPrologueThreads = 256;
/// The device block-mask builder kernels of a softmax-family `op` (in its
/// .cu): classification, grid (B * heads * q-blocks), and CSR compaction,
/// one block of 1024 threads (docs/runtime.md §3a).
std::string cudaBlockMaskKernelName(mlir::Operation *op);
std::string cudaBlockMaskCsrKernelName(mlir::Operation *op);
/// With `select`: the per-tile mean k (grid B * G * k-blocks) and the
/// selecting builder (grid B * H * q-blocks).
std::string cudaSelectKMeanKernelName(mlir::Operation *op);
std::string cudaSelectKernelName(mlir::Operation *op);
/// With `hybrid`: the prologue kernels filling args.scratch (phi(k) and the
/// tile states, grid B * H * k-blocks; their prefix sums, grid B * H).
std::string cudaHybridStatesKernelName(mlir::Operation *op);

/// The softmax family's merge kernel (attnc_merge_states_cuda).
std::string cudaMergeKernelName(mlir::Operation *op);
/// Split-KV decode's merge kernel (plans with kv_splits, docs/runtime.md
/// §3g).
std::string cudaSplitMergeKernelName(mlir::Operation *op);
/// Its threads per block (codegen/device/merge_states.cuh).
constexpr int64_t kCudaMergeThreads = 256;
std::string cudaHybridScanKernelName(mlir::Operation *op);

/// The host launcher every .cu ends with (guarded from NVRTC): grid
/// (`gridX`, heads, batch) of `threads` threads, `sharedBytes` of dynamic
/// shared memory (opted in above 48 KiB). Needs ATTNC_KERNEL and H.
void emitCudaHostLauncher(llvm::raw_ostream &os, llvm::StringRef launcherName,
                          int64_t sharedBytes, llvm::StringRef gridX,
                          llvm::StringRef threads,
                          llvm::StringRef gridXMeaning);

/// Emits the .cu translation unit of `op`.
mlir::LogicalResult emitCuda(mlir::Operation *op, llvm::raw_ostream &os);

/// Emits the C header declaring the host launcher of `op`.
mlir::LogicalResult emitCudaHeader(mlir::Operation *op, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_CUDAEMITTER_H
