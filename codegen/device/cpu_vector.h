// ==== codegen/device/cpu_vector.h: CPU: 8-float vectors and a vectorized exp for the inner products ====
// 8-float vectors (GCC/Clang vector extensions): the inner products
// keep several of them in registers while the other operand streams by,
// which the auto-vectorizer does not reliably do on its own.
typedef float attnc_v8 __attribute__((vector_size(32)));
static inline attnc_v8 attnc_ld8(const float *p) { attnc_v8 v; memcpy(&v, p, sizeof v); return v; }
static inline void attnc_st8(float *p, attnc_v8 v) { memcpy(p, &v, sizeof v); }

// exp on 8 floats: Cody-Waite reduction to r in [-ln2/2, ln2/2], a degree-6
// Taylor polynomial (relative error about 2e-7, close to expf), then the
// exponent bits. -inf and anything below -87 give 0; NaN stays NaN.
static inline attnc_v8 attnc_exp8(attnc_v8 x) {
  typedef int attnc_i8 __attribute__((vector_size(32)));
  const attnc_v8 lo = x < -87.0f ? (attnc_v8){0} - 1.0f : (attnc_v8){0};
  attnc_v8 xc = x < -87.0f ? (attnc_v8){0} - 87.0f : x;
  xc = xc > 88.0f ? (attnc_v8){0} + 88.0f : xc;
  const attnc_v8 magic = (attnc_v8){0} + 12582912.0f; // 1.5 * 2^23: round to int
  const attnc_v8 z = xc * 1.44269504f + magic;
  const attnc_v8 n = z - magic;
  const attnc_v8 r = (xc - n * 0.693145752f) - n * 1.42860677e-06f;
  attnc_v8 p = 1.0f / 720.0f + r * 0.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  attnc_i8 zi;
  memcpy(&zi, &z, sizeof zi);
  const attnc_i8 bits = ((zi - 0x4B400000) + 127) << 23;
  attnc_v8 scale;
  memcpy(&scale, &bits, sizeof scale);
  attnc_v8 result = p * scale;
  result = lo != 0.0f ? (attnc_v8){0} : result;
  return x != x ? x : result;
}

