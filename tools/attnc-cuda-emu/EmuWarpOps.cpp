//===- EmuWarpOps.cpp - Warp collectives and async copies ----------------===//
//
// This file implements the operations of emulated device code that involve
// more than one thread: shuffles, ldmatrix, mma.sync m16n8k16, and cp.async
// with its commit/wait groups. Fragment layouts follow the PTX ISA ("Matrix
// Fragments for mma.m16n8k16 with floating point type", "Warp-level matrix
// load instruction: ldmatrix"); test/Emu/warp-ops.test checks them against
// plain matrix products.
//
// cp.async is modelled at its two extremes: the destination is poisoned
// when the copy is issued (the earliest the hardware may write it) and
// written when a wait_group retires its group (the latest), so reading it
// before waiting, or overwriting a stage others still read, shows up.
//
//===----------------------------------------------------------------------===//

#include "EmuDevice.h"
#include "EmuScheduler.h"

#include <cmath>
#include <cstring>

using namespace attnc_emu;

namespace {

float halfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 31, man = h & 1023;
  float v;
  if (exp == 0)
    v = std::ldexp(static_cast<float>(man), -24);
  else if (exp == 31)
    v = man ? NAN : INFINITY;
  else
    v = std::ldexp(static_cast<float>(man | 1024), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

float bf16ToFloat(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint32_t pack(uint16_t lo, uint16_t hi) {
  return static_cast<uint32_t>(lo) | static_cast<uint32_t>(hi) << 16;
}

//===----------------------------------------------------------------------===//
// Shuffles
//===----------------------------------------------------------------------===//

// Slot layout: w[0..1] the value, w[2] the lane argument; the variant holds
// mode * 64 + width, which every lane must agree on.
void combineShuffle(WarpRound &r) {
  const int mode = r.variant / 64, width = r.variant % 64;
  for (int i = 0; i < kWarpSize; ++i) {
    if (!(r.mask & (1u << i)))
      continue;
    const int arg = static_cast<int>(r.in[i].w[2]);
    const int base = i & ~(width - 1);
    int src = i;
    switch (mode) {
    case 0: // idx
      src = base + (arg & (width - 1));
      break;
    case 1: // up: lanes below the segment keep their value
      src = i - arg >= base ? i - arg : i;
      break;
    case 2: // down
      src = i + arg < base + width ? i + arg : i;
      break;
    case 3: // xor: later segments are out of reach
      src = (i ^ arg) < base + width ? (i ^ arg) : i;
      break;
    }
    if (!(r.mask & (1u << src)))
      fail("lane %d reads lane %d, which is not in the shuffle's mask %#x", i,
           src, r.mask);
    r.out[i].w[0] = r.in[src].w[0];
    r.out[i].w[1] = r.in[src].w[1];
  }
}

void combineNothing(WarpRound &) {}

//===----------------------------------------------------------------------===//
// ldmatrix
//===----------------------------------------------------------------------===//

// Lanes 8m .. 8m + 7 give the row addresses of matrix m (8 rows of 8 16-bit
// elements, 16 bytes each). Lane l receives in register m the elements
// (l / 4, 2 (l % 4)) and (l / 4, 2 (l % 4) + 1) of matrix m, the lower
// column in the low half; with .trans the matrix is transposed first.
void combineLdmatrix(WarpRound &r) {
  const int num = r.variant / 2;
  const bool trans = r.variant % 2;
  for (int m = 0; m < num; ++m) {
    uint16_t mat[8][8];
    for (int row = 0; row < 8; ++row) {
      const void *p = r.in[8 * m + row].ptr;
      if (reinterpret_cast<uintptr_t>(p) % 16 != 0 || !inShared(p, 16))
        fail("ldmatrix: lane %d's row address %p is %s", 8 * m + row, p,
             reinterpret_cast<uintptr_t>(p) % 16 ? "not 16-byte aligned"
                                                 : "outside shared memory");
      std::memcpy(mat[row], p, 16);
    }
    for (int l = 0; l < kWarpSize; ++l) {
      const int g = l / 4, t = l % 4;
      r.out[l].w[m] = trans ? pack(mat[2 * t][g], mat[2 * t + 1][g])
                            : pack(mat[g][2 * t], mat[g][2 * t + 1]);
    }
  }
}

//===----------------------------------------------------------------------===//
// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32
//===----------------------------------------------------------------------===//

// Slot layout: w[0..3] the A registers, w[4..5] B, w[6..9] C (float bits).
// With g = lane / 4 and t = lane % 4, lane holds
//   A: a0,a1 (g, 2t..2t+1)  a2,a3 (g+8, 2t..)  a4,a5 (g, 2t+8..)  a6,a7 (g+8,
//   2t+8..) B: b0,b1 (2t..2t+1, g)  b2,b3 (2t+8.., g) C: c0,c1 (g, 2t..2t+1)
//   c2,c3 (g+8, 2t..2t+1)
void combineMma(WarpRound &r) {
  float (*cvt)(uint16_t) = r.variant == 1 ? bf16ToFloat : halfToFloat;
  float a[16][16], b[16][8], c[16][8];
  for (int l = 0; l < kWarpSize; ++l) {
    const int g = l / 4, t = l % 4;
    const uint32_t *w = r.in[l].w;
    for (int j = 0; j < 2; ++j) {
      const int shift = 16 * j;
      a[g][2 * t + j] = cvt(static_cast<uint16_t>(w[0] >> shift));
      a[g + 8][2 * t + j] = cvt(static_cast<uint16_t>(w[1] >> shift));
      a[g][2 * t + 8 + j] = cvt(static_cast<uint16_t>(w[2] >> shift));
      a[g + 8][2 * t + 8 + j] = cvt(static_cast<uint16_t>(w[3] >> shift));
      b[2 * t + j][g] = cvt(static_cast<uint16_t>(w[4] >> shift));
      b[2 * t + 8 + j][g] = cvt(static_cast<uint16_t>(w[5] >> shift));
      c[g][2 * t + j] = bitsFloat(w[6 + j]);
      c[g + 8][2 * t + j] = bitsFloat(w[8 + j]);
    }
  }
  // Products of two 16-bit floats are exact in float; the sum is in k
  // order (the hardware's order and internal width are unspecified).
  float d[16][8];
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 8; ++j) {
      float acc = c[i][j];
      for (int k = 0; k < 16; ++k)
        acc += a[i][k] * b[k][j];
      d[i][j] = acc;
    }
  for (int l = 0; l < kWarpSize; ++l) {
    const int g = l / 4, t = l % 4;
    for (int j = 0; j < 2; ++j) {
      r.out[l].w[j] = floatBits(d[g][2 * t + j]);
      r.out[l].w[2 + j] = floatBits(d[g + 8][2 * t + j]);
    }
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

extern "C" void attnc_emu_shfl(unsigned mask, void *value, int bytes, int mode,
                               int arg, int width) {
  if (bytes != 4 && bytes != 8)
    fail("shuffle of a %d-byte value", bytes);
  if (width < 1 || width > kWarpSize || (width & (width - 1)))
    fail("shuffle width %d is not a power of two up to 32", width);
  Slot in{};
  std::memcpy(in.w, value, static_cast<size_t>(bytes));
  in.w[2] = static_cast<uint32_t>(arg);
  Slot out =
      warpCollective(kShuffle, mode * 64 + width, mask, in, combineShuffle);
  std::memcpy(value, out.w, static_cast<size_t>(bytes));
}

extern "C" void attnc_emu_syncwarp(unsigned mask) {
  warpCollective(kSyncWarp, 0, mask, Slot{}, combineNothing);
}

extern "C" void attnc_emu_ldmatrix(unsigned *r, int num, int trans,
                                   const void *smem) {
  if (num != 1 && num != 2 && num != 4)
    fail("ldmatrix .x%d", num);
  Slot in{};
  in.ptr = smem;
  Slot out = warpCollective(kLdmatrix, num * 2 + (trans ? 1 : 0), 0xffffffffu,
                            in, combineLdmatrix);
  std::memcpy(r, out.w, sizeof(unsigned) * static_cast<size_t>(num));
}

extern "C" void attnc_emu_mma_m16n8k16(float *d, const unsigned *a, unsigned b0,
                                       unsigned b1, const char *type) {
  const bool bf16 = std::strcmp(type, "bf16") == 0;
  if (!bf16 && std::strcmp(type, "f16") != 0)
    fail("mma with element type '%s'", type);
  Slot in{};
  std::memcpy(in.w, a, 16);
  in.w[4] = b0;
  in.w[5] = b1;
  std::memcpy(in.w + 6, d, 16);
  Slot out = warpCollective(kMma, bf16 ? 1 : 0, 0xffffffffu, in, combineMma);
  std::memcpy(d, out.w, 16);
}

extern "C" void attnc_emu_cp_async(void *smem, const void *gmem, int bytes,
                                   int srcBytes) {
  const uintptr_t dst = reinterpret_cast<uintptr_t>(smem);
  const uintptr_t src = reinterpret_cast<uintptr_t>(gmem);
  if (bytes != 4 && bytes != 8 && bytes != 16)
    fail("cp.async of %d bytes", bytes);
  if (srcBytes < 0 || srcBytes > bytes)
    fail("cp.async src-size %d for a %d-byte copy", srcBytes, bytes);
  if (dst % bytes || !inShared(smem, static_cast<size_t>(bytes)))
    fail("thread %d: cp.async destination %p is %s", currentThread(), smem,
         dst % bytes ? "misaligned" : "outside shared memory");
  if (srcBytes > 0 &&
      (src % bytes || !inGlobal(gmem, static_cast<size_t>(srcBytes))))
    fail("thread %d: cp.async source %p is %s", currentThread(), gmem,
         src % bytes ? "misaligned" : "outside every allocation");
  std::memset(smem, kPoison, static_cast<size_t>(bytes));
  currentAsyncQueue().open.push_back({static_cast<unsigned char *>(smem),
                                      static_cast<const unsigned char *>(gmem),
                                      bytes, srcBytes});
}

extern "C" void attnc_emu_atomic_check(const void *p, int bytes) {
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  if (address % static_cast<uintptr_t>(bytes))
    fail("thread %d: %d-byte atomic at %p: misaligned address", currentThread(),
         bytes, p);
}

extern "C" void attnc_emu_cp_async_commit(void) {
  AsyncQueue &q = currentAsyncQueue();
  q.groups.push_back(std::move(q.open));
  q.open.clear();
}

extern "C" void attnc_emu_cp_async_wait(int pending) {
  AsyncQueue &q = currentAsyncQueue();
  while (q.groups.size() > static_cast<size_t>(pending)) {
    for (const AsyncCopy &c : q.groups.front())
      performCopy(c);
    q.groups.pop_front();
  }
}

namespace attnc_emu {

void performCopy(const AsyncCopy &c) {
  std::memcpy(c.dst, c.src, static_cast<size_t>(c.srcBytes));
  std::memset(c.dst + c.srcBytes, 0, static_cast<size_t>(c.bytes - c.srcBytes));
}

void drainAsync(AsyncQueue &queue) {
  for (const std::vector<AsyncCopy> &g : queue.groups)
    for (const AsyncCopy &c : g)
      performCopy(c);
  for (const AsyncCopy &c : queue.open)
    performCopy(c);
  queue = AsyncQueue();
}

} // namespace attnc_emu
