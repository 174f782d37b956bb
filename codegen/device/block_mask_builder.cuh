// ==== codegen/device/block_mask_builder.cuh: the device block-mask builder and its CSR compaction ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// The device block-mask builder (docs/runtime.md §3a), the CUDA twin of
// the CPU object's: one thread block per row r = (b * heads + h') * QB +
// qb walks the static plan and classifies each tile by evaluating the mask
// on its elements in parallel (none visible: dropped; all: full; else
// partial), writing the row's tiles at col_in/full_in[r * KB ...] and
// their number at counts[r]. A second kernel, one block, turns the padded
// rows into the CSR arrays the attention kernel reads.
// Configured by ATTNC_BM_KERNEL, ATTNC_BM_CSR_KERNEL, ATTNC_BM_THREADS, BQ
// and BK; needs the prelude, sequence.h, the spec's block plan and attnc_mask.
// Like every attnc kernel it takes one AttncKernelArgs; its buffers come in
// args.scratch (docs/runtime.md §3b): [0] counts, [1] col_in, [2] full_in,
// [3] static_tiles (unsigned long long), [4] heads (as an integer).
extern "C" __global__ void __launch_bounds__(ATTNC_BM_THREADS) ATTNC_BM_KERNEL(const AttncKernelArgs args) {
  int *counts = (int *)args.scratch[0];
  int *col_in = (int *)args.scratch[1];
  unsigned char *full_in = (unsigned char *)args.scratch[2];
  unsigned long long *static_tiles = (unsigned long long *)args.scratch[3];
  const int heads = (int)(long long)args.scratch[4];
  // Rows over the call's (padded) blocks; each evaluated with its sequence's own lengths
  // (sequence.h: a ragged or paged batch's).
  const long long q_blocks = (args.q_len + BQ - 1) / BQ, k_blocks = (args.kv_len + BK - 1) / BK;
  // 32-bit index arithmetic: 64-bit division is a call with a stack frame.
  const int r = blockIdx.x, qbs = (int)q_blocks;
  const long long qb = r % qbs, h = (r / qbs) % heads, b = r / (qbs * heads);
  const AttncSequence seq = attnc_sequence(args, b);
  const long long Nq = seq.Nq, Nk = seq.Nk;
  const long long row0 = qb * BQ, offset = Nk - Nq;
  if (row0 >= Nq) { // past this sequence's queries: an empty row
    if (threadIdx.x == 0) counts[r] = 0;
    return;
  }
  const AttncPlan plan = attnc_plan_qblock(qb, Nq, Nk);
  int n = 0;
  for (long long kb = attnc_plan_next(plan, -1); kb >= 0; kb = attnc_plan_next(plan, kb)) {
    int any = 1, all = 1;
    if (!attnc_plan_full(plan, kb)) { // exact clauses need no look
      any = 0;
      const long long col0 = kb * BK;
      for (int e = threadIdx.x; e < BQ * BK; e += ATTNC_BM_THREADS) {
        const long long row = row0 + e / BK, key = col0 + e % BK;
        if (row >= Nq || key >= Nk) continue;
        const bool m = attnc_mask(args, b, h, row + offset, key, Nq, Nk);
        any |= m;
        all &= m;
      }
      any = __syncthreads_or(any);
      all = __syncthreads_and(all);
    }
    if (!any) continue;
    if (threadIdx.x == 0) {
      col_in[(long long)r * k_blocks + n] = (int)kb;
      full_in[(long long)r * k_blocks + n] = all ? 1 : 0;
    }
    ++n;
  }
  if (threadIdx.x == 0) {
    counts[r] = n;
    unsigned long long visited = 0;
    for (long long kb = attnc_plan_next(plan, -1); kb >= 0; kb = attnc_plan_next(plan, kb)) ++visited;
    atomicAdd(static_tiles, visited);
  }
}

// One block of 1024 threads, 8 KiB of dynamic shared memory. args.scratch: [0] counts, [1] col_in,
// [2] full_in, [3] row_ptr, [4] col, [5] full, [6] totals ([0] tiles,
// [1] full tiles; 0 on entry), [7] heads (as an integer). Each thread takes
// a contiguous range of rows.
// No __launch_bounds__: with it ptxas spills on sm_90 (as for the selection).
extern "C" __global__ void ATTNC_BM_CSR_KERNEL(const AttncKernelArgs args) {
  const int *counts = (const int *)args.scratch[0];
  const int *col_in = (const int *)args.scratch[1];
  const unsigned char *full_in = (const unsigned char *)args.scratch[2];
  int *row_ptr = (int *)args.scratch[3];
  int *col = (int *)args.scratch[4];
  unsigned char *full = (unsigned char *)args.scratch[5];
  unsigned long long *totals = (unsigned long long *)args.scratch[6];
  const long long heads = (long long)args.scratch[7];
  const long long k_blocks = (args.kv_len + BK - 1) / BK;
  const long long rows = args.batch * heads * ((args.q_len + BQ - 1) / BQ);
  // Dynamic shared memory (1024 long longs at launch): static __shared__
  // variables are not supported by the CPU emulator (docs/testing.md).
  extern __shared__ __align__(16) long long attnc_smem_csr[];
  long long *base = attnc_smem_csr;
  const long long per = (rows + blockDim.x - 1) / blockDim.x;
  const long long lo = attnc_mini(rows, (long long)threadIdx.x * per), hi = attnc_mini(rows, lo + per);
  long long sum = 0;
  for (long long r = lo; r < hi; ++r) sum += counts[r];
  base[threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.x == 0) {
    long long running = 0;
    for (unsigned t = 0; t < blockDim.x; ++t) {
      const long long v = base[t];
      base[t] = running;
      running += v;
    }
    row_ptr[rows] = (int)running;
    totals[0] = (unsigned long long)running;
  }
  __syncthreads();
  long long at = base[threadIdx.x];
  unsigned long long nfull = 0;
  for (long long r = lo; r < hi; ++r) {
    row_ptr[r] = (int)at;
    for (int i = 0; i < counts[r]; ++i, ++at) {
      col[at] = col_in[r * k_blocks + i];
      full[at] = full_in[r * k_blocks + i];
      nfull += full[at];
    }
  }
  atomicAdd(totals + 1, nfull);
}
