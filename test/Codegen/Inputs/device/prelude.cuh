//===- prelude.cuh - What a kernel holds before its device code -*- CUDA
//-*-===//
//
// The standalone translation units in this folder compile each file of
// codegen/device/ with only what its banner says it needs. This header is
// "the prelude" their banners name: what codegen/KernelPrelude.cpp
// (emitPrelude) prints at the top of every CUDA kernel, for storage bf16
// (f32 when ATTNC_TEST_F32 is defined). The kernel ABI and the scalar
// helpers are included from their real files, as the emitter embeds them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TEST_DEVICE_PRELUDE_CUH
#define ATTNC_TEST_DEVICE_PRELUDE_CUH

#ifndef ATTNC_TEST_F32
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif
#include <cuda_runtime.h>

#include "runtime/include/attnc/kernel_abi.h"
#include "codegen/device/scalar_helpers.h"

#ifdef ATTNC_TEST_F32
typedef float storage_t;
ATTNC_HD float attnc_load(const storage_t *p) { return *p; }
ATTNC_HD void attnc_store(storage_t *p, float v) { *p = v; }
#else
typedef __nv_bfloat16 storage_t;
ATTNC_HD float attnc_load(const storage_t *p) { return __bfloat162float(*p); }
ATTNC_HD void attnc_store(storage_t *p, float v) {
  *p = __float2bfloat16_rn(v);
}
#endif

#endif // ATTNC_TEST_DEVICE_PRELUDE_CUH
