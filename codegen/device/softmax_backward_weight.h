// ==== codegen/device/softmax_backward_weight.h: the backward's weight of one visible (q, k) (both targets, ATTNC_HD) ====
// Embedded verbatim before the CPU and the CUDA backward (codegen/BackwardCpuEmitter.cpp,
// BackwardCudaEmitter.cpp); needs scalar_helpers.h (ATTNC_HD, attnc_inf) and expf (and
// __expf under ATTNC_BWD_FAST_EXP).
// From the score t and the forward's row statistic `stat` (lse under softmax, the row's sum of
// scores under sum): the forward's weight P (returned) and dt = dL/dt, from dp = dO . v and
// delta = dO . o. normalize: 0 softmax (P = exp(t - lse)), 1 sum (P = t / sum), 2 none (P = t).
// The exponential: expf, or with ATTNC_BWD_FAST_EXP (the tensor-core CUDA backward, whose
// forward computed lse with __expf) __expf in device code and on the CUDA emulator.
ATTNC_HD float attnc_bwd_exp(float x) {
#if defined(ATTNC_BWD_FAST_EXP) && (defined(__CUDA_ARCH__) || defined(ATTNC_CUDA_EMULATE))
  return __expf(x);
#else
  return expf(x);
#endif
}
ATTNC_HD float attnc_bwd_weight(int normalize, float t, float stat, float dp, float delta,
                                float *dt) {
  if (normalize == 0) {
    const float p = stat == -attnc_inf() ? 0.0f : attnc_bwd_exp(t - stat);
    *dt = p * (dp - delta);
    return p;
  }
  if (normalize == 1) {
    *dt = stat != 0.0f ? (dp - delta) / stat : 0.0f;
    return stat != 0.0f ? t / stat : 0.0f;
  }
  *dt = dp;
  return t;
}
