// ==== codegen/device/cpu_storage_bf16.h: CPU: bf16 loads and round-to-nearest-even stores on raw bits ====
static inline float attnc_load(const storage_t *p) {
  return attnc_bits_to_float((unsigned int)*p << 16);
}
static inline void attnc_store(storage_t *p, float v) {
  unsigned int u = attnc_float_to_bits(v);
  if ((u & 0x7fffffffu) > 0x7f800000u) { *p = (storage_t)((u >> 16) | 0x40); return; }
  u += 0x7fffu + ((u >> 16) & 1u);
  *p = (storage_t)(u >> 16);
}
