//===- hybrid_prologue.cu - hybrid_prologue.cuh alone ----------*- CUDA -*-===//
//
// codegen/device/hybrid_prologue.cuh with what its banner names: the
// prelude, the schedule constants, HF and attnc_hphi (hybrid_spec.cuh) and
// its kernel names and block size.
//
//===----------------------------------------------------------------------===//

#include "prelude.cuh"
#include "softmax_config.cuh"
#include "hybrid_spec.cuh"

#define ATTNC_HY_STATES_KERNEL attnc_test_hybrid_states
#define ATTNC_HY_SCAN_KERNEL attnc_test_hybrid_scan
#define ATTNC_HY_THREADS 256
#include "codegen/device/hybrid_prologue.cuh"
