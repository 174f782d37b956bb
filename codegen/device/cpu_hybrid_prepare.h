// ==== codegen/device/cpu_hybrid_prepare.h: CPU: the hybrid's phi(k) and prefix sums of tile states ====

typedef struct AttncHybrid {
  float *phik; // [B * H * Nk * HF]
  double *P;   // [B * H * (KB + 1) * HF * DV]
  double *Z;   // [B * H * (KB + 1) * HF]
} AttncHybrid;

static void attnc_hybrid_free(AttncHybrid *hy) {
  free(hy->phik);
  free(hy->P);
  free(hy->Z);
}

static int attnc_hybrid_prepare(const AttncKernelArgs *args, AttncHybrid *hy) {
  const long long Nk = args->kv_len, KB = (Nk + BK - 1) / BK, BH = args->batch * H;
  hy->phik = (float *)malloc(sizeof(float) * (size_t)(BH * Nk * HF));
  hy->P = (double *)malloc(sizeof(double) * (size_t)(BH * (KB + 1) * HF * DV));
  hy->Z = (double *)malloc(sizeof(double) * (size_t)(BH * (KB + 1) * HF));
  if (!hy->phik || !hy->P || !hy->Z) {
    attnc_hybrid_free(hy);
    return 1;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (long long bh = 0; bh < BH; ++bh) {
    const long long b = bh / H, h = bh % H, g = h / (H / G);
    const storage_t *kp = (const storage_t *)args->k + b * args->k_strides.s[0] + g * args->k_strides.s[1];
    const storage_t *vp = (const storage_t *)args->v + b * args->v_strides.s[0] + g * args->v_strides.s[1];
    float *phik = hy->phik + bh * Nk * HF;
    double *P = hy->P + bh * (KB + 1) * HF * DV, *Z = hy->Z + bh * (KB + 1) * HF;
    float x[D], v[DV];
    for (long long j = 0; j < Nk; ++j) {
      for (int d = 0; d < D; ++d) x[d] = attnc_load(kp + j * args->k_strides.s[2] + d);
      attnc_hphi(*args, b, h, j, x, phik + j * HF);
    }
    for (long long i = 0; i < HF * DV; ++i) P[i] = 0.0;
    for (long long f = 0; f < HF; ++f) Z[f] = 0.0;
    for (long long J = 0; J < KB; ++J) {
      double *Pn = P + (J + 1) * HF * DV, *Zn = Z + (J + 1) * HF;
      memcpy(Pn, P + J * HF * DV, sizeof(double) * HF * DV);
      memcpy(Zn, Z + J * HF, sizeof(double) * HF);
      const long long j1 = attnc_mini((J + 1) * BK, Nk);
      for (long long j = J * BK; j < j1; ++j) {
        for (int e = 0; e < DV; ++e) v[e] = attnc_load(vp + j * args->v_strides.s[2] + e);
        const float *pk = phik + j * HF;
        for (long long f = 0; f < HF; ++f) {
          const double pf = pk[f];
          double *row = Pn + f * DV;
          for (int e = 0; e < DV; ++e) row[e] += pf * v[e];
          Zn[f] += pf;
        }
      }
    }
  }
  return 0;
}
