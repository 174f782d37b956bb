//===- half.h - float16 and bfloat16 conversions ----------------*- C++ -*-===//
//
// This file implements bit-exact conversions between float and the two 16-bit
// formats kernels use for storage: IEEE binary16 (float16) and bfloat16. They
// are done on integer bit patterns rather than with compiler `_Float16` or
// intrinsics so that the runtime, the reference executor and tests agree on
// every value on every host. All narrowing conversions round to nearest, ties
// to even, as GPU conversion instructions do.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_HALF_H
#define ATTNC_HALF_H

#include <cstdint>
#include <cstring>

namespace attnc {
namespace detail {

inline uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

} // namespace detail

/// Widens an IEEE binary16 bit pattern to float. Exact for every input,
/// including subnormals; NaN payloads are kept.
inline float halfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f)
    return detail::bitsToFloat(sign | 0x7f800000u | (mant << 13));
  if (exp == 0) {
    // Subnormal halves are normal floats; mant * 2^-24 is exact in float.
    float v = static_cast<float>(mant) * 0x1p-24f;
    return sign ? -v : v;
  }
  // Rebias the exponent from 15 to 127.
  return detail::bitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
}

/// Narrows a float to an IEEE binary16 bit pattern, rounding to nearest even.
/// Values of magnitude 65520 or more become infinity, values of magnitude at
/// most 2^-25 become signed zero, and NaN stays a (quiet) NaN.
inline uint16_t floatToHalf(float f) {
  uint32_t x = detail::floatToBits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;

  if (absx >= 0x7f800000u) {
    if (absx == 0x7f800000u)
      return static_cast<uint16_t>(sign | 0x7c00u);
    // Force the quiet bit: a payload living only in the low 13 bits would
    // otherwise be shifted out and turn the NaN into infinity.
    return static_cast<uint16_t>(sign | 0x7e00u | ((absx >> 13) & 0x3ffu));
  }
  // 65520 is halfway between 65504 (odd mantissa) and 65536, so it and
  // everything above rounds to infinity.
  if (absx >= 0x477ff000u)
    return static_cast<uint16_t>(sign | 0x7c00u);

  if (absx >= 0x38800000u) { // >= 2^-14: normal half.
    uint32_t mant = absx & 0x7fffffu;
    uint32_t exp = (absx >> 23) - 112;
    uint32_t h = (exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fffu;
    // A carry out of the mantissa correctly bumps the exponent.
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u)))
      ++h;
    return static_cast<uint16_t>(sign | h);
  }

  // 2^-25 is the tie between zero and the smallest subnormal; even is zero.
  if (absx <= 0x33000000u)
    return static_cast<uint16_t>(sign);

  // Subnormal half: the result counts units of 2^-24. With the implicit bit
  // restored, value = mant * 2^(e - 150), so the unit count is
  // mant >> (126 - e); the shift is in [14, 24] here.
  uint32_t e = absx >> 23;
  uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
  uint32_t shift = 126 - e;
  uint32_t h = mant >> shift;
  uint32_t rem = mant & ((1u << shift) - 1);
  uint32_t halfway = 1u << (shift - 1);
  // Rounding up from 0x3ff yields 0x400, the smallest normal, as it should.
  if (rem > halfway || (rem == halfway && (h & 1u)))
    ++h;
  return static_cast<uint16_t>(sign | h);
}

/// Widens a bfloat16 bit pattern to float; always exact.
inline float bf16ToFloat(uint16_t h) {
  return detail::bitsToFloat(static_cast<uint32_t>(h) << 16);
}

/// Narrows a float to a bfloat16 bit pattern, rounding to nearest even.
/// bfloat16 has float's exponent range, so only rounding can overflow (to
/// infinity); NaN stays a (quiet) NaN.
inline uint16_t floatToBf16(float f) {
  uint32_t x = detail::floatToBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((x >> 16) | 0x0040u);
  // Adding 0x7fff plus the lowest kept bit rounds ties to even; a carry
  // propagates into the exponent and, past the largest finite, to infinity.
  uint32_t rounded = x + 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

/// Returns `f` rounded to the nearest float16 value, as a float.
inline float roundToHalf(float f) { return halfToFloat(floatToHalf(f)); }

/// Returns `f` rounded to the nearest bfloat16 value, as a float.
inline float roundToBf16(float f) { return bf16ToFloat(floatToBf16(f)); }

} // namespace attnc

#endif // ATTNC_HALF_H
