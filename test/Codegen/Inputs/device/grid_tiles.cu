//===- grid_tiles.cu - grid_tiles.cuh alone, and with tile_walk.cuh -*- CUDA -*-===//
//
// codegen/device/grid_tiles.cuh needs the geometry GridTilesEmitter prints:
// here a 20 x 24 grid in 8 x 8 boxes (3 x 3 boxes, padding in the last
// row and column of boxes) with a made-up class table, as the emitter
// prints it for CUDA. With ATTNC_GRID 1, tile_walk.cuh walks the boxes;
// the kernel below gathers one box's tokens and walks its key boxes so
// that nvcc emits every function.
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"

#define BQ 64
#define ATTNC_GRID 1
#define ATTNC_GRID_FN __device__ __forceinline__
#define kGridBoxCount 9LL
__constant__ const unsigned char kGridClass[18] = {2, 1, 0, 1, 2, 1, 0, 1, 1,
                                                   2, 1, 0, 1, 2, 1, 0, 1, 1};
#define GRID_AXES 2
#define GRID_EXACT 1
#define GRID_SIZE_0 20LL
#define GRID_STRIDE_0 24LL
#define GRID_BOX_0 8LL
#define GRID_BOXES_0 3LL
#define GRID_BOX_STRIDE_0 3LL
#define GRID_INNER_STRIDE_0 8LL
#define GRID_CLASS_AT_0 0
#define GRID_SIZE_1 24LL
#define GRID_STRIDE_1 1LL
#define GRID_BOX_1 8LL
#define GRID_BOXES_1 3LL
#define GRID_BOX_STRIDE_1 1LL
#define GRID_INNER_STRIDE_1 1LL
#define GRID_CLASS_AT_1 9
#include "codegen/device/grid_tiles.cuh"
#include "codegen/device/sequence.h"
#include "codegen/device/tile_walk.cuh"

extern "C" __global__ void attnc_test_grid_tiles(const AttncKernelArgs args,
                                                 long long *out) {
  const long long qb = blockIdx.x;
  out[qb * BQ + threadIdx.x] = ATTNC_TOKEN(qb * BQ + threadIdx.x);
  const AttncTiles tiles = attnc_tiles(args, 0, 0, qb, args.q_len, args.kv_len);
  long long i = 0, full = 0;
  for (long long kb = attnc_tiles_next(tiles, -1, -1); kb >= 0;
       kb = attnc_tiles_next(tiles, kb, i), ++i)
    full += attnc_tiles_full(tiles, kb, i);
  if (threadIdx.x == 0)
    out[kGridBoxCount * BQ + qb] = i * 16 + full;
}
