// simt_host.h - runs one generated SIMT CUDA kernel on the host, for tests.
//
// Force-included (-include) before a generated .cu compiled as C++ with
// __CUDACC_RTC__ defined (so no host launcher, no CUDA headers): the
// threads of a block are ucontext coroutines on one OS thread, and
// __syncthreads switches to the next one, so every thread runs from one
// barrier to the next before any passes it. simt_run_block checks that
// every thread reaches the same number of barriers, and can run the
// threads of each phase in reverse order: a result that depends on the
// order exposes a missing barrier. Only what the linear kernels use is
// modelled: dynamic shared memory, threadIdx.x, blockIdx, barriers, f16/bf16
// storage conversions. No warp-level operations.
#ifndef SIMT_HOST_H
#define SIMT_HOST_H

#include <math.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ucontext.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n)
#define __shared__


struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};
inline dim3 threadIdx, blockIdx, gridDim;

// The block's dynamic shared memory (the kernels declare it extern).
alignas(16) unsigned char attnc_smem[256 * 1024];

struct __half {
  unsigned short bits;
};
struct __nv_bfloat16 {
  unsigned short bits;
};
inline float __half2float(__half h) {
  _Float16 f;
  std::memcpy(&f, &h.bits, 2);
  return (float)f;
}
inline __half __float2half_rn(float v) {
  _Float16 f = (_Float16)v;
  __half h;
  std::memcpy(&h.bits, &f, 2);
  return h;
}
inline float __bfloat162float(__nv_bfloat16 b) {
  unsigned u = (unsigned)b.bits << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline __nv_bfloat16 __float2bfloat16_rn(float v) {
  unsigned u;
  std::memcpy(&u, &v, 4);
  __nv_bfloat16 b;
  if ((u & 0x7fffffffu) > 0x7f800000u)
    b.bits = (unsigned short)((u >> 16) | 0x40);
  else
    b.bits = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  return b;
}

namespace simt {
constexpr int kMaxThreads = 1024;
constexpr size_t kStack = 256 * 1024;
inline ucontext_t scheduler, contexts[kMaxThreads];
inline int current, barriers[kMaxThreads];
inline bool done[kMaxThreads];
inline void (*body)();

inline void entry() {
  body();
  done[current] = true; // uc_link returns to the scheduler
}
} // namespace simt

inline void __syncthreads() {
  ++simt::barriers[simt::current];
  swapcontext(&simt::contexts[simt::current], &simt::scheduler);
}

// Runs `fn` as one block of `threads` threads; returns false (with a
// message) when the threads disagree on the barriers they reach.
inline bool simt_run_block(int threads, void (*fn)(), bool reverse) {
  static char *stacks = (char *)std::malloc(simt::kStack * simt::kMaxThreads);
  simt::body = fn;
  for (int t = 0; t < threads; ++t) {
    simt::done[t] = false;
    simt::barriers[t] = 0;
    getcontext(&simt::contexts[t]);
    simt::contexts[t].uc_stack.ss_sp = stacks + simt::kStack * t;
    simt::contexts[t].uc_stack.ss_size = simt::kStack;
    simt::contexts[t].uc_link = &simt::scheduler;
    makecontext(&simt::contexts[t], simt::entry, 0);
  }
  for (int phase = 0;; ++phase) {
    int finished = 0;
    for (int i = 0; i < threads; ++i) {
      const int t = reverse ? threads - 1 - i : i;
      if (simt::done[t]) {
        ++finished;
        continue;
      }
      simt::current = t;
      threadIdx.x = (unsigned)t;
      swapcontext(&simt::scheduler, &simt::contexts[t]);
      finished += simt::done[t];
    }
    if (finished == threads)
      break;
    for (int t = 1; t < threads; ++t)
      if (simt::barriers[t] != simt::barriers[0] || simt::done[t] != simt::done[0]) {
        std::fprintf(stderr, "simt: thread %d reached %d barriers, thread 0 %d\n", t,
                     simt::barriers[t], simt::barriers[0]);
        return false;
      }
  }
  return true;
}

#endif // SIMT_HOST_H
