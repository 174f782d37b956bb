// ==== codegen/device/cpu_softmax_tiles.h: CPU: the softmax kernel's tile products (S = Q K^T, acc += P V) ====
// Embedded verbatim into the CPU softmax kernel (codegen/CpuEmitter.cpp), after cpu_vector.h and
// the schedule constants D, DV, BK and kScale the emitter defines before it, and the prelude's
// storage_t and attnc_load.
// acc = alpha * acc + sum_c p[c] V[c] for one row, over the columns `visible`
// holds (all without Masked): a key the mask hides contributes nothing, not
// 0 * V[c], which is NaN where V[c] is not finite (docs/language.md,
// "Non-finite values").
// A template so that full tiles (Masked false) run the loop without the test.
template <bool Masked>
static inline void attnc_accumulate_pv(float *acc, float alpha, const float *p,
                                       const float (*V)[DV], int cols,
                                       const unsigned char *visible) {
  int e0 = 0;
  for (; e0 + 32 <= DV; e0 += 32) {
    attnc_v8 a0 = attnc_ld8(acc + e0) * alpha, a1 = attnc_ld8(acc + e0 + 8) * alpha;
    attnc_v8 a2 = attnc_ld8(acc + e0 + 16) * alpha, a3 = attnc_ld8(acc + e0 + 24) * alpha;
    for (int c = 0; c < cols; ++c) {
      if (Masked && !visible[c]) continue; // a hidden key
      const float pc = p[c];
      const float *v = V[c] + e0;
      a0 += pc * attnc_ld8(v); a1 += pc * attnc_ld8(v + 8);
      a2 += pc * attnc_ld8(v + 16); a3 += pc * attnc_ld8(v + 24);
    }
    attnc_st8(acc + e0, a0); attnc_st8(acc + e0 + 8, a1);
    attnc_st8(acc + e0 + 16, a2); attnc_st8(acc + e0 + 24, a3);
  }
  for (int e = e0; e < DV; ++e) {
    float a = acc[e] * alpha;
    for (int c = 0; c < cols; ++c)
      if (!Masked || visible[c]) a += p[c] * V[c][e];
    acc[e] = a;
  }
}

// s[0..BK) = scale * q . Kt[:, c] for one query row (BK is a multiple of 16).
static inline void attnc_row_scores(float *s, const float *q, const float (*Kt)[BK]) {
  int c0 = 0;
  for (; c0 + 32 <= BK; c0 += 32) {
    attnc_v8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
    for (int d = 0; d < D; ++d) {
      const float qd = q[d];
      const float *k = Kt[d] + c0;
      s0 += qd * attnc_ld8(k); s1 += qd * attnc_ld8(k + 8);
      s2 += qd * attnc_ld8(k + 16); s3 += qd * attnc_ld8(k + 24);
    }
    attnc_st8(s + c0, s0 * kScale); attnc_st8(s + c0 + 8, s1 * kScale);
    attnc_st8(s + c0 + 16, s2 * kScale); attnc_st8(s + c0 + 24, s3 * kScale);
  }
  for (; c0 < BK; c0 += 16) {
    attnc_v8 s0 = {0}, s1 = {0};
    for (int d = 0; d < D; ++d) {
      const float qd = q[d];
      s0 += qd * attnc_ld8(Kt[d] + c0); s1 += qd * attnc_ld8(Kt[d] + c0 + 8);
    }
    attnc_st8(s + c0, s0 * kScale); attnc_st8(s + c0 + 8, s1 * kScale);
  }
}

// Q rows of a tile gathered by token: row r reads token tq[r] (-1, padding: zeros).
static inline void attnc_gather_q(float (*Q)[D], const storage_t *qp, long long stride, const long long *tq,
                                  int rows) {
  for (int r = 0; r < rows; ++r) {
    if (tq[r] < 0) {
      for (int d = 0; d < D; ++d) Q[r][d] = 0.0f;
      continue;
    }
    const storage_t *src = qp + tq[r] * stride;
    for (int d = 0; d < D; ++d) Q[r][d] = attnc_load(src + d);
  }
}

// K (transposed) and V of a tile gathered by token: column c reads key tk[c] of the sequence's
// rows (contiguous or paged, sequence.h; -1: zeros, and hidden by the mask).
static inline void attnc_gather_kv(float (*Kt)[BK], float (*V)[DV], const AttncKvRows &kr, const AttncKvRows &vr,
                                   const long long *tk, int cols) {
  for (int c = 0; c < cols; ++c) {
    if (tk[c] < 0) {
      for (int d = 0; d < D; ++d) Kt[d][c] = 0.0f;
      for (int e = 0; e < DV; ++e) V[c][e] = 0.0f;
      continue;
    }
    const storage_t *k = attnc_kv_row(kr, tk[c]), *v = attnc_kv_row(vr, tk[c]);
    for (int d = 0; d < D; ++d) Kt[d][c] = attnc_load(k + d);
    for (int e = 0; e < DV; ++e) V[c][e] = attnc_load(v + e);
  }
}
