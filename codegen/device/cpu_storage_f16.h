// ==== codegen/device/cpu_storage_f16.h: CPU: f16 loads and round-to-nearest-even stores on raw bits ====
static inline float attnc_load(const storage_t *p) {
  unsigned int h = *p, sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  if (exp == 0x1f) return attnc_bits_to_float(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    float f = (float)man * 5.9604644775390625e-8f; // man * 2^-24
    return sign ? -f : f;
  }
  return attnc_bits_to_float(sign | ((exp + 112) << 23) | (man << 13));
}
static inline void attnc_store(storage_t *p, float v) {
  unsigned int u = attnc_float_to_bits(v), sign = (u >> 16) & 0x8000u;
  unsigned int a = u & 0x7fffffffu;
  if (a > 0x7f800000u) { *p = (storage_t)(sign | 0x7e00u); return; }
  if (a >= 0x477ff000u) { *p = (storage_t)(sign | 0x7c00u); return; } // rounds to inf
  if (a < 0x38800000u) { // subnormal half: round a * 2^24 to an integer, ties to even
    float f = attnc_bits_to_float(a) * 16777216.0f;
    float r = __builtin_nearbyintf(f);
    *p = (storage_t)(sign | (unsigned int)r);
    return;
  }
  unsigned int e = ((a >> 23) - 112) << 10, m = (a >> 13) & 0x3ffu;
  unsigned int rest = a & 0x1fffu, h = e | m;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  *p = (storage_t)(sign | h);
}
