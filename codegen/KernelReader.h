//===- KernelReader.h - What a printer reads from an attn.kernel -*- C++ -*-===//
//
// The emitters translate the kernel level: they find the attn.kernel of an
// op for their target and read it here into the facts their device code is
// configured by (tile sizes from the tile types, stages and the tile walk
// from the k-block loop, the normalizer from the online-softmax or row-sum
// op, a hybrid fold, the chunk, value tile, gates, delta rule and forms of
// a linear kernel). IR they have no translation for is an error at the
// offending op, never silently different code.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_KERNELREADER_H
#define ATTNC_CODEGEN_KERNELREADER_H

#include "dialect/AttnKernelOps.h"

namespace attnc {

/// The attn.kernel of `source` for `target`; an error on `source` (with
/// attn-plan-kernel's reason when the op has no CUDA plan) when there is
/// none.
mlir::FailureOr<mlir::attn::KernelFuncOp>
findKernel(mlir::Operation *source, mlir::attn::Target target);

/// A softmax-family kernel as its printers need it.
struct SoftmaxKernel {
  mlir::attn::KernelFuncOp op;
  int64_t blockQ = 0, blockK = 0;
  /// Head dimensions as the tiles store them (padded on tensor cores).
  int64_t headDim = 0, valueDim = 0;
  int64_t stages = 0;
  mlir::attn::TileWalk walk = mlir::attn::TileWalk::block_map;
  bool onlineSoftmax = false; ///< else the row sum of normalize sum / none
  bool storesLse = false;     ///< the store reads the row maxima
  bool hybrid = false;        ///< a hybrid fold joins the store
  /// The plan's `ragged`: the kernel also takes packed variable-length
  /// batches (AttncKernelArgs::cu_seqlens_q/k).
  bool ragged = false;
  /// The plan's `kv_splits`: the most splits of a sequence's k-tiles
  /// (split-KV decode); 0 for none.
  int64_t kvSplits = 0;
};

/// Reads a kernel of `source`, which must be the q-block load, the
/// accumulators, one k-block loop (loads, Q K^T, score and mask, online
/// softmax or row sum, P V, yield), an optional hybrid fold and the store.
mlir::FailureOr<SoftmaxKernel> readSoftmaxKernel(mlir::attn::KernelFuncOp op);

/// findKernel then readSoftmaxKernel: the `target` kernel of `source`.
mlir::FailureOr<SoftmaxKernel> readSoftmaxKernelOf(mlir::Operation *source,
                                                   mlir::attn::Target target);

/// A linear-family kernel as its printers need it.
struct LinearKernel {
  mlir::attn::KernelFuncOp op;
  int64_t chunk = 0, valueTile = 0, featureDim = 0;
  mlir::attn::DecayClass decay = mlir::attn::DecayClass::none;
  bool delta = false;         ///< a WY transform feeds the updates
  bool normalizeSum = false;  ///< the state carries z
  bool bidirectional = false; ///< the whole state first, no intra weights
  mlir::attn::Intra intra = mlir::attn::Intra::none;
  mlir::attn::Inter inter = mlir::attn::Inter::state_add;
  bool sequential = false, chunkParallel = false, recurrentStep = false;
};

/// Reads a linear kernel: its forms and, from all its chunk loops (which
/// must agree), the chunk's structure.
mlir::FailureOr<LinearKernel> readLinearKernel(mlir::attn::KernelFuncOp op);

/// findKernel then readLinearKernel: the `target` kernel of `source`.
mlir::FailureOr<LinearKernel> readLinearKernelOf(mlir::Operation *source,
                                                 mlir::attn::Target target);

} // namespace attnc

#endif // ATTNC_CODEGEN_KERNELREADER_H
