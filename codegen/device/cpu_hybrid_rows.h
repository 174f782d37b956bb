// ==== codegen/device/cpu_hybrid_rows.h: CPU: one q-block's hybrid linear branch ====

static void attnc_hybrid_rows(const AttncKernelArgs &args, const AttncHybrid *hy, long long b,
                              long long h, long long qb, int rows, const float (*Q)[D],
                              const unsigned char *vis, double (*num)[DV], double *den) {
  const long long Nq = args.q_len, Nk = args.kv_len, offset = Nk - Nq, row0 = qb * BQ;
  const long long g = h / (H / G), KB = (Nk + BK - 1) / BK, bh = b * H + h;
  const float *phik = hy->phik + bh * Nk * HF;
  const double *P = hy->P + bh * (KB + 1) * HF * DV, *Z = hy->Z + bh * (KB + 1) * HF;
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];
  float *phq = (float *)malloc(sizeof(float) * BQ * HF);
  double *hs = (double *)calloc((size_t)(HF * DV + HF), sizeof(double));
  if (!phq || !hs) { free(phq); free(hs); return; }
  double *zs = hs + HF * DV;
  for (int r = 0; r < rows; ++r) {
    attnc_hphi(args, b, h, row0 + r + offset, Q[r], phq + r * HF);
    den[r] = 0.0;
    for (int e = 0; e < DV; ++e) num[r][e] = 0.0;
  }
  const AttncComplementPlan cp = attnc_complement_plan_qblock(qb, Nq, Nk);
  long long run_lo = -1, run_hi = -2;
  float v[DV];
  for (long long kb = attnc_complement_plan_next(cp, -1);; kb = attnc_complement_plan_next(cp, kb)) {
    const bool full = kb >= 0 && attnc_complement_plan_full(cp, kb);
    const bool fold = full && !vis[kb];
    if (fold && kb == run_hi + 1) { run_hi = kb; continue; }
    if (run_lo >= 0) { // a run of folded tiles ends: add P[hi + 1] - P[lo]
      const double *a = P + run_lo * HF * DV, *z = P + (run_hi + 1) * HF * DV;
      for (long long i = 0; i < HF * DV; ++i) hs[i] += z[i] - a[i];
      for (long long f = 0; f < HF; ++f) zs[f] += Z[(run_hi + 1) * HF + f] - Z[run_lo * HF + f];
      // and the run's non-finite tiles, which the prefix sums leave out.
      for (long long J = run_lo; J <= run_hi; ++J)
        if (hy->bad[bh * KB + J]) attnc_hybrid_tile_state(&args, phik, b, h, J, hs, zs);
      run_lo = -1; run_hi = -2;
    }
    if (kb < 0) break;
    if (fold) { run_lo = run_hi = kb; continue; }
    const long long col0 = kb * BK;
    const int cols = (int)attnc_mini(BK, Nk - col0);
    for (int c = 0; c < cols; ++c) {
      const long long j = col0 + c;
      for (int e = 0; e < DV; ++e) v[e] = attnc_load(vp + j * args.v_strides.s[2] + e);
      const float *pk = phik + j * HF;
      for (int r = 0; r < rows; ++r) {
        const long long qpos = row0 + r + offset;
        if (vis[kb] == 2 || (vis[kb] == 1 && attnc_mask(args, b, h, qpos, j, Nq, Nk)))
          continue; // the softmax branch's element
        if (!full && !attnc_complement(args, b, h, qpos, j, Nq, Nk))
          continue;
        double w = 0.0;
        const float *pq = phq + r * HF;
        for (long long f = 0; f < HF; ++f) w += (double)pq[f] * pk[f];
        den[r] += w;
        for (int e = 0; e < DV; ++e) num[r][e] += w * v[e];
      }
    }
  }
  // The folded tiles: phi(q_i) . (sum of their states).
  for (int r = 0; r < rows; ++r) {
    const float *pq = phq + r * HF;
    for (long long f = 0; f < HF; ++f) {
      const double pf = pq[f];
      if (pf == 0.0) continue;
      den[r] += pf * zs[f];
      const double *row = hs + f * DV;
      for (int e = 0; e < DV; ++e) num[r][e] += pf * row[e];
    }
  }
  free(phq);
  free(hs);
}
