// ==== codegen/device/sequence.h: one sequence of a call: its lengths, its first rows and where its keys live (both targets) ====
// Embedded verbatim into the softmax kernels, CPU and CUDA (codegen/DeviceSources.h), after the
// prelude (ATTNC_HD, storage_t, AttncKernelArgs) and `#define ATTNC_RAGGED 0|1` (the plan's
// `ragged`: the kernel reads per-sequence lengths, docs/runtime.md §3e and §3f).
//
// Three call shapes reach a ragged kernel, told apart by the null pointers of the ABI:
// - dense: every sequence has the call's Nq and Nk, rows at b * stride[0];
// - packed (cu_seqlens_q/k): sequence b owns the packed rows [cu[b], cu[b + 1]);
// - paged (block_table): keys live in pages of a pool, kv_lens[b] of them; the queries are
//   dense or packed by cu_seqlens_q.
// Positions in masks and scores are always the sequence's own (0-based), so a sequence gets
// exactly what a dense call on it alone would give.
#ifndef ATTNC_RAGGED
#define ATTNC_RAGGED 0
#endif

typedef struct AttncSequence {
  long long Nq, Nk, q0, k0; // lengths; first packed q row and k row (0 unless packed)
} AttncSequence;
ATTNC_HD AttncSequence attnc_sequence(const AttncKernelArgs &args, long long b) {
  AttncSequence s = {args.q_len, args.kv_len, 0, 0};
#if ATTNC_RAGGED
  if (args.cu_seqlens_q) {
    s.q0 = args.cu_seqlens_q[b];
    s.Nq = args.cu_seqlens_q[b + 1] - s.q0;
  }
  if (args.block_table) {
    s.Nk = args.kv_lens[b];
  } else if (args.cu_seqlens_k) {
    s.k0 = args.cu_seqlens_k[b];
    s.Nk = args.cu_seqlens_k[b + 1] - s.k0;
  }
#else
  (void)b;
#endif
  return s;
}

// Where row `row` of head h, batch b writes its lse: [B, H, Nq], or [H, total_q] for packed
// queries. Needs args, h, b, q0 and Nq in scope.
#if ATTNC_RAGGED
#define ATTNC_LSE_AT(row) (args.cu_seqlens_q ? h * args.cu_seqlens_q[args.batch] + q0 + (row) : (b * H + h) * Nq + (row))
#else
#define ATTNC_LSE_AT(row) ((b * H + h) * Nq + (row))
#endif

// The number of lse elements of a call, R: B * H * Nq, or H * total_q for packed queries (the
// row index space of ATTNC_LSE_AT and of split-KV's partial results).
ATTNC_HD long long attnc_lse_rows(const AttncKernelArgs &args, long long heads) {
#if ATTNC_RAGGED
  if (args.cu_seqlens_q) return heads * args.cu_seqlens_q[args.batch];
#endif
  return args.batch * heads * args.q_len;
}

// The k (or v) rows of one (sequence, kv head): contiguous from `base`, or gathered through the
// sequence's block-table row. A page lookup costs one load and a division per key row; the
// tiles stay the logical key positions, so masks, block plans and block masks are unchanged.
typedef struct AttncKvRows {
  const storage_t *base; // key 0 (contiguous), or the pool's kv head g (paged)
  long long row_stride;  // one key within a sequence or a page
  const int *pages;      // the sequence's block-table row, or null
  long long page_size, page_stride;
} AttncKvRows;
ATTNC_HD AttncKvRows attnc_kv_rows(const AttncKernelArgs &args, const void *x, const AttncStrides4 &st,
                                   long long b, long long g, long long k0) {
  AttncKvRows r;
  r.row_stride = st.s[2];
  r.pages = 0;
  r.page_size = 1;
  r.page_stride = 0;
#if ATTNC_RAGGED
  if (args.block_table) {
    r.base = (const storage_t *)x + g * st.s[1];
    r.pages = args.block_table + b * args.block_table_stride;
    r.page_size = args.page_size;
    r.page_stride = st.s[0];
    return r;
  }
#else
  (void)args;
#endif
  r.base = (const storage_t *)x + b * st.s[0] + g * st.s[1] + k0 * st.s[2];
  return r;
}
// Key t's row (0 <= t < the sequence's Nk).
ATTNC_HD const storage_t *attnc_kv_row(const AttncKvRows &r, long long t) {
#if ATTNC_RAGGED
  if (r.pages) return r.base + r.pages[t / r.page_size] * r.page_stride + (t % r.page_size) * r.row_stride;
#endif
  return r.base + t * r.row_stride;
}
