// ==== codegen/device/merge_states.cuh: CUDA: merging softmax (o, lse) pairs (attnc_merge_states_cuda) ====
// Embedded verbatim into the softmax family's emitted kernels (codegen/CudaEmitter.cpp), after the
// prelude (AttncKernelArgs, AttncMergePart, storage_t with attnc_load and attnc_store, attnc_inf,
// attnc_nan). The emitter defines ATTNC_MERGE_KERNEL, H and DV.
// One warp per row of [B, H, Nq]: m = max_i lse_i; w_i = exp(lse_i - m), 0 for lse_i = -inf (that
// part's o is not read); lse = m + log(sum w_i); o = sum w_i o_i / sum w_i. Every part -inf:
// o = 0, lse = -inf. A NaN or +inf lse: the row is NaN. The same rules as the host merge
// (runtime/lib/MergeStates.cpp), in float. Arguments (docs/runtime.md §3d): o, o_strides, lse,
// batch and q_len of the result; kv_len the number of parts; scratch[0] the AttncMergePart array.
// No __launch_bounds__: with it ptxas aims at full occupancy, caps the kernel at 32 registers and
// spills for DV = 32 (natten_2d); without it the kernel takes 40 and spills nothing.
#define ATTNC_MERGE_THREADS 256
extern "C" __global__ void ATTNC_MERGE_KERNEL(const AttncKernelArgs a) {
  const long long row = (long long)blockIdx.x * (ATTNC_MERGE_THREADS / 32) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  const long long Nq = a.q_len, parts = a.kv_len;
  if (row >= a.batch * H * Nq) return; // the whole warp; no barrier here
  const AttncMergePart *part = (const AttncMergePart *)a.scratch[0];
  const long long n = row % Nq, h = (row / Nq) % H, b = row / (Nq * H);
  float m = -attnc_inf();
  bool poisoned = false;
  for (long long i = 0; i < parts; ++i) {
    const float l = part[i].lse[row];
    poisoned |= l != l || l == attnc_inf();
    m = l > m ? l : m;
  }
  float sum = 0.0f;
  if (!poisoned && m != -attnc_inf())
    for (long long i = 0; i < parts; ++i) {
      const float l = part[i].lse[row];
      sum += l == -attnc_inf() ? 0.0f : expf(l - m);
    }
  storage_t *out = (storage_t *)a.o + b * a.o_strides.s[0] + h * a.o_strides.s[1] + n * a.o_strides.s[2];
  for (int e = lane; e < DV; e += 32) {
    float acc = 0.0f;
    if (poisoned) {
      acc = attnc_nan();
    } else if (sum > 0.0f) {
      for (long long i = 0; i < parts; ++i) {
        const float l = part[i].lse[row];
        if (l == -attnc_inf()) continue; // select: the part saw no visible key
        const AttncStrides4 &st = part[i].o_strides;
        const storage_t *o = (const storage_t *)part[i].o + b * st.s[0] + h * st.s[1] + n * st.s[2];
        acc += expf(l - m) * attnc_load(o + e);
      }
      acc /= sum;
    }
    attnc_store(out + e, acc);
  }
  if (lane == 0)
    a.lse[row] = poisoned ? attnc_nan() : sum > 0.0f ? m + logf(sum) : -attnc_inf();
}
