// ==== codegen/device/merge_states.cuh: CUDA: merging softmax (o, lse) pairs (attnc_merge_states_cuda) ====
// Embedded verbatim into the softmax family's emitted kernels (codegen/CudaEmitter.cpp), after the
// prelude (AttncKernelArgs, AttncMergePart, storage_t with attnc_load and attnc_store, attnc_inf,
// attnc_nan; with ATTNC_SPLIT_MERGE_KERNEL also sequence.h). The emitter defines ATTNC_MERGE_KERNEL,
// H and DV, and ATTNC_SPLIT_MERGE_KERNEL for a plan with kv_splits.
// One warp per row of [B, H, Nq]: m = max_i lse_i; w_i = exp(lse_i - m), 0 for lse_i = -inf (that
// part's o is not read); lse = m + log(sum w_i); o = sum w_i o_i / sum w_i. Every part -inf:
// o = 0, lse = -inf. A NaN or +inf lse: the row is NaN. The same rules as the host merge
// (runtime/lib/MergeStates.cpp), in float. Arguments (docs/runtime.md §3d): o, o_strides, lse,
// batch and q_len of the result; kv_len the number of parts; scratch[0] the AttncMergePart array.
// No __launch_bounds__: with it ptxas aims at full occupancy, caps the kernel at 32 registers and
// spills for DV = 32 (natten_2d); without it the kernel takes 40 and spills nothing.
#define ATTNC_MERGE_THREADS 256
// Float loads of a part's o row: the storage dtype (attnc_merge_states_cuda's parts) or float
// (split-KV's partials).
template <class T> __device__ __forceinline__ float attnc_part_load(const T *p) { return attnc_load(p); }
template <> __device__ __forceinline__ float attnc_part_load<float>(const float *p) { return *p; }
// One row, by one warp: part i's lse is lse_at(i), its o row o_at(i). Writes DV values of `out`
// and returns the merged lse.
template <class LseAt, class OAt>
__device__ __forceinline__ float attnc_merge_row(long long parts, LseAt lse_at, OAt o_at, storage_t *out, int lane) {
  float m = -attnc_inf();
  bool poisoned = false;
  for (long long i = 0; i < parts; ++i) {
    const float l = lse_at(i);
    poisoned |= l != l || l == attnc_inf();
    m = l > m ? l : m;
  }
  float sum = 0.0f;
  if (!poisoned && m != -attnc_inf())
    for (long long i = 0; i < parts; ++i) {
      const float l = lse_at(i);
      sum += l == -attnc_inf() ? 0.0f : expf(l - m);
    }
  for (int e = lane; e < DV; e += 32) {
    float acc = 0.0f;
    if (poisoned) {
      acc = attnc_nan();
    } else if (sum > 0.0f) {
      for (long long i = 0; i < parts; ++i) {
        const float l = lse_at(i);
        if (l == -attnc_inf()) continue; // the part saw no visible key
        acc += expf(l - m) * attnc_part_load(o_at(i) + e);
      }
      acc /= sum;
    }
    attnc_store(out + e, acc);
  }
  return poisoned ? attnc_nan() : sum > 0.0f ? m + logf(sum) : -attnc_inf();
}

extern "C" __global__ void ATTNC_MERGE_KERNEL(const AttncKernelArgs a) {
  const long long row = (long long)blockIdx.x * (ATTNC_MERGE_THREADS / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const long long Nq = a.q_len, parts = a.kv_len;
  if (row >= a.batch * H * Nq) return; // the whole warp; no barrier here
  const AttncMergePart *part = (const AttncMergePart *)a.scratch[0];
  const long long n = row % Nq, h = (row / Nq) % H, b = row / (Nq * H);
  storage_t *out = (storage_t *)a.o + b * a.o_strides.s[0] + h * a.o_strides.s[1] + n * a.o_strides.s[2];
  const float lse = attnc_merge_row(
      parts, [&](long long i) { return part[i].lse[row]; },
      [&](long long i) {
        const AttncStrides4 &st = part[i].o_strides;
        return (const storage_t *)part[i].o + b * st.s[0] + h * st.s[1] + n * st.s[2];
      },
      out, lane);
  if (lane == 0) a.lse[row] = lse;
}

#ifdef ATTNC_SPLIT_MERGE_KERNEL
// Split-KV decode's merge (docs/runtime.md §3g): the attention kernel's kv_splits partial
// (o, lse) pairs of lse row i (split_o, split_lse) into o and lse (if given), one warp per row.
// Row i is [b, h, n] of a dense call, or [h, token] of packed queries (cu_seqlens_q in device
// memory). Launched with the attention kernel's arguments, grid ceil(R / 8).
extern "C" __global__ void ATTNC_SPLIT_MERGE_KERNEL(const AttncKernelArgs a) {
  const long long row = (long long)blockIdx.x * (ATTNC_MERGE_THREADS / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const long long R = attnc_lse_rows(a, H);
  if (row >= R) return; // the whole warp; no barrier here
  storage_t *out = (storage_t *)a.o;
  if (a.cu_seqlens_q) {
    const long long total = R / H;
    out += (row / total) * a.o_strides.s[1] + (row % total) * a.o_strides.s[2];
  } else {
    const long long Nq = a.q_len, n = row % Nq, h = (row / Nq) % H, b = row / (Nq * H);
    out += b * a.o_strides.s[0] + h * a.o_strides.s[1] + n * a.o_strides.s[2];
  }
  const float lse = attnc_merge_row(
      a.kv_splits, [&](long long s) { return a.split_lse[s * R + row]; },
      [&](long long s) { return (const float *)a.split_o + (s * R + row) * DV; }, out, lane);
  if (lane == 0 && a.lse) a.lse[row] = lse;
}
#endif
