/*===- EmuDevice.h - The CPU emulator's device interface ---------*- C++
-*-===*\
|*                                                                            *|
|* The C ABI between three parties of the CUDA emulator: kernel code compiled *|
|* by the host compiler (through cuda_emu.h), the device library linked into  *|
|* every emulated kernel (EmuScheduler.cpp, EmuWarpOps.cpp), and the libcuda  *|
|* stand-in that launches it (EmuDriver.cpp). Plain C types only, so that the *|
|* driver needs no CUDA header and the kernel side no emulator internals.     *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTNC_CUDA_EMU_EMUDEVICE_H
#define ATTNC_CUDA_EMU_EMUDEVICE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* threadIdx and friends: same layout as CUDA's uint3. */
typedef struct AttncEmuDim3 {
  unsigned x, y, z;
} AttncEmuDim3;

/* The running fiber's indices, updated by the scheduler on every switch.
 * One launch runs at a time per kernel library (the driver serializes). */
extern AttncEmuDim3 attnc_emu_threadIdx, attnc_emu_blockIdx, attnc_emu_blockDim,
    attnc_emu_gridDim;

/* A global-memory range the kernel may touch (the driver's allocations);
 * cp.async sources outside every range are reported. */
typedef struct AttncEmuRange {
  const void *begin;
  size_t bytes;
} AttncEmuRange;

typedef struct AttncEmuLaunch {
  unsigned grid[3], block[3];
  size_t shared_bytes;     /* dynamic shared memory of the launch */
  void (*body)(void *ctx); /* runs the kernel for the current thread */
  void *ctx;
  const AttncEmuRange *ranges; /* may be null: no source checks */
  size_t num_ranges;
} AttncEmuLaunch;

/* Runs every block of the grid, one block at a time, its threads as
 * fibers. Returns 0, or 1 with a description in `error` (deadlock, warp
 * lanes at different collectives, shared-memory access out of bounds...). */
int attnc_emu_launch(const AttncEmuLaunch *launch, char *error,
                     size_t error_bytes);

/* ---- what device code calls (through cuda_emu.h) ---- */
void attnc_emu_syncthreads(void);
/* Exchanges `value` (4 or 8 bytes) within the lanes of `mask`. mode:
 * 0 idx (srcLane), 1 up, 2 down, 3 xor; `width` as in CUDA. */
void attnc_emu_shfl(unsigned mask, void *value, int bytes, int mode, int arg,
                    int width);
void attnc_emu_syncwarp(unsigned mask);
/* The shared memory of the running block: one buffer for every
 * `extern __shared__` array of the kernel (they alias, as in CUDA). */
extern unsigned char attnc_emu_dynamic_smem[];
unsigned attnc_emu_smem_offset(const void *p);

/* Every atomic: a GPU faults (CUDA_ERROR_MISALIGNED_ADDRESS) on an atomic
 * whose address is not a multiple of its size (compute-sanitizer found one
 * in a block mask on an H200 that the emulator had let pass); the emulator
 * ends the launch the same way. */
void attnc_emu_atomic_check(const void *p, int bytes);

/* PTX operations the kernel text wraps (codegen/device/ptx.cuh). */
void attnc_emu_cp_async(void *smem, const void *gmem, int bytes, int src_bytes);
void attnc_emu_cp_async_commit(void);
void attnc_emu_cp_async_wait(int pending);
/* ldmatrix.sync.aligned.m8n8.{x1,x2,x4}[.trans].shared.b16 */
void attnc_emu_ldmatrix(unsigned *r, int num, int trans, const void *smem);
/* mma.sync.aligned.m16n8k16.row.col.f32.T.T.f32, T "f16" or "bf16":
 * d += a * b (d is both C and D). */
void attnc_emu_mma_m16n8k16(float *d, const unsigned *a, unsigned b0,
                            unsigned b1, const char *type);

#ifdef __cplusplus
}
#endif

#endif /* ATTNC_CUDA_EMU_EMUDEVICE_H */
