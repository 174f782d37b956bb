// ==== codegen/device/cpu_split_kv.h: CPU: split-KV decode, partial results and their merge ====
// Embedded into the CPU softmax kernel of a plan with kv_splits (docs/runtime.md §3g), after the
// prelude, sequence.h, H, DV, BK and runtime/include/attnc/kv_splits.h. A call with fewer
// (b, h, q-block) tasks than the machine has threads gives each task's k-tiles to several
// tasks: task (t, s) walks split s, writes its normalized partial o and lse (float) here, and
// attnc_cpu_merge_splits combines the splits of each row exactly as attnc_merge_states does.
#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct AttncCpuSplit {
  long long splits; // > 1
  long long rows;   // R: the lse's element count (attnc_lse_rows)
  float *o;         // [splits, R, DV]
  float *lse;       // [splits, R]
} AttncCpuSplit;

// The splits of a call of `tasks` tasks: args->kv_splits is the caller's request (0: the rule of
// kv_splits.h with this machine's threads, 1: never, n: n), at most `max_splits`. Never with a
// block mask (the split is of the static plan's walk).
static long long attnc_cpu_kv_splits(const AttncKernelArgs *args, long long tasks, long long max_splits) {
  if (args->block_mask) return 1;
#ifdef _OPENMP
  const long long threads = omp_get_max_threads();
#else
  const long long threads = 1;
#endif
  return attnc_choose_kv_splits(tasks, (args->kv_len + BK - 1) / BK, threads, max_splits, args->kv_splits);
}

// Split `split`'s k-tiles [lo, hi) of a sequence of Nk keys.
static inline void attnc_cpu_split_range(const AttncCpuSplit *sp, long long split, long long Nk, long long *lo,
                                         long long *hi) {
  const long long per = ((Nk + BK - 1) / BK + sp->splits - 1) / sp->splits;
  *lo = split * per;
  *hi = *lo + per;
}

// Row `at` (lse index) of split `split`: o = acc * inv, and its lse.
static inline void attnc_cpu_split_store(const AttncCpuSplit *sp, long long split, long long at, const float *acc,
                                         float inv, float lse) {
  float *o = sp->o + (split * sp->rows + at) * DV;
  for (int e = 0; e < DV; ++e) o[e] = acc[e] * inv;
  sp->lse[split * sp->rows + at] = lse;
}

// Every row: lse = log sum exp of the splits' lse (-inf splits weigh 0; a NaN or +inf one makes
// the row NaN), o = the weighted splits; written to o (dense [B, H, Nq] rows, or packed
// [H, total_q]) and lse when given.
static void attnc_cpu_merge_splits(const AttncKernelArgs *args, const AttncCpuSplit *sp) {
  const long long R = sp->rows;
#pragma omp parallel for schedule(static)
  for (long long row = 0; row < R; ++row) {
    storage_t *out = (storage_t *)args->o;
    if (args->cu_seqlens_q) {
      const long long total = R / H;
      out += (row / total) * args->o_strides.s[1] + (row % total) * args->o_strides.s[2];
    } else {
      const long long Nq = args->q_len, n = row % Nq, h = (row / Nq) % H, b = row / (Nq * H);
      out += b * args->o_strides.s[0] + h * args->o_strides.s[1] + n * args->o_strides.s[2];
    }
    float m = -attnc_inf();
    int poisoned = 0;
    for (long long s = 0; s < sp->splits; ++s) {
      const float l = sp->lse[s * R + row];
      poisoned |= l != l || l == attnc_inf();
      m = l > m ? l : m;
    }
    float acc[DV];
    for (int e = 0; e < DV; ++e) acc[e] = 0.0f;
    float sum = 0.0f;
    if (!poisoned && m != -attnc_inf())
      for (long long s = 0; s < sp->splits; ++s) {
        const float l = sp->lse[s * R + row];
        if (l == -attnc_inf()) continue; // the split saw no visible key
        const float w = expf(l - m);
        const float *o = sp->o + (s * R + row) * DV;
        sum += w;
        for (int e = 0; e < DV; ++e) acc[e] += w * o[e];
      }
    for (int e = 0; e < DV; ++e) attnc_store(out + e, poisoned ? attnc_nan() : sum > 0.0f ? acc[e] / sum : 0.0f);
    if (args->lse) args->lse[row] = poisoned ? attnc_nan() : sum > 0.0f ? m + logf(sum) : -attnc_inf();
  }
}
