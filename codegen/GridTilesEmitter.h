//===- GridTilesEmitter.h - A grid's box tables as C++ ----------*- C++ -*-===//
//
// Prints the tables of a CPU plan's boxes (lib/Analysis/GridTiles.h) and
// the box walk of codegen/device/cpu_grid_tiles.h that reads them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_GRIDTILESEMITTER_H
#define ATTNC_CODEGEN_GRIDTILESEMITTER_H

#include "codegen/KernelPrelude.h"
#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

namespace attnc {

/// The boxes of `op`'s CPU plan, or empty when it tiles flat positions.
llvm::ArrayRef<int64_t> cpuGridBox(mlir::attn::AttentionOp op);

/// The boxes of `op`'s CUDA plan, or empty when it tiles flat positions.
llvm::ArrayRef<int64_t> cudaGridBox(mlir::attn::AttentionOp op);

/// Emits the grid's class tables and box walk for `op` tiled in boxes of
/// sides `box` on `target`, after the schedule's BQ is defined.
void emitGridTiles(mlir::attn::AttentionOp op, llvm::ArrayRef<int64_t> box,
                   Target target, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_GRIDTILESEMITTER_H
