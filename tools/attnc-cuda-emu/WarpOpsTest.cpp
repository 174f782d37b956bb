//===- WarpOpsTest.cpp - The emulator's warp operations, checked ----------===//
//
// Runs small one-block launches through attnc_emu_launch and checks each
// warp operation against an independent computation: mma.m16n8k16 with
// fragments built from the PTX ISA's layout formulas against a plain matrix
// product; ldmatrix (plain and .trans) feeding mma the way the attention
// kernels do, again against the product; shuffles against the lane
// arithmetic; cp.async's poison-then-copy; and that misuse (lanes at
// different collectives, a barrier some threads skip) fails the launch.
// Matrix entries are multiples of 1/4 below 4 in magnitude, exact in f16
// and bf16, so every product and sum is exact and results must match
// bit for bit. Prints PASS/FAIL per check; exit status 1 on any failure.
//
//===----------------------------------------------------------------------===//

#include "EmuDevice.h"
#include "EmuTestHarness.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>

namespace {

using attnc_emu_test::check;
using attnc_emu_test::gFailures;
using attnc_emu_test::launch;

unsigned lane() { return attnc_emu_threadIdx.x % 32; }

/// 16-bit encodings of values exact in both formats (k / 4, |k| < 16).
uint16_t toBits(float v, bool bf16) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  if (bf16)
    return static_cast<uint16_t>(u >> 16);
  if (v == 0.0f)
    return static_cast<uint16_t>((u >> 16) & 0x8000);
  int e;
  float m = std::frexp(std::fabs(v), &e); // |v| = m 2^e, m in [0.5, 1)
  const uint16_t sign = v < 0 ? 0x8000 : 0;
  const uint16_t exp = static_cast<uint16_t>(e - 1 + 15);
  const uint16_t man = static_cast<uint16_t>(std::lround((m * 2 - 1) * 1024));
  return static_cast<uint16_t>(sign | exp << 10 | man);
}

unsigned pack(float lo, float hi, bool bf16) {
  return toBits(lo, bf16) | static_cast<unsigned>(toBits(hi, bf16)) << 16;
}

float randomEntry(std::mt19937 &rng) {
  return static_cast<float>(static_cast<int>(rng() % 31) - 15) / 4.0f;
}

/// mma with fragments built from the PTX ISA formulas.
void testMmaLayout(bool bf16) {
  std::mt19937 rng(bf16 ? 7 : 3);
  float a[16][16], b[16][8], c[16][8], want[16][8], got[16][8];
  for (auto &row : a)
    for (float &x : row)
      x = randomEntry(rng);
  for (auto &row : b)
    for (float &x : row)
      x = randomEntry(rng);
  for (auto &row : c)
    for (float &x : row)
      x = randomEntry(rng);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      double s = c[i][j];
      for (int k = 0; k < 16; ++k)
        s += static_cast<double>(a[i][k]) * b[k][j];
      want[i][j] = static_cast<float>(s);
    }
  std::string error = launch(32, 0, [&] {
    const int g = lane() / 4, t = lane() % 4;
    unsigned ra[4] = {pack(a[g][2 * t], a[g][2 * t + 1], bf16),
                      pack(a[g + 8][2 * t], a[g + 8][2 * t + 1], bf16),
                      pack(a[g][2 * t + 8], a[g][2 * t + 9], bf16),
                      pack(a[g + 8][2 * t + 8], a[g + 8][2 * t + 9], bf16)};
    unsigned b0 = pack(b[2 * t][g], b[2 * t + 1][g], bf16);
    unsigned b1 = pack(b[2 * t + 8][g], b[2 * t + 9][g], bf16);
    float d[4] = {c[g][2 * t], c[g][2 * t + 1], c[g + 8][2 * t],
                  c[g + 8][2 * t + 1]};
    attnc_emu_mma_m16n8k16(d, ra, b0, b1, bf16 ? "bf16" : "f16");
    got[g][2 * t] = d[0];
    got[g][2 * t + 1] = d[1];
    got[g + 8][2 * t] = d[2];
    got[g + 8][2 * t + 1] = d[3];
  });
  int bad = 0;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j)
      bad += got[i][j] != want[i][j];
  check(error.empty() && bad == 0,
        std::string("mma layout ") + (bf16 ? "bf16" : "f16"),
        error.empty() ? std::to_string(bad) + " of 128 wrong" : error);
}

/// ldmatrix.x4 feeding mma as in the attention kernel: A (16 x 16, rows in
/// shared memory), B from K stored as [n][k] rows (plain ldmatrix) and from
/// V stored as [k][n] rows (.trans). Each 8-element row chunk is placed at
/// a scattered slot to check that lanes' addresses are honoured.
void testLdmatrixMma(bool trans) {
  std::mt19937 rng(trans ? 11 : 5);
  float a[16][16], b[16][16], want[16][16], got[16][16];
  for (auto &row : a)
    for (float &x : row)
      x = randomEntry(rng);
  for (auto &row : b)
    for (float &x : row)
      x = randomEntry(rng);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      double s = 0;
      for (int k = 0; k < 16; ++k)
        s += static_cast<double>(a[i][k]) * b[k][j];
      want[i][j] = static_cast<float>(s);
    }
  // Chunk (matrix, row, half) -> slot: a permutation of 64 16-byte slots.
  int slotOf[2][16][2];
  int perm[64];
  for (int i = 0; i < 64; ++i)
    perm[i] = (i * 37 + 11) % 64;
  for (int m = 0; m < 2; ++m)
    for (int r = 0; r < 16; ++r)
      for (int h = 0; h < 2; ++h)
        slotOf[m][r][h] = perm[m * 32 + r * 2 + h];
  std::string error = launch(32, 64 * 16, [&] {
    uint16_t *smem = reinterpret_cast<uint16_t *>(attnc_emu_dynamic_smem);
    const unsigned l = lane();
    // Each lane writes one row chunk of A and one of the B operand tile.
    const int r = l % 16, h = l / 16;
    for (int e = 0; e < 8; ++e) {
      smem[slotOf[0][r][h] * 8 + e] = toBits(a[r][h * 8 + e], false);
      // K layout: row n holds B[.][n]; V layout: row k holds B[k][.].
      const float bv = trans ? b[r][h * 8 + e] : b[h * 8 + e][r];
      smem[slotOf[1][r][h] * 8 + e] = toBits(bv, false);
    }
    attnc_emu_syncthreads();
    unsigned fa[4], fb[4];
    // A: matrices (rows 0-7, k 0-7), (rows 8-15, k 0-7), (0-7, 8-15), (8-15,
    // 8-15).
    attnc_emu_ldmatrix(
        fa, 4, 0, smem + slotOf[0][(l % 8) + ((l / 8) % 2) * 8][l / 16] * 8);
    float d[2][4] = {};
    if (!trans) {
      // B from K rows: matrices (n 0-7, k 0-7), (n 0-7, k 8-15), (n 8-15, k
      // 0-7), (n 8-15, k 8-15).
      const int mi = l / 8;
      attnc_emu_ldmatrix(fb, 4, 0,
                         smem + slotOf[1][(l % 8) + (mi / 2) * 8][mi % 2] * 8);
    } else {
      // B from V rows, transposed: (k 0-7, n 0-7), (k 8-15, n 0-7), (k 0-7, n
      // 8-15), (k 8-15, n 8-15).
      const int mi = l / 8;
      attnc_emu_ldmatrix(fb, 4, 1,
                         smem + slotOf[1][(l % 8) + (mi % 2) * 8][mi / 2] * 8);
    }
    attnc_emu_mma_m16n8k16(d[0], fa, fb[0], fb[1], "f16");
    attnc_emu_mma_m16n8k16(d[1], fa, fb[2], fb[3], "f16");
    const int g = l / 4, t = l % 4;
    for (int n = 0; n < 2; ++n) {
      got[g][n * 8 + 2 * t] = d[n][0];
      got[g][n * 8 + 2 * t + 1] = d[n][1];
      got[g + 8][n * 8 + 2 * t] = d[n][2];
      got[g + 8][n * 8 + 2 * t + 1] = d[n][3];
    }
  });
  int bad = 0;
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      bad += got[i][j] != want[i][j];
  check(error.empty() && bad == 0,
        trans ? "ldmatrix.trans + mma" : "ldmatrix + mma",
        error.empty() ? std::to_string(bad) + " of 256 wrong" : error);
}

void testShuffles() {
  int got[4][64];
  std::string error = launch(64, 0, [&] {
    const int t = static_cast<int>(attnc_emu_threadIdx.x);
    int v = 1000 + t;
    int x = v, i = v, u = v, d = v;
    attnc_emu_shfl(0xffffffffu, &x, 4, 3, 5, 32); // xor 5
    attnc_emu_shfl(0xffffffffu, &i, 4, 0, 3, 8); // idx 3 within 8-lane segments
    attnc_emu_shfl(0xffffffffu, &u, 4, 1, 2, 32); // up 2
    attnc_emu_shfl(0xffffffffu, &d, 4, 2, 3, 16); // down 3 within 16
    got[0][t] = x;
    got[1][t] = i;
    got[2][t] = u;
    got[3][t] = d;
  });
  int bad = 0;
  for (int t = 0; t < 64; ++t) {
    const int w = t & ~31, l = t % 32;
    bad += got[0][t] != 1000 + w + (l ^ 5);
    bad += got[1][t] != 1000 + w + (l & ~7) + 3;
    bad += got[2][t] != 1000 + w + (l >= 2 ? l - 2 : l);
    bad += got[3][t] != 1000 + w + ((l % 16) + 3 < 16 ? l + 3 : l);
  }
  check(error.empty() && bad == 0, "shuffles",
        error.empty() ? std::to_string(bad) + " wrong" : error);
}

void testCpAsync() {
  std::vector<float> global(8);
  for (int i = 0; i < 8; ++i)
    global[i] = static_cast<float>(i + 1);
  bool poisonedBeforeWait = false;
  float after[8];
  std::string error = launch(32, 64, [&] {
    float *s = reinterpret_cast<float *>(attnc_emu_dynamic_smem);
    if (attnc_emu_threadIdx.x == 0) {
      attnc_emu_cp_async(s, global.data(), 16, 16);        // 4 floats
      attnc_emu_cp_async(s + 4, global.data() + 4, 16, 8); // 2 floats, 2 zeros
      attnc_emu_cp_async_commit();
      poisonedBeforeWait = std::isnan(s[0]) && std::isnan(s[7]);
      attnc_emu_cp_async_wait(0);
      std::memcpy(after, s, sizeof after);
    }
  });
  const float want[8] = {1, 2, 3, 4, 5, 6, 0, 0};
  check(error.empty() && poisonedBeforeWait &&
            std::memcmp(after, want, sizeof want) == 0,
        "cp.async poison, zero fill, wait", error);
}

void testMisuse() {
  std::string e1 = launch(32, 0, [] {
    int v = 1;
    unsigned r[4];
    if (lane() < 16)
      attnc_emu_shfl(0xffffffffu, &v, 4, 3, 1, 32);
    else
      attnc_emu_ldmatrix(r, 4, 0, attnc_emu_dynamic_smem);
  });
  check(e1.find("lanes") != std::string::npos,
        "lanes at different collectives fail", e1);
  std::string e2 = launch(64, 0, [] {
    if (attnc_emu_threadIdx.x < 40)
      attnc_emu_syncthreads();
  });
  check(e2.find("exited") != std::string::npos,
        "barrier skipped by some threads fails", e2);
  std::string e3 = launch(32, 64, [] {
    unsigned r[4];
    attnc_emu_ldmatrix(r, 4, 0, attnc_emu_dynamic_smem + 64);
  });
  check(e3.find("outside shared memory") != std::string::npos,
        "ldmatrix past the launch's shared memory fails", e3);
}

} // namespace

int main() {
  testMmaLayout(false);
  testMmaLayout(true);
  testLdmatrixMma(false);
  testLdmatrixMma(true);
  testShuffles();
  testCpAsync();
  testMisuse();
  std::printf("warp ops: %d failed\n", gFailures);
  return gFailures ? 1 : 0;
}
