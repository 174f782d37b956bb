// ==== codegen/device/scalar_helpers.h: scalar helpers with .attn semantics (both targets, ATTNC_HD) ====
// ---- scalar helpers with .attn semantics ----
#ifdef __CUDACC__
#define ATTNC_HD __host__ __device__ __forceinline__
#else
#define ATTNC_HD static inline
#endif
ATTNC_HD long long attnc_mini(long long a, long long b) { return a < b ? a : b; }
ATTNC_HD long long attnc_maxi(long long a, long long b) { return a > b ? a : b; }
// Index arithmetic wraps (64-bit two's complement, docs/language.md
// "Integer arithmetic"), as in the reference executor: through unsigned
// arithmetic, since signed overflow would let the C++ compiler assume it
// never happens (and fold `q + C > 0` to `q > -C`).
ATTNC_HD long long attnc_addi(long long a, long long b) {
  return (long long)((unsigned long long)a + (unsigned long long)b);
}
ATTNC_HD long long attnc_subi(long long a, long long b) {
  return (long long)((unsigned long long)a - (unsigned long long)b);
}
ATTNC_HD long long attnc_muli(long long a, long long b) {
  return (long long)((unsigned long long)a * (unsigned long long)b);
}
ATTNC_HD long long attnc_absi(long long a) {
  return a < 0 ? (long long)(0ULL - (unsigned long long)a) : a;
}
// Floor division; dividing by zero gives 0 (as in the reference executor).
ATTNC_HD long long attnc_floordiv(long long a, long long b) {
  if (b == 0 || (b == -1 && a == (-9223372036854775807LL - 1))) return 0;
  long long q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
ATTNC_HD long long attnc_rem(long long a, long long b) {
  return (b == 0 || b == -1) ? 0 : a % b;
}
// NVRTC has no __builtin_huge_valf; device code uses the bit patterns.
#ifdef __CUDA_ARCH__
ATTNC_HD float attnc_inf() { return __int_as_float(0x7f800000); }
ATTNC_HD float attnc_nan() { return __int_as_float(0x7fffffff); }
#else
ATTNC_HD float attnc_inf() { return __builtin_huge_valf(); }
ATTNC_HD float attnc_nan() { return __builtin_nanf(""); }
#endif
// NaN-propagating min/max (arith.minimumf / maximumf).
ATTNC_HD float attnc_minimumf(float a, float b) {
  return (a != a || b != b) ? attnc_nan() : (a < b ? a : b);
}
ATTNC_HD float attnc_maximumf(float a, float b) {
  return (a != a || b != b) ? attnc_nan() : (a > b ? a : b);
}
