//===- DevicePrimitivesTest.cpp - codegen/device primitives on the emulator
//===//
//
// Compiles device files of codegen/device/ the way the emulator compiles an
// emitted kernel (cuda_emu.h, ATTNC_CUDA_EMULATE) and checks their
// primitives against scalar computations:
// - softmax_row_scale.cuh under each normalizer (ATTNC_NORMALIZE 0, 1, 2),
//   against the factors docs/language.md gives (1/l, 0 for an empty row or
//   a zero sum, 1 for none);
// - ptx.cuh's wrappers composed exactly as softmax_tensor_core.cuh composes
//   them for one warp's 16 rows: tiles loaded by cp.async into swizzled
//   shared memory (rows past the end zero-filled), S = Q K^T by ldmatrix +
//   mma over a 64-wide head, S's accumulators packed (attnc_pack2) into
//   the A operand of O = S V by ldmatrix.trans + mma, for bf16 and f16,
//   against plain matrix products.
// Entries are chosen so every product, sum and the bf16/f16 rounding of S
// are exact: results must match bit for bit. Each file is included once per
// configuration in its own namespace (they have no include guards and are
// configured by macros, as in an emitted kernel). Prints PASS/FAIL per
// check; exit status 1 on any failure (test/Emu/device-primitives.test).
//
//===----------------------------------------------------------------------===//

#include "cuda_emu.h"
#include "EmuTestHarness.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>

namespace normalize_softmax {
#define ATTNC_NORMALIZE 0
#include "codegen/device/softmax_row_scale.cuh"
#undef ATTNC_NORMALIZE
} // namespace normalize_softmax

namespace normalize_sum {
#define ATTNC_NORMALIZE 1
#include "codegen/device/softmax_row_scale.cuh"
#undef ATTNC_NORMALIZE
} // namespace normalize_sum

namespace normalize_none {
#define ATTNC_NORMALIZE 2
#include "codegen/device/softmax_row_scale.cuh"
#undef ATTNC_NORMALIZE
} // namespace normalize_none

/// ptx.cuh for one storage type, with the entry points the test calls.
#define ATTNC_PTX_FOR(NS, NAME)                                                \
  namespace NS {                                                               \
  struct Ptx {                                                                 \
    static constexpr const char *name = NAME;                                  \
    static void cpAsync16(void *s, const void *g, int bytes) {                 \
      attnc_cp_async16(s, g, bytes);                                           \
    }                                                                          \
    static void commitAndWait() {                                              \
      attnc_cp_async_commit();                                                 \
      attnc_cp_async_wait<0>();                                                \
    }                                                                          \
    static void ldmatrix(unsigned (&r)[4], const void *s) {                    \
      attnc_ldmatrix_x4(r, s);                                                 \
    }                                                                          \
    static void ldmatrixTrans(unsigned (&r)[4], const void *s) {               \
      attnc_ldmatrix_x4_trans(r, s);                                           \
    }                                                                          \
    static void mma(float (&d)[4], const unsigned (&a)[4], unsigned b0,        \
                    unsigned b1) {                                             \
      attnc_mma(d, a, b0, b1);                                                 \
    }                                                                          \
    static unsigned pack2(float lo, float hi) { return attnc_pack2(lo, hi); }  \
    static int swz(int row, int chunk, int nchunks) {                          \
      return attnc_swz(row, chunk, nchunks);                                   \
    }                                                                          \
  };                                                                           \
  }

namespace ptx_bf16 {
#define ATTNC_MMA_TYPE "bf16"
#define ATTNC_PAIR_T __nv_bfloat162
#define ATTNC_PACK2 __floats2bfloat162_rn
#include "codegen/device/ptx.cuh"
#undef ATTNC_MMA_TYPE
#undef ATTNC_PAIR_T
#undef ATTNC_PACK2
} // namespace ptx_bf16
ATTNC_PTX_FOR(ptx_bf16, "bf16")

namespace ptx_f16 {
#define ATTNC_MMA_TYPE "f16"
#define ATTNC_PAIR_T __half2
#define ATTNC_PACK2 __floats2half2_rn
#include "codegen/device/ptx.cuh"
#undef ATTNC_MMA_TYPE
#undef ATTNC_PAIR_T
#undef ATTNC_PACK2
} // namespace ptx_f16
ATTNC_PTX_FOR(ptx_f16, "f16")

namespace {

using attnc_emu_test::check;
using attnc_emu_test::gFailures;
using attnc_emu_test::launch;

std::string hex(float v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%a", static_cast<double>(v));
  return buf;
}

bool sameBits(float a, float b) { return std::memcmp(&a, &b, 4) == 0; }

/// The row factor of each normalizer against its definition, on sums the
/// kernels produce: positive, zero (an empty row: every score masked),
/// negative (a sum of signed scores) and the extremes.
void testRowScale() {
  const float sums[] = {1.0f,
                        4.0f,
                        0.3f,
                        1e-30f,
                        3e38f,
                        0.0f,
                        -0.0f,
                        -2.0f,
                        -0.5f,
                        1e-45f,
                        std::ldexp(1.0f, -126)};
  int bad[3] = {0, 0, 0};
  std::string first[3];
  for (float l : sums) {
    const float want[3] = {l > 0.0f ? 1.0f / l : 0.0f,
                           l != 0.0f ? 1.0f / l : 0.0f, 1.0f};
    const float got[3] = {normalize_softmax::attnc_row_scale(l),
                          normalize_sum::attnc_row_scale(l),
                          normalize_none::attnc_row_scale(l)};
    for (int m = 0; m < 3; ++m)
      if (!sameBits(got[m], want[m]) && bad[m]++ == 0)
        first[m] = "l = " + hex(l) + ": got " + hex(got[m]) + ", expected " +
                   hex(want[m]);
  }
  const char *names[3] = {"softmax", "sum", "none"};
  for (int m = 0; m < 3; ++m)
    check(bad[m] == 0, std::string("attnc_row_scale ") + names[m], first[m]);
}

/// 16-bit storage bits of v (exact in both formats by construction).
uint16_t storageBits(float v, bool bf16) {
  uint16_t bits;
  if (bf16) {
    const __nv_bfloat16 h = __float2bfloat16_rn(v);
    std::memcpy(&bits, &h, 2);
  } else {
    const __half h = __float2half_rn(v);
    std::memcpy(&bits, &h, 2);
  }
  return bits;
}

/// One warp's S = Q K^T and O = S V through ptx.cuh, addressed as
/// softmax_tensor_core.cuh addresses them (MT = 1, DP = DVP = 64, BK = 16).
/// Keys from `keys` on are past the end: cp.async zero-fills them.
template <typename Ptx> void testTileProducts(bool bf16, int keys) {
  constexpr int kRows = 16, kKeys = 16, kDim = 64, kChunks = kDim / 8;
  std::mt19937 rng(bf16 ? 17 : 29);
  // q in {-3/4, ..., 3/4} step 1/4, k in {-1, 0, 1}: |S| <= 48 in steps of
  // 1/4, exact in bf16 and f16; v = j/4, |j| < 16: O exact in f32.
  float q[kRows][kDim], k[kKeys][kDim], v[kKeys][kDim];
  for (auto &row : q)
    for (float &x : row)
      x = static_cast<float>(static_cast<int>(rng() % 7) - 3) / 4.0f;
  for (auto &row : k)
    for (float &x : row)
      x = static_cast<float>(static_cast<int>(rng() % 3) - 1);
  for (auto &row : v)
    for (float &x : row)
      x = static_cast<float>(static_cast<int>(rng() % 31) - 15) / 4.0f;
  uint16_t gq[kRows][kDim], gk[kKeys][kDim], gv[kKeys][kDim];
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kDim; ++c)
      gq[r][c] = storageBits(q[r][c], bf16);
  for (int r = 0; r < kKeys; ++r)
    for (int c = 0; c < kDim; ++c) {
      gk[r][c] = storageBits(k[r][c], bf16);
      gv[r][c] = storageBits(v[r][c], bf16);
    }

  double wantS[kRows][kKeys], wantO[kRows][kDim];
  for (int i = 0; i < kRows; ++i)
    for (int j = 0; j < kKeys; ++j) {
      double s = 0;
      for (int c = 0; c < kDim && j < keys; ++c)
        s += static_cast<double>(q[i][c]) * k[j][c];
      wantS[i][j] = s;
    }
  for (int i = 0; i < kRows; ++i)
    for (int e = 0; e < kDim; ++e) {
      double o = 0;
      for (int j = 0; j < keys; ++j)
        o += wantS[i][j] * v[j][e];
      wantO[i][e] = o;
    }

  float gotS[kRows][kKeys], gotO[kRows][kDim];
  const size_t tileBytes = kRows * kDim * sizeof(uint16_t);
  std::string error = launch(32, 3 * tileBytes, [&] {
    uint16_t *qs = reinterpret_cast<uint16_t *>(attnc_emu_dynamic_smem);
    uint16_t *ks = qs + kRows * kDim, *vs = ks + kKeys * kDim;
    const int lane = threadIdx.x % 32, quadRow = lane / 4, quadCol = lane % 4;
    // attnc_load_tile: 16-byte chunks into swizzled rows, zero past `keys`.
    for (int i = lane; i < kRows * kChunks; i += 32) {
      const int r = i / kChunks, c = i % kChunks,
                slot = Ptx::swz(r, c, kChunks);
      Ptx::cpAsync16(qs + slot, &gq[r][c * 8], 16);
      Ptx::cpAsync16(ks + slot, r < keys ? &gk[r][c * 8] : &gk[0][0],
                     r < keys ? 16 : 0);
      Ptx::cpAsync16(vs + slot, r < keys ? &gv[r][c * 8] : &gv[0][0],
                     r < keys ? 16 : 0);
    }
    Ptx::commitAndWait();
    __syncthreads();
    float s[kKeys / 8][4] = {};
    for (int kstep = 0; kstep < kDim / 16; ++kstep) {
      unsigned qa[4];
      const int r = (lane % 8) + ((lane / 8) % 2) * 8;
      Ptx::ldmatrix(qa, qs + Ptx::swz(r, kstep * 2 + lane / 16, kChunks));
      unsigned kf[4];
      const int mi = lane / 8, key = (lane % 8) + (mi / 2) * 8;
      Ptx::ldmatrix(kf, ks + Ptx::swz(key, kstep * 2 + (mi % 2), kChunks));
      Ptx::mma(s[0], qa, kf[0], kf[1]);
      Ptx::mma(s[1], qa, kf[2], kf[3]);
    }
    for (int nt = 0; nt < kKeys / 8; ++nt)
      for (int i = 0; i < 4; ++i)
        gotS[quadRow + (i >= 2 ? 8 : 0)][nt * 8 + quadCol * 2 + (i & 1)] =
            s[nt][i];
    // O = S V: S's accumulator layout is the A operand layout.
    const unsigned pa[4] = {
        Ptx::pack2(s[0][0], s[0][1]), Ptx::pack2(s[0][2], s[0][3]),
        Ptx::pack2(s[1][0], s[1][1]), Ptx::pack2(s[1][2], s[1][3])};
    float o[kDim / 8][4] = {};
    for (int np = 0; np < kDim / 16; ++np) {
      unsigned vf[4];
      const int mi = lane / 8, key = (lane % 8) + (mi % 2) * 8;
      Ptx::ldmatrixTrans(vf, vs + Ptx::swz(key, np * 2 + mi / 2, kChunks));
      Ptx::mma(o[2 * np], pa, vf[0], vf[1]);
      Ptx::mma(o[2 * np + 1], pa, vf[2], vf[3]);
    }
    for (int nt = 0; nt < kDim / 8; ++nt)
      for (int i = 0; i < 4; ++i)
        gotO[quadRow + (i >= 2 ? 8 : 0)][nt * 8 + quadCol * 2 + (i & 1)] =
            o[nt][i];
  });

  int badS = 0, badO = 0;
  std::string first;
  for (int i = 0; i < kRows; ++i)
    for (int j = 0; j < kKeys; ++j)
      if (gotS[i][j] != static_cast<float>(wantS[i][j]) && badS++ == 0)
        first = "S[" + std::to_string(i) + "][" + std::to_string(j) +
                "] = " + hex(gotS[i][j]) + ", expected " +
                hex(static_cast<float>(wantS[i][j]));
  for (int i = 0; i < kRows; ++i)
    for (int e = 0; e < kDim; ++e)
      if (gotO[i][e] != static_cast<float>(wantO[i][e]) && badO++ == 0 &&
          first.empty())
        first = "O[" + std::to_string(i) + "][" + std::to_string(e) +
                "] = " + hex(gotO[i][e]) + ", expected " +
                hex(static_cast<float>(wantO[i][e]));
  check(error.empty() && badS == 0 && badO == 0,
        std::string("ptx.cuh S = Q K^T, O = S V ") + Ptx::name + ", " +
            std::to_string(keys) + " of 16 keys",
        !error.empty() ? error
        : first.empty()
            ? ""
            : std::to_string(badS) + " of 256 S and " + std::to_string(badO) +
                  " of 1024 O wrong; first: " + first);
}

} // namespace

int main() {
  testRowScale();
  testTileProducts<ptx_bf16::Ptx>(true, 16);
  testTileProducts<ptx_bf16::Ptx>(true, 13);
  testTileProducts<ptx_f16::Ptx>(false, 16);
  testTileProducts<ptx_f16::Ptx>(false, 13);
  std::printf("device primitives: %d failed\n", gFailures);
  return gFailures ? 1 : 0;
}
