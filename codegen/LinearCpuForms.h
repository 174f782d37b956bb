//===- LinearCpuForms.h - Kernel forms of the linear CPU backend -*- C++ -*-===//
//
// The linear CPU kernel as the chunk plan describes it, and the pieces of it
// that LinearCpuForms.cpp emits: the chunk-parallel form, the recurrent
// decode step and the entry point that chooses among the forms by shape.
// Private to codegen: LinearCpuEmitter.cpp emits the shared helpers these
// forms call (attnc_load_keys, attnc_chunk_gates, attnc_add_state,
// attnc_chunk_out, attnc_phi, attnc_decay).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_LINEARCPUFORMS_H
#define ATTNC_CODEGEN_LINEARCPUFORMS_H

#include "dialect/AttnOps.h"

#include "llvm/Support/raw_ostream.h"

#include <string>

namespace attnc {

/// What the emitters need from `#attn.chunk_plan`, `#attn.cpu_plan` and the
/// op, read once.
struct LinearKernelPlan {
  int64_t chunk = 0;
  int64_t subChunk = 0;
  mlir::attn::DecayClass decay = mlir::attn::DecayClass::none;
  bool delta = false;
  bool bidirectional = false;
  bool normalizeSum = false;
  bool sequential = false;    ///< form `sequential` is emitted
  bool chunkParallel = false; ///< form `chunk_parallel` is emitted
  bool step = false;          ///< form `recurrent_step` is emitted
  /// The chunk-parallel form keeps phi(k) and v from phase 1 for phase 3
  /// (the CPU plan's memo_keys).
  bool memoKeys = false;
  std::string betaRead;       ///< delta rule: beta of (b, h, n = 0)
};

/// Reads the plans attached by attn-plan-chunks and attn-plan-kernel; an
/// error on `op` when one is missing.
mlir::FailureOr<LinearKernelPlan>
readLinearPlan(mlir::attn::LinearAttentionOp op);

/// `attnc_chunk_parallel`: phase 1 the chunks' local states, phase 2 a scan
/// over chunk states per (head, state row), phase 3 the chunks' outputs.
void emitChunkParallelForm(const LinearKernelPlan &plan,
                           llvm::raw_ostream &os);

/// `attnc_decode_step`: one token against the carried state, no chunk
/// buffers.
void emitRecurrentStep(const LinearKernelPlan &plan, llvm::raw_ostream &os);

/// The extern "C" entry point `name`: the step when Nq == Nk == 1, else
/// chunk-parallel or sequential by the plan and, when both are emitted, by
/// shape.
void emitLinearEntry(const LinearKernelPlan &plan, llvm::StringRef name,
                     llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_LINEARCPUFORMS_H
