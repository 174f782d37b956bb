//===- tile_walk.cu - tile_walk.cuh alone ----------------------*- CUDA -*-===//
//
// codegen/device/tile_walk.cuh needs the prelude, the spec's block plan
// (AttncPlan, attnc_plan_*) and BQ. The kernel below walks one q-block's
// tiles so that nvcc emits the walker.
//
//===----------------------------------------------------------------------===//

#include "softmax_spec.cuh"

#define BQ 64
#include "codegen/device/sequence.h"
#include "codegen/device/tile_walk.cuh"

extern "C" __global__ void attnc_test_tile_walk(const AttncKernelArgs args,
                                                long long *visited) {
  const long long qb = blockIdx.x, h = blockIdx.y, b = blockIdx.z;
  const AttncTiles tiles = attnc_tiles(args, b, h, qb, args.q_len, args.kv_len);
  long long i = 0, full = 0;
  for (long long kb = attnc_tiles_next(tiles, -1, -1); kb >= 0;
       kb = attnc_tiles_next(tiles, kb, i), ++i)
    full += attnc_tiles_full(tiles, kb, i);
  visited[2 * qb] = i;
  visited[2 * qb + 1] = full;
}
