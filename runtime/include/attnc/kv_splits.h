/*===- kv_splits.h - How many splits a split-KV decode call takes --------===*\
|*                                                                            *|
|* Split-KV decode (docs/runtime.md §3g): when a call has fewer attention     *|
|* blocks than the device has SMs (decode: B x H x one q-block), each         *|
|* sequence's k-tiles are split across blocks and the partial results are     *|
|* merged. One definition of the rule, shared by the runtime (which applies   *|
|* it at launch with the device's SM count) and `attnc explain` (which prints *|
|* it for an example). Plain C, header only, no dependencies.                 *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTNC_KV_SPLITS_H
#define ATTNC_KV_SPLITS_H

/* The fewest k-tiles an automatic split gets: below that the merge kernel's
 * extra pass costs more than the parallelism gains. */
#define ATTNC_MIN_TILES_PER_SPLIT 2

/* The splits for `blocks` attention blocks (B x H x q-blocks of the longest
 * sequence) over `tiles` k-tiles (of the longest sequence) on `sms`
 * multiprocessors, at most `max_splits` (the plan's kv_splits; < 2: never).
 * `requested` 0 applies the rule: enough splits to give every SM a block
 * (one wave), each split at least ATTNC_MIN_TILES_PER_SPLIT tiles;
 * `requested` n >= 1 asks for n (1: never split), still at most max_splits
 * and one tile per split. Either way no split is left empty (the count is
 * ceil(tiles / ceil(tiles / n))). Returns 1 for no split. */
static inline long long attnc_choose_kv_splits(long long blocks, long long tiles, long long sms,
                                               long long max_splits, long long requested) {
  long long n, per;
  if (max_splits < 2 || tiles < 2 || blocks < 1) return 1;
  if (requested > 0) {
    n = requested;
  } else {
    if (blocks >= sms) return 1;
    n = (sms + blocks - 1) / blocks;
    if (n > tiles / ATTNC_MIN_TILES_PER_SPLIT) n = tiles / ATTNC_MIN_TILES_PER_SPLIT;
  }
  if (n > max_splits) n = max_splits;
  if (n > tiles) n = tiles;
  if (n < 2) return 1;
  per = (tiles + n - 1) / n;
  return (tiles + per - 1) / per;
}

#endif /* ATTNC_KV_SPLITS_H */
