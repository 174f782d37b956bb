// ==== codegen/device/linear_helpers.cuh: the linear kernel helpers: log-space gates, row loads, chunk gates ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// Helpers: the log-space gate, row loads and the chunk's gates.
// Configured by D, DV, DVT, F, CH, NT and ATTNC_DECAY; needs the prelude and,
// with a gate (ATTNC_DECAY 1 or 2), the spec's attnc_decay.
// log|gate| in double and the gate's sign: chunks multiply gates through
// exp(A_i - A_j) of cumulative sums of these logs, so no product of gates
// underflows and nothing is divided by a gate. A zero gate becomes -1e4
// (exp gives exactly 0) rather than -inf, whose differences would be NaN.
__device__ __forceinline__ void attnc_log_gate(float gate, double *log_abs, float *sign) {
  const double a = fabs((double)gate);
  *log_abs = a == 0.0 ? -1e4 : log(a);
  *sign = gate < 0.0f ? -1.0f : 1.0f;
}

// X[r][0..D) = row row0 + r of a [*, D] tensor for r in [lo, hi), else 0.
__device__ __forceinline__ void attnc_load_rows(float *X, const storage_t *base, long long stride,
                                                long long row0, int lo, int hi) {
  for (int i = threadIdx.x; i < CH * D; i += NT) {
    const int r = i / D, c = i % D;
    X[i] = (r >= lo && r < hi) ? attnc_load(base + (row0 + r) * stride + c) : 0.0f;
  }
}

// Vt[j][0..DVT) = columns [e0, e0 + DVT) of value row t0 + j for j < L, else 0.
__device__ __forceinline__ void attnc_load_values(float *Vt, const storage_t *vp, long long stride,
                                                  long long t0, int L, int e0) {
  for (int i = threadIdx.x; i < CH * DVT; i += NT) {
    const int j = i / DVT, e = i % DVT;
    Vt[i] = (j < L && e0 + e < DV) ? attnc_load(vp + (t0 + j) * stride + e0 + e) : 0.0f;
  }
}

#if ATTNC_DECAY != 0
// A[m] (per channel for a vector gate: A[m * F + f]) is the sum of log|gate|
// over the chunk's rows 0..m-1 and SG[m] the product of signs, so the decay
// from row j to row i (rows j+1..i) is SG[i+1] SG[j+1] exp(A[i+1] - A[j+1]).
// The logs are taken in parallel; the prefix sums run in row order, as on
// the CPU. Ends with a barrier.
__device__ __forceinline__ void attnc_chunk_gates(const AttncKernelArgs &args, long long b, long long h,
                                  long long t0, int L, double *A, float *SG) {
#if ATTNC_DECAY == 1
  for (int l = threadIdx.x; l < L; l += NT)
    attnc_log_gate(attnc_decay(args, b, h, t0 + l, 0, args.q_len, args.kv_len), &A[l + 1], &SG[l + 1]);
  __syncthreads();
  if (threadIdx.x == 0) {
    A[0] = 0.0;
    SG[0] = 1.0f;
    for (int l = 1; l <= L; ++l) {
      A[l] += A[l - 1];
      SG[l] *= SG[l - 1];
    }
  }
#else
  for (int i = threadIdx.x; i < L * F; i += NT) {
    const int l = i / F, f = i % F;
    attnc_log_gate(attnc_decay(args, b, h, t0 + l, f, args.q_len, args.kv_len), &A[(l + 1) * F + f],
                   &SG[(l + 1) * F + f]);
  }
  __syncthreads();
  for (int f = threadIdx.x; f < F; f += NT) {
    A[f] = 0.0;
    SG[f] = 1.0f;
    for (int l = 1; l <= L; ++l) {
      A[l * F + f] += A[(l - 1) * F + f];
      SG[l * F + f] *= SG[(l - 1) * F + f];
    }
  }
#endif
  __syncthreads();
}
#endif

// The decay from row `from` to row `to` of state row f (both as A indices).
__device__ __forceinline__ float attnc_ratio(const double *A, const float *SG, int to, int from, int f) {
#if ATTNC_DECAY == 0
  (void)A; (void)SG; (void)to; (void)from; (void)f;
  return 1.0f;
#elif ATTNC_DECAY == 1
  (void)f;
  return SG[to] * SG[from] * expf((float)(A[to] - A[from]));
#else
  return SG[to * F + f] * SG[from * F + f] * expf((float)(A[to * F + f] - A[from * F + f]));
#endif
}

// The gate of state row f in the decode step (`gates` holds its values).
__device__ __forceinline__ float attnc_step_gate(const float *gates, int f) {
#if ATTNC_DECAY == 0
  (void)gates; (void)f;
  return 1.0f;
#elif ATTNC_DECAY == 1
  (void)f;
  return gates[0];
#else
  return gates[f];
#endif
}

// sum_f a[f] b[f] ratio(to, from, f): a scalar gate factors out of the sum.
__device__ __forceinline__ float attnc_gated_dot(const float *a, const float *b, const double *A,
                                                 const float *SG, int to, int from) {
  float s = 0.0f;
#if ATTNC_DECAY == 2
  for (int f = 0; f < F; ++f) s += a[f] * b[f] * attnc_ratio(A, SG, to, from, f);
  return s;
#else
  for (int f = 0; f < F; ++f) s += a[f] * b[f];
  return s * attnc_ratio(A, SG, to, from, 0);
#endif
}
