// ==== codegen/device/softmax_row_scale.cuh: the row normalizer of the softmax kernels ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// The factor a row's accumulator is multiplied by at the end, from the
// row's sum l: 1/l for softmax (0 for an empty row), 1/l for sum (0 when
// the sum is 0), 1 for none. Shared by both kernel bodies.
// Configured by ATTNC_NORMALIZE (0 softmax, 1 sum, 2 none); needs nothing
// else before it.
__device__ __forceinline__ float attnc_row_scale(float l) {
#if ATTNC_NORMALIZE == 0
  return l > 0.0f ? 1.0f / l : 0.0f;
#elif ATTNC_NORMALIZE == 1
  return l != 0.0f ? 1.0f / l : 0.0f;
#else
  (void)l;
  return 1.0f;
#endif
}
