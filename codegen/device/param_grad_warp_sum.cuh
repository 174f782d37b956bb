// ==== codegen/device/param_grad_warp_sum.cuh: CUDA: a learned parameter's gradient added once per warp group ====
// Embedded before the parameter-gradient writers of the tensor-core backward
// (codegen/BackwardCudaEmitter.cpp); needs nothing before it.
// Every element of a score tile adds dL/dparam into a double accumulator. One atomicAdd per
// element serializes the whole grid on a parameter that every element reads (ALiBi's slope[h]:
// 64 x 64 adds per tile on one address), so the lanes of a warp that add to the same address sum
// first: butterfly steps at distances 1, 2, 4, 8, 16 while every lane's partner has its address
// (a [h] parameter: the whole warp; a per-key one: the 4 lanes of a quad), then one atomicAdd per
// group. Every lane of the warp must call it at the same point (the writers never return early
// there; a lane with nothing to add passes 0).
__device__ __forceinline__ void attnc_bwd_grad_add(double *p, double v) {
  const unsigned long long addr = (unsigned long long)p;
  int group = 1;
#pragma unroll
  for (int d = 1; d < 32; d <<= 1) {
    const unsigned long long other = __shfl_xor_sync(0xffffffffu, addr, d);
    if (!__all_sync(0xffffffffu, other == addr)) break;
    v += __shfl_xor_sync(0xffffffffu, v, d);
    group = d << 1;
  }
  if ((threadIdx.x % 32) % group == 0 && v != 0.0) atomicAdd(p, v);
}
