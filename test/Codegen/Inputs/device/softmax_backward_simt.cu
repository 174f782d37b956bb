//===- softmax_backward_simt.cu - the SIMT backward alone -------*- CUDA -*-===//
//
// codegen/device/softmax_backward_rows.cuh and softmax_backward_simt.cuh
// (the CUDA backward, path backward_simt) with what their banners name: the
// prelude (storage bf16), the spec's mask and score (softmax_spec.cuh) and
// its constants (softmax_config.cuh: H, G, D, DV, kScale), then what
// BackwardCudaEmitter.cpp prints (backward_spec.cuh) for the backward plan's
// tiles (16 x 16, 256 threads).
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"
#include "softmax_config.cuh"

#define BBQ 16
#define BBK 16
#define BNT 256
#include "backward_spec.cuh"

#include "codegen/device/softmax_backward_weight.h"
#include "codegen/device/softmax_backward_rows.cuh"
#include "codegen/device/softmax_backward_simt.cuh"
