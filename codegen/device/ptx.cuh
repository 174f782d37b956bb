// ==== codegen/device/ptx.cuh: PTX wrappers (cp.async, ldmatrix, mma.sync) and their emulator twins ====
// Embedded verbatim into the emitted kernels (codegen/DeviceSources.h); configured by
// the macros the emitter defines before it (docs/codegen.md, "Device code").
// PTX wrappers: cp.async with zero fill, ldmatrix, mma.sync m16n8k16.
// Configured by ATTNC_MMA_TYPE ("bf16" or "f16"), ATTNC_PAIR_T and
// ATTNC_PACK2 (the storage type's pair and its packing function, from
// cuda_bf16.h or cuda_fp16.h); needs nothing else before it. Under
// ATTNC_CUDA_EMULATE it needs the emulator's attnc_emu_* functions instead.
// ---- PTX wrappers (sm_80+) ----
#ifdef ATTNC_CUDA_EMULATE
// The CPU emulator (tools/attnc-cuda-emu, docs/testing.md) compiles this
// file with the host compiler: the same operations through its warp
// collectives, with the fragment layouts of the PTX ISA.
__device__ __forceinline__ unsigned attnc_smem_addr(const void *p) { return attnc_emu_smem_offset(p); }
__device__ __forceinline__ void attnc_cp_async16(void *smem, const void *gmem, int src_bytes) {
  attnc_emu_cp_async(smem, gmem, 16, src_bytes);
}
__device__ __forceinline__ void attnc_cp_async_commit() { attnc_emu_cp_async_commit(); }
template <int N> __device__ __forceinline__ void attnc_cp_async_wait() { attnc_emu_cp_async_wait(N); }
__device__ __forceinline__ void attnc_ldmatrix_x4(unsigned (&r)[4], const void *smem) {
  attnc_emu_ldmatrix(r, 4, 0, smem);
}
__device__ __forceinline__ void attnc_ldmatrix_x4_trans(unsigned (&r)[4], const void *smem) {
  attnc_emu_ldmatrix(r, 4, 1, smem);
}
__device__ __forceinline__ void attnc_mma(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  attnc_emu_mma_m16n8k16(d, a, b0, b1, ATTNC_MMA_TYPE);
}
#else
__device__ __forceinline__ unsigned attnc_smem_addr(const void *p) {
  return (unsigned)__cvta_generic_to_shared(p);
}
// 16-byte async copy; src_bytes == 0 writes zeros (rows past the end).
__device__ __forceinline__ void attnc_cp_async16(void *smem, const void *gmem, int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
               :: "r"(attnc_smem_addr(smem)), "l"(gmem), "r"(src_bytes));
}
__device__ __forceinline__ void attnc_cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::);
}
template <int N> __device__ __forceinline__ void attnc_cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" :: "n"(N));
}
__device__ __forceinline__ void attnc_ldmatrix_x4(unsigned (&r)[4], const void *smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(attnc_smem_addr(smem)));
}
__device__ __forceinline__ void attnc_ldmatrix_x4_trans(unsigned (&r)[4], const void *smem) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(attnc_smem_addr(smem)));
}
// d += a * b for one 16x8x16 tile, f32 accumulation.
__device__ __forceinline__ void attnc_mma(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32." ATTNC_MMA_TYPE "." ATTNC_MMA_TYPE ".f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
#endif
__device__ __forceinline__ unsigned attnc_pack2(float lo, float hi) {
  ATTNC_PAIR_T p = ATTNC_PACK2(lo, hi);
  return *reinterpret_cast<unsigned *>(&p);
}
// Element offset of 16-byte chunk `chunk` of row `row` in a tile whose rows
// hold `nchunks` chunks. Chunks are XOR-swizzled in groups of 8 so that the
// 8 rows an ldmatrix reads hit 8 different bank groups.
__device__ __forceinline__ int attnc_swz(int row, int chunk, int nchunks) {
  const int swizzled = (nchunks & ~7);
  const int c = chunk < swizzled ? ((chunk & ~7) | ((chunk ^ row) & 7)) : chunk;
  return (row * nchunks + c) * 8;
}
