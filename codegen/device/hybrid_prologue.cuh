// ==== codegen/device/hybrid_prologue.cuh: the hybrid linear branch: phi(k), tile states and their prefix sums ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// The CUDA twin of HybridCpuEmitter (docs/codegen.md, "Hybrid kernels"):
// two prologue kernels compute per (b, h) phi(k) of every key and prefix
// sums over k-tiles of the tile states (double), and a block-cooperative
// device function, called by the attention kernel after its k-loop, adds up
// one q-tile's linear branch into shared memory for the epilogue: runs of
// complement tiles the softmax branch skipped as prefix differences, every
// other complement tile element by element. SIMT code on purpose: the
// branch is a small part of the work next to the softmax tiles, and its
// correctness is easier to see.
//
// Needs HF, ATTNC_HY_STATES_KERNEL, ATTNC_HY_SCAN_KERNEL, ATTNC_HY_THREADS,
// attnc_hphi, the prelude and the schedule macros. Scratch layout (one
// allocation per call, args.scratch[0..2]): phik [B*H*Nk*HF] float,
// P [B*H*(KB+1)*HF*DV] double, Z [B*H*(KB+1)*HF] double.
// Grid B * H * KB: phi(k) of the tile's keys, then the tile's state
// phi(K)^T V and sum phi(K) into row J + 1 of P and Z (row 0 zeroed by J = 0).
extern "C" __global__ void ATTNC_HY_STATES_KERNEL(const AttncKernelArgs args) {
  const long long Nk = args.kv_len, KB = (Nk + BK - 1) / BK;
  const int t = blockIdx.x, kbs = (int)KB;
  const long long J = t % kbs, bh = t / kbs, b = bh / H, h = bh % H, g = h / (H / G);
  float *phik = (float *)args.scratch[0] + bh * Nk * HF;
  double *P = (double *)args.scratch[1] + bh * (KB + 1) * HF * DV;
  double *Z = (double *)args.scratch[2] + bh * (KB + 1) * HF;
  const storage_t *kp = (const storage_t *)args.k + b * args.k_strides.s[0] + g * args.k_strides.s[1];
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];
  const long long j0 = J * BK, j1 = attnc_mini(Nk, j0 + BK);
  for (long long j = j0 + threadIdx.x; j < j1; j += ATTNC_HY_THREADS) {
    float x[D];
    for (int d = 0; d < D; ++d) x[d] = attnc_load(kp + j * args.k_strides.s[2] + d);
    attnc_hphi(args, b, h, j, x, phik + j * HF);
  }
  __syncthreads(); // this block's phi(k) rows, written to global memory
  for (long long fe = threadIdx.x; fe < HF * (DV + 1); fe += ATTNC_HY_THREADS) {
    const long long f = fe / (DV + 1), e = fe % (DV + 1);
    double s = 0;
    for (long long j = j0; j < j1; ++j)
      s += (double)phik[j * HF + f] * (e < DV ? (double)attnc_load(vp + j * args.v_strides.s[2] + e) : 1.0);
    if (e < DV) {
      P[(J + 1) * HF * DV + f * DV + e] = s;
      if (J == 0) P[f * DV + e] = 0.0;
    } else {
      Z[(J + 1) * HF + f] = s;
      if (J == 0) Z[f] = 0.0;
    }
  }
}

// Grid B * H: the prefix sums, P[J + 1] += P[J], in place, one (f, e) per
// thread, tiles in order.
extern "C" __global__ void ATTNC_HY_SCAN_KERNEL(const AttncKernelArgs args) {
  const long long Nk = args.kv_len, KB = (Nk + BK - 1) / BK, bh = blockIdx.x;
  double *P = (double *)args.scratch[1] + bh * (KB + 1) * HF * DV;
  double *Z = (double *)args.scratch[2] + bh * (KB + 1) * HF;
  for (long long fe = threadIdx.x; fe < HF * (DV + 1); fe += ATTNC_HY_THREADS) {
    double *x = fe < HF * DV ? P + fe : Z + (fe - HF * DV);
    const long long stride = fe < HF * DV ? HF * DV : HF;
    double run = 0;
    for (long long J = 1; J <= KB; ++J) {
      run += x[J * stride];
      x[J * stride] = run;
    }
  }
}
