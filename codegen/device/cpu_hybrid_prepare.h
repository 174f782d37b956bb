// ==== codegen/device/cpu_hybrid_prepare.h: CPU: the hybrid's phi(k) and prefix sums of tile states ====

// P and Z are prefix sums of the tiles' states (phi(k) v^T and phi(k)) over the
// tiles whose state is finite; a tile with a NaN or inf in it is flagged in `bad`
// and left out, so that it reaches only the folds that hold it (added there on its
// own), not every later one through P[hi + 1] - P[lo] (docs/language.md §10).
typedef struct AttncHybrid {
  float *phik;        // [B * H * Nk * HF]
  double *P;          // [B * H * (KB + 1) * HF * DV]
  double *Z;          // [B * H * (KB + 1) * HF]
  unsigned char *bad; // [B * H * KB]
} AttncHybrid;

static void attnc_hybrid_free(AttncHybrid *hy) {
  free(hy->phik);
  free(hy->P);
  free(hy->Z);
  free(hy->bad);
}

// Adds the state of k-tile J of head (b, h) to S [HF * DV] and z [HF].
static void attnc_hybrid_tile_state(const AttncKernelArgs *args, const float *phik,
                                    long long b, long long h, long long J, double *S,
                                    double *z) {
  const long long g = h / (H / G);
  const storage_t *vp = (const storage_t *)args->v + b * args->v_strides.s[0] + g * args->v_strides.s[1];
  const long long j1 = attnc_mini((J + 1) * BK, args->kv_len);
  float v[DV];
  for (long long j = J * BK; j < j1; ++j) {
    for (int e = 0; e < DV; ++e) v[e] = attnc_load(vp + j * args->v_strides.s[2] + e);
    const float *pk = phik + j * HF;
    for (long long f = 0; f < HF; ++f) {
      const double pf = pk[f];
      double *row = S + f * DV;
      for (int e = 0; e < DV; ++e) row[e] += pf * v[e];
      z[f] += pf;
    }
  }
}

static int attnc_hybrid_prepare(const AttncKernelArgs *args, AttncHybrid *hy) {
  const long long Nk = args->kv_len, KB = (Nk + BK - 1) / BK, BH = args->batch * H;
  hy->phik = (float *)malloc(sizeof(float) * (size_t)(BH * Nk * HF));
  hy->P = (double *)malloc(sizeof(double) * (size_t)(BH * (KB + 1) * HF * DV));
  hy->Z = (double *)malloc(sizeof(double) * (size_t)(BH * (KB + 1) * HF));
  hy->bad = (unsigned char *)calloc((size_t)(BH * KB), 1);
  if (!hy->phik || !hy->P || !hy->Z || !hy->bad) {
    attnc_hybrid_free(hy);
    return 1;
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (long long bh = 0; bh < BH; ++bh) {
    const long long b = bh / H, h = bh % H, g = h / (H / G);
    const storage_t *kp = (const storage_t *)args->k + b * args->k_strides.s[0] + g * args->k_strides.s[1];
    float *phik = hy->phik + bh * Nk * HF;
    double *P = hy->P + bh * (KB + 1) * HF * DV, *Z = hy->Z + bh * (KB + 1) * HF;
    float x[D];
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
      attnc_hybrid_tile_state(args, phik, b, h, J, Pn, Zn);
      // A sum is finite exactly when the tile's state and the prefix before it
      // are (finite + finite may overflow to inf: then it is left out too).
      bool finite = true;
      for (long long i = 0; i < HF * DV && finite; ++i) finite = isfinite(Pn[i]);
      for (long long f = 0; f < HF && finite; ++f) finite = isfinite(Zn[f]);
      if (!finite) {
        hy->bad[bh * KB + J] = 1;
        memcpy(Pn, P + J * HF * DV, sizeof(double) * HF * DV);
        memcpy(Zn, Z + J * HF, sizeof(double) * HF);
      }
    }
  }
  return 0;
}
