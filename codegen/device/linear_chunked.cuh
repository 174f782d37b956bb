// ==== codegen/device/linear_chunked.cuh: the chunked linear-attention kernel (SIMT, f32 arithmetic) ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// The spec-independent part of the linear family's CUDA kernel: one thread
// block per (value tile, head, batch) walks the keys chunk by chunk with the
// state tile in shared memory. Configured by macros the emitter defines
// before it (ATTNC_KERNEL, H, G, D, DV, DVT, F, FS, CH, NT, kScale,
// ATTNC_DECAY, ATTNC_DELTA, ATTNC_SUM, ATTNC_BIDIRECTIONAL, the OFF_*
// shared-memory offsets, and ATTNC_BETA(n) with ATTNC_DELTA 1) and by the
// generated `attnc_features` / `attnc_decay` / parameter readers. Needs the
// prelude and linear_helpers.cuh.
//
// Plain SIMT code: cooperative loops over the block's threads separated by
// __syncthreads, every barrier at the top level of the kernel body or of a
// function all threads call (no barrier under a thread-dependent branch),
// float accumulation, cumulative log-gates in double as on the CPU.
//
// The kernel body.
extern "C" __global__ void __launch_bounds__(NT, 1) ATTNC_KERNEL(const AttncKernelArgs args) {
  extern __shared__ __align__(16) unsigned char attnc_smem[];
  float *S = (float *)(attnc_smem + OFF_S);   // [F][DVT] state tile
  float *Qf = (float *)(attnc_smem + OFF_QF); // [CH][FS] phi(q) of the chunk's rows
  float *Kf = (float *)(attnc_smem + OFF_KF); // [CH][FS] phi(k)
  float *Vt = (float *)(attnc_smem + OFF_V);  // [CH][DVT]
  float *P = (float *)(attnc_smem + OFF_P);   // [CH][CH] intra-chunk weights
  float *X = (float *)(attnc_smem + OFF_X);   // [CH][D] raw rows before the feature map
  void *stat = (void *)(attnc_smem + OFF_STAT); // per-row statistics of the feature map
  (void)stat;
#if ATTNC_DECAY != 0
  double *A = (double *)(attnc_smem + OFF_A); // cumulative log|gate|
  float *SG = (float *)(attnc_smem + OFF_SG); // cumulative gate sign
#else
  const double *A = 0;
  const float *SG = 0;
#endif
#if ATTNC_SUM
  float *Z = (float *)(attnc_smem + OFF_Z);     // [F] normalizer
  float *Den = (float *)(attnc_smem + OFF_DEN); // [CH] phi(q_r) . z_r
#endif
#if ATTNC_DELTA
  float *W = (float *)(attnc_smem + OFF_W);       // [CH][F]
  float *U = (float *)(attnc_smem + OFF_U);       // [CH][DVT]
  float *Beta = (float *)(attnc_smem + OFF_BETA); // [CH]
#if ATTNC_DECAY == 2
  float *P2 = (float *)(attnc_smem + OFF_P2);     // [CH][CH] second weights
#endif
#endif

  const int tid = threadIdx.x;
  const int e0 = blockIdx.x * DVT; // this block's first value column
  const long long h = blockIdx.y, b = blockIdx.z, g = h / (H / G);
  const long long Nq = args.q_len, Nk = args.kv_len;
  const long long off = Nk - Nq; // query row i sits at position i + off
  const long long head = b * H + h;
  const storage_t *qp = (const storage_t *)args.q + b * args.q_strides.s[0] + h * args.q_strides.s[1];
  const storage_t *kp = (const storage_t *)args.k + b * args.k_strides.s[0] + g * args.k_strides.s[1];
  const storage_t *vp = (const storage_t *)args.v + b * args.v_strides.s[0] + g * args.v_strides.s[1];
  storage_t *op_ = (storage_t *)args.o + b * args.o_strides.s[0] + h * args.o_strides.s[1];

  // The state before the first key: the caller's (causal only) or zero.
  for (int i = tid; i < F * DVT; i += NT) {
    const int f = i / DVT, e = i % DVT;
#if ATTNC_BIDIRECTIONAL
    (void)f; (void)e; (void)head;
    S[i] = 0.0f;
#else
    S[i] = (args.state_in && e0 + e < DV) ? args.state_in[(head * F + f) * DV + e0 + e] : 0.0f;
#endif
  }
#if ATTNC_SUM
  for (int f = tid; f < F; f += NT)
#if ATTNC_BIDIRECTIONAL
    Z[f] = 0.0f;
#else
    Z[f] = args.z_in ? args.z_in[head * F + f] : 0.0f;
#endif
#endif

#if !ATTNC_BIDIRECTIONAL
  // Rows at negative positions (Nq > Nk) see no key.
  for (long long i = tid; i < attnc_mini(Nq, -off) * DVT; i += NT) {
    const int e = (int)(i % DVT);
    if (e0 + e < DV) attnc_store(op_ + (i / DVT) * args.o_strides.s[2] + e0 + e, 0.0f);
  }
#endif

#if ATTNC_BIDIRECTIONAL
  const bool step = false;
#else
  // One decode token (Nq = Nk = 1, the usual call with a state): the
  // recurrence itself, S = lambda (S - beta k (k^T S)) + beta k v^T (add:
  // S = lambda S + k v^T), without the chunk machinery. One thread per
  // value column, barriers only around the rows all columns share; the
  // gates are used as values (no log space for one step).
  const bool step = Nq == 1 && Nk == 1;
  if (step) {
    __syncthreads(); // S and z are loaded
    attnc_load_rows(X, kp, args.k_strides.s[2], 0, 0, 1);
    __syncthreads();
    attnc_features(args, b, h, 0, X, Kf, stat, 0, 1);
    attnc_load_rows(X, qp, args.q_strides.s[2], 0, 0, 1);
    attnc_load_values(Vt, vp, args.v_strides.s[2], 0, 1, e0);
#if ATTNC_DECAY == 1
    if (tid == 0) SG[0] = attnc_decay(args, b, h, 0, 0, Nq, Nk);
#elif ATTNC_DECAY == 2
    for (int f = tid; f < F; f += NT) SG[f] = attnc_decay(args, b, h, 0, f, Nq, Nk);
#endif
#if ATTNC_DELTA
    if (tid == 0) Beta[0] = ATTNC_BETA(0);
#endif
    __syncthreads();
    attnc_features(args, b, h, 0, X, Qf, stat, 0, 1);
#if ATTNC_SUM
    for (int f = tid; f < F; f += NT) Z[f] = attnc_step_gate(SG, f) * Z[f] + Kf[f];
    __syncthreads();
    if (tid == 0) {
      float den = 0.0f;
      for (int f = 0; f < F; ++f) den += Qf[f] * Z[f];
      Den[0] = den;
    }
    __syncthreads();
#endif
    for (int e = tid; e < DVT; e += NT) {
      if (e0 + e >= DV) continue;
#if ATTNC_DELTA
      float y = 0.0f; // k^T S before the step
      for (int f = 0; f < F; ++f) y += Kf[f] * S[f * DVT + e];
#endif
      float o = 0.0f;
      // Unrolled by 4 only: a full unroll over F made sm_80 code hold ~250
      // registers (Based, hedgehog) for no gain in a memory-bound loop.
#pragma unroll 4
      for (int f = 0; f < F; ++f) {
#if ATTNC_DELTA
        const float bk = Beta[0] * Kf[f];
        const float s = attnc_step_gate(SG, f) * (S[f * DVT + e] - bk * y) + bk * Vt[e];
#else
        const float s = attnc_step_gate(SG, f) * S[f * DVT + e] + Kf[f] * Vt[e];
#endif
        S[f * DVT + e] = s;
        o += Qf[f] * s;
      }
#if ATTNC_SUM
      o = Den[0] != 0.0f ? kScale * o / Den[0] : 0.0f;
#else
      o = kScale * o;
#endif
      attnc_store(op_ + e0 + e, o);
    }
  }
#endif

  for (long long t0 = 0; !step && t0 < Nk; t0 += CH) {
    const int L = (int)attnc_mini(CH, Nk - t0);
#if ATTNC_BIDIRECTIONAL
    const int r0 = L; // no query rows inside the key walk
#else
    const int r0 = (int)attnc_mini(L, attnc_maxi(0, off - t0)); // rows [r0, L) have queries
#endif
    __syncthreads(); // the previous chunk is done with every buffer
    attnc_load_rows(X, kp, args.k_strides.s[2], t0, 0, L);
    __syncthreads();
    attnc_features(args, b, h, t0, X, Kf, stat, 0, L);
    attnc_load_rows(X, qp, args.q_strides.s[2], t0 - off, r0, L);
    attnc_load_values(Vt, vp, args.v_strides.s[2], t0, L, e0);
#if ATTNC_DELTA
    for (int l = tid; l < CH; l += NT) Beta[l] = l < L ? ATTNC_BETA(t0 + l) : 0.0f;
#endif
    __syncthreads();
    attnc_features(args, b, h, t0, X, Qf, stat, r0, L);
#if ATTNC_DECAY != 0
    attnc_chunk_gates(args, b, h, t0, L, A, SG);
#endif

#if !ATTNC_DELTA
    // ---- update add ----
    // Intra-chunk weights P[r][j] = phi(q_r) . phi(k_j) decayed from j to r.
    for (int i = tid; i < CH * CH; i += NT) {
      const int r = i / CH, j = i % CH;
      if (r >= r0 && r < L && j <= r) P[i] = attnc_gated_dot(Qf + r * FS, Kf + j * FS, A, SG, r + 1, j + 1);
    }
    __syncthreads();
    // phi(q_r) decayed from the chunk start: its product with the state before the chunk.
    for (int i = tid; i < CH * F; i += NT) {
      const int r = i / F, f = i % F;
      if (r >= r0 && r < L) Qf[r * FS + f] *= attnc_ratio(A, SG, r + 1, 0, f);
    }
    __syncthreads();
#if ATTNC_SUM
    for (int r = r0 + tid; r < L; r += NT) {
      float den = 0.0f;
      for (int j = 0; j <= r; ++j) den += P[r * CH + j];
      for (int f = 0; f < F; ++f) den += Qf[r * FS + f] * Z[f];
      Den[r] = den;
    }
    __syncthreads();
#endif
    for (int i = tid; i < CH * DVT; i += NT) {
      const int r = i / DVT, e = i % DVT;
      if (r < r0 || r >= L || e0 + e >= DV) continue;
      float o = 0.0f;
      for (int j = 0; j <= r; ++j) o += P[r * CH + j] * Vt[j * DVT + e];
      for (int f = 0; f < F; ++f) o += Qf[r * FS + f] * S[f * DVT + e];
#if ATTNC_SUM
      o = Den[r] != 0.0f ? kScale * o / Den[r] : 0.0f;
#else
      o = kScale * o;
#endif
      attnc_store(op_ + (t0 + r - off) * args.o_strides.s[2] + e0 + e, o);
    }
    // The state after the chunk: S = decay(chunk) S + (phi(K) decayed to the chunk end)^T V.
    for (int i = tid; i < L * F; i += NT) Kf[(i / F) * FS + i % F] *= attnc_ratio(A, SG, L, i / F + 1, i % F);
    __syncthreads();
    for (int i = tid; i < F * DVT; i += NT) {
      const int f = i / DVT, e = i % DVT;
      float s = S[i] * attnc_ratio(A, SG, L, 0, f);
      for (int j = 0; j < L; ++j) s += Kf[j * FS + f] * Vt[j * DVT + e];
      S[i] = s;
    }
#if ATTNC_SUM
    for (int f = tid; f < F; f += NT) {
      float z = Z[f] * attnc_ratio(A, SG, L, 0, f);
      for (int j = 0; j < L; ++j) z += Kf[j * FS + f];
      Z[f] = z;
    }
#endif

#elif ATTNC_DECAY != 2
    // ---- delta rule, no gate or a scalar gate: the WY/UT form ----
    // -M_rj = -beta_r (k_r . k_j) gamma_r / gamma_j, the strictly lower part of I + M.
    for (int i = tid; i < CH * CH; i += NT) {
      const int r = i / CH, j = i % CH;
      if (r < L && j < r) P[i] = -Beta[r] * attnc_gated_dot(Kf + r * FS, Kf + j * FS, A, SG, r + 1, j + 1);
    }
    __syncthreads();
    // Forward substitution, one row at a time (row r reads rows j < r):
    //   W_r = beta_r gamma_r k_r - sum_{j<r} M_rj W_j,  U_r = beta_r v_r - sum_{j<r} M_rj U_j.
    for (int r = 0; r < L; ++r) {
      const float bg = Beta[r] * attnc_ratio(A, SG, r + 1, 0, 0);
      for (int c = tid; c < F + DVT; c += NT) {
        if (c < F) {
          float w = bg * Kf[r * FS + c];
          for (int j = 0; j < r; ++j) w += P[r * CH + j] * W[j * F + c];
          W[r * F + c] = w;
        } else {
          const int e = c - F;
          float u = Beta[r] * Vt[r * DVT + e];
          for (int j = 0; j < r; ++j) u += P[r * CH + j] * U[j * DVT + e];
          U[r * DVT + e] = u;
        }
      }
      __syncthreads();
    }
    // U -= W S0: the residuals against the state before the chunk.
    for (int i = tid; i < L * DVT; i += NT) {
      const int r = i / DVT, e = i % DVT;
      float u = U[i];
      for (int f = 0; f < F; ++f) u += -W[r * F + f] * S[f * DVT + e];
      U[i] = u;
    }
    // Query weights (tril(phi(Q) K^T) * decay), replacing -M.
    for (int i = tid; i < CH * CH; i += NT) {
      const int r = i / CH, j = i % CH;
      if (r >= r0 && r < L && j <= r) P[i] = attnc_gated_dot(Qf + r * FS, Kf + j * FS, A, SG, r + 1, j + 1);
    }
    __syncthreads();
    for (int i = tid; i < CH * DVT; i += NT) {
      const int r = i / DVT, e = i % DVT;
      if (r < r0 || r >= L || e0 + e >= DV) continue;
      float o = 0.0f;
      for (int j = 0; j <= r; ++j) o += P[r * CH + j] * U[j * DVT + e];
      const float gr = attnc_ratio(A, SG, r + 1, 0, 0);
      for (int f = 0; f < F; ++f) o += (gr * Qf[r * FS + f]) * S[f * DVT + e];
      attnc_store(op_ + (t0 + r - off) * args.o_strides.s[2] + e0 + e, kScale * o);
    }
    __syncthreads();
    // S = gamma_L S0 + sum_j (decay from j to the chunk end) k_j u_j^T.
    for (int i = tid; i < L * F; i += NT) Kf[(i / F) * FS + i % F] *= attnc_ratio(A, SG, L, i / F + 1, 0);
    __syncthreads();
    for (int i = tid; i < F * DVT; i += NT) {
      const int f = i / DVT, e = i % DVT;
      float s = S[i] * attnc_ratio(A, SG, L, 0, 0);
      for (int j = 0; j < L; ++j) s += Kf[j * FS + f] * U[j * DVT + e];
      S[i] = s;
    }

#else
    // ---- delta rule with a per-channel gate ----
    // E(to, from)[f] = ratio(to, from, f). M1_rj = beta_j k_r.(E(r, j) k_j),
    // M2_rj = beta_j k_r.(E(r, j+1) k_j) (strictly lower), stored negated / as is.
    for (int i = tid; i < CH * CH; i += NT) {
      const int r = i / CH, j = i % CH;
      if (r < L && j < r) {
        P[i] = -Beta[j] * attnc_gated_dot(Kf + r * FS, Kf + j * FS, A, SG, r, j);
        P2[i] = Beta[j] * attnc_gated_dot(Kf + r * FS, Kf + j * FS, A, SG, r, j + 1);
      }
    }
    __syncthreads();
    // Forward substitution: W_r = E(r, 0) k_r - sum_{j<r} M1_rj W_j and
    // U_r = sum_{j<r} M2_rj v_j - sum_{j<r} M1_rj U_j.
    for (int r = 0; r < L; ++r) {
      for (int c = tid; c < F + DVT; c += NT) {
        if (c < F) {
          float w = attnc_ratio(A, SG, r, 0, c) * Kf[r * FS + c];
          for (int j = 0; j < r; ++j) w += P[r * CH + j] * W[j * F + c];
          W[r * F + c] = w;
        } else {
          const int e = c - F;
          float u = 0.0f;
          for (int j = 0; j < r; ++j) u += P2[r * CH + j] * Vt[j * DVT + e];
          for (int j = 0; j < r; ++j) u += P[r * CH + j] * U[j * DVT + e];
          U[r * DVT + e] = u;
        }
      }
      __syncthreads();
    }
    // Y = W S0 + U: the rows' y_r against the state before the chunk.
    for (int i = tid; i < L * DVT; i += NT) {
      const int r = i / DVT, e = i % DVT;
      float u = U[i];
      for (int f = 0; f < F; ++f) u += W[r * F + f] * S[f * DVT + e];
      U[i] = u;
    }
    // Query weights C1_rj = -beta_j q_r.(E(r+1, j) k_j), C2_rj = beta_j q_r.(E(r+1, j+1) k_j).
    for (int i = tid; i < CH * CH; i += NT) {
      const int r = i / CH, j = i % CH;
      if (r >= r0 && r < L && j <= r) {
        P[i] = -Beta[j] * attnc_gated_dot(Qf + r * FS, Kf + j * FS, A, SG, r + 1, j);
        P2[i] = Beta[j] * attnc_gated_dot(Qf + r * FS, Kf + j * FS, A, SG, r + 1, j + 1);
      }
    }
    __syncthreads();
    for (int i = tid; i < CH * F; i += NT) {
      const int r = i / F, f = i % F;
      if (r >= r0 && r < L) Qf[r * FS + f] *= attnc_ratio(A, SG, r + 1, 0, f);
    }
    __syncthreads();
    for (int i = tid; i < CH * DVT; i += NT) {
      const int r = i / DVT, e = i % DVT;
      if (r < r0 || r >= L || e0 + e >= DV) continue;
      float o = 0.0f;
      for (int f = 0; f < F; ++f) o += Qf[r * FS + f] * S[f * DVT + e];
      for (int j = 0; j <= r; ++j) o += P[r * CH + j] * U[j * DVT + e];
      for (int j = 0; j <= r; ++j) o += P2[r * CH + j] * Vt[j * DVT + e];
      attnc_store(op_ + (t0 + r - off) * args.o_strides.s[2] + e0 + e, kScale * o);
    }
    __syncthreads();
    // S = E(L, 0) S0 + sum_j [-beta_j (E(L, j) k_j) y_j + beta_j (E(L, j+1) k_j) v_j^T]:
    // the first weights replace phi(k), the second phi(q).
    for (int i = tid; i < L * F; i += NT) {
      const int j = i / F, f = i % F;
      const float kb = Beta[j] * Kf[j * FS + f];
      Qf[j * FS + f] = kb * attnc_ratio(A, SG, L, j + 1, f);
      Kf[j * FS + f] = -kb * attnc_ratio(A, SG, L, j, f);
    }
    __syncthreads();
    for (int i = tid; i < F * DVT; i += NT) {
      const int f = i / DVT, e = i % DVT;
      float s = S[i] * attnc_ratio(A, SG, L, 0, f);
      for (int j = 0; j < L; ++j) s += Kf[j * FS + f] * U[j * DVT + e];
      for (int j = 0; j < L; ++j) s += Qf[j * FS + f] * Vt[j * DVT + e];
      S[i] = s;
    }
#endif
  }

#if ATTNC_BIDIRECTIONAL
  // Every query row reads the final state (also rows at negative positions).
  for (long long q0 = 0; q0 < Nq; q0 += CH) {
    const int R = (int)attnc_mini(CH, Nq - q0);
    __syncthreads();
    attnc_load_rows(X, qp, args.q_strides.s[2], q0, 0, R);
    __syncthreads();
    attnc_features(args, b, h, q0 + off, X, Qf, stat, 0, R);
#if ATTNC_SUM
    for (int r = tid; r < R; r += NT) {
      float den = 0.0f;
      for (int f = 0; f < F; ++f) den += Qf[r * FS + f] * Z[f];
      Den[r] = den;
    }
    __syncthreads();
#endif
    for (int i = tid; i < R * DVT; i += NT) {
      const int r = i / DVT, e = i % DVT;
      if (e0 + e >= DV) continue;
      float o = 0.0f;
      for (int f = 0; f < F; ++f) o += Qf[r * FS + f] * S[f * DVT + e];
#if ATTNC_SUM
      o = Den[r] != 0.0f ? kScale * o / Den[r] : 0.0f;
#else
      o = kScale * o;
#endif
      attnc_store(op_ + (q0 + r) * args.o_strides.s[2] + e0 + e, o);
    }
  }
#else
  // The final state. With normalize sum one block holds every value column
  // (the emitter uses a single value tile), so z has one writer.
  __syncthreads();
  if (args.state_out)
    for (int i = tid; i < F * DVT; i += NT) {
      const int f = i / DVT, e = i % DVT;
      if (e0 + e < DV) args.state_out[(head * F + f) * DV + e0 + e] = S[i];
    }
#if ATTNC_SUM
  if (args.z_out)
    for (int f = tid; f < F; f += NT) args.z_out[head * F + f] = Z[f];
#endif
#endif
}
