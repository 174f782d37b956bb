//===- cuda_emu.h - CUDA device code as host C++ ----------------*- C++ -*-===//
//
// Force-included (-include cuda_emu.h -DATTNC_CUDA_EMULATE) when the CPU
// emulator's NVRTC stand-in compiles an emitted .cu with the host compiler.
// It supplies what nvcc would: the execution-space keywords, threadIdx and
// friends, barriers, shuffles, atomics, the fast-math intrinsics, and the
// toolkit's __half / __nv_bfloat16 (whose host paths are plain C++). PTX
// itself cannot run here; the kernel text selects emulated versions of its
// PTX wrappers under ATTNC_CUDA_EMULATE (codegen/device/ptx.cuh), which
// call the warp operations of EmuDevice.h.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CUDA_EMU_CUDA_EMU_H
#define ATTNC_CUDA_EMU_CUDA_EMU_H

#ifndef ATTNC_CUDA_EMULATE
#error "cuda_emu.h is for the CPU emulator: compile with -DATTNC_CUDA_EMULATE"
#endif

// The toolkit headers first, as host code (no __CUDACC__): every later
// #include of them in the kernel is then a no-op.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstring>

#include "EmuDevice.h"

// The kernel is compiled the way NVRTC compiles it: device code only, the
// nvcc host launcher (#ifndef __CUDACC_RTC__) left out.
#define __CUDACC_RTC__ 1

// ---- execution spaces and qualifiers (the toolkit's host_defines.h has
// host-compiler versions of some; these replace them) ----
#undef __global__
#undef __device__
#undef __host__
#undef __forceinline__
#undef __noinline__
#undef __launch_bounds__
#undef __align__
#undef __constant__
#undef __shared__
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __constant__
// Only `extern __shared__` arrays are supported: the NVRTC stand-in binds
// every one of them to the launch's dynamic shared memory (they alias, as
// in CUDA) and rejects other __shared__ variables.
#define __shared__

// ---- indices ----
#define threadIdx attnc_emu_threadIdx
#define blockIdx attnc_emu_blockIdx
#define blockDim attnc_emu_blockDim
#define gridDim attnc_emu_gridDim
#define warpSize 32

// ---- synchronization ----
inline void __syncthreads() { attnc_emu_syncthreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  attnc_emu_syncwarp(mask);
}
inline void __threadfence() {}
inline void __threadfence_block() {}

template <typename T>
T attnc_emu_shuffle(unsigned mask, T v, int mode, int arg, int width) {
  static_assert(sizeof(T) == 4 || sizeof(T) == 8, "shuffles move 4 or 8 bytes");
  attnc_emu_shfl(mask, &v, static_cast<int>(sizeof(T)), mode, arg, width);
  return v;
}
template <typename T>
T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
  return attnc_emu_shuffle(mask, v, 0, src, width);
}
template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned d, int width = 32) {
  return attnc_emu_shuffle(mask, v, 1, static_cast<int>(d), width);
}
template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned d, int width = 32) {
  return attnc_emu_shuffle(mask, v, 2, static_cast<int>(d), width);
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int lane_mask, int width = 32) {
  return attnc_emu_shuffle(mask, v, 3, lane_mask, width);
}

// ---- warp votes, through the shuffles (every lane of `mask` must call) ----
inline unsigned __ballot_sync(unsigned mask, int pred) {
  const unsigned lane =
      (threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z)) % 32;
  unsigned bits = pred ? 1u << lane : 0u;
  for (int o = 16; o > 0; o >>= 1) bits |= __shfl_xor_sync(mask, bits, o);
  return bits & mask;
}
inline int __all_sync(unsigned mask, int pred) {
  return (__ballot_sync(mask, pred) & mask) == mask;
}
inline int __any_sync(unsigned mask, int pred) {
  return __ballot_sync(mask, pred) != 0;
}

// ---- barriers with a block-wide predicate (one block runs at a time, so
// one accumulator serves every block; four barriers keep a slow thread's
// read apart from the next call's reset) ----
inline int attnc_emu_sync_reduce(int pred, int op) { // 0 or, 1 and, 2 count
  static int acc;
  __syncthreads();
  if (threadIdx.x == 0 && threadIdx.y == 0 && threadIdx.z == 0)
    acc = op == 1 ? 1 : 0;
  __syncthreads();
  if (op == 0)
    acc |= pred != 0;
  else if (op == 1)
    acc &= pred != 0;
  else
    acc += pred != 0;
  __syncthreads();
  const int result = acc;
  __syncthreads();
  return result;
}
inline int __syncthreads_or(int pred) { return attnc_emu_sync_reduce(pred, 0); }
inline int __syncthreads_and(int pred) { return attnc_emu_sync_reduce(pred, 1); }
inline int __syncthreads_count(int pred) { return attnc_emu_sync_reduce(pred, 2); }

// ---- double arithmetic rounded on its own (never contracted) ----
inline double __dadd_rn(double x, double y) {
  volatile double r = x + y;
  return r;
}
inline double __dmul_rn(double x, double y) {
  volatile double r = x * y;
  return r;
}

// ---- atomics: fibers switch only at synchronization points, so a plain
// read-modify-write is atomic here; the address is checked as the GPU
// checks it (size-aligned, inside shared memory or an allocation) ----
template <typename T> T atomicAdd(T *p, T v) {
  attnc_emu_atomic_check(p, static_cast<int>(sizeof(T)));
  T old = *p;
  *p = old + v;
  return old;
}
template <typename T> T atomicSub(T *p, T v) {
  attnc_emu_atomic_check(p, static_cast<int>(sizeof(T)));
  T old = *p;
  *p = old - v;
  return old;
}
template <typename T> T atomicExch(T *p, T v) {
  attnc_emu_atomic_check(p, static_cast<int>(sizeof(T)));
  T old = *p;
  *p = v;
  return old;
}
template <typename T> T atomicMax(T *p, T v) {
  attnc_emu_atomic_check(p, static_cast<int>(sizeof(T)));
  T old = *p;
  *p = old < v ? v : old;
  return old;
}
template <typename T> T atomicMin(T *p, T v) {
  attnc_emu_atomic_check(p, static_cast<int>(sizeof(T)));
  T old = *p;
  *p = v < old ? v : old;
  return old;
}
template <typename T> T atomicCAS(T *p, T cmp, T v) {
  attnc_emu_atomic_check(p, static_cast<int>(sizeof(T)));
  T old = *p;
  if (old == cmp)
    *p = v;
  return old;
}

// ---- arithmetic intrinsics ----
// __expf is ex2.approx of x * log2(e) on the GPU: keep the rounding of that
// product, which dominates its error for large |x|.
inline float __expf(float x) { return exp2f(x * 1.4426950408889634f); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fmaf_rn(float x, float y, float z) { return fmaf(x, y, z); }
inline float __saturatef(float x) {
  return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x);
}
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __int_as_float(int i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
inline int __float_as_int(float f) {
  int i;
  std::memcpy(&i, &f, 4);
  return i;
}
inline unsigned __float_as_uint(float f) {
  unsigned i;
  std::memcpy(&i, &f, 4);
  return i;
}
inline float __uint_as_float(unsigned i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
template <typename T> T __ldg(const T *p) { return *p; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }

// ---- address spaces ----
inline size_t __cvta_generic_to_shared(const void *p) {
  return attnc_emu_smem_offset(p);
}

#endif // ATTNC_CUDA_EMU_CUDA_EMU_H
