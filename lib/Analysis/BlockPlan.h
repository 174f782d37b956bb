//===- BlockPlan.h - Tile classes of a mask, per q-block --------*- C++ -*-===//
//
// The mask analysis describes a mask as clauses of linear bounds on the key
// position k (see MaskClauses.h). This header turns them, for one q-block
// and concrete Nq, Nk, into the k-block segments to visit and the ranges of
// full blocks. It is plain C++ so that `attnc explain`, the test passes and
// the emitted kernels (which print the same arithmetic as C) agree.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_ANALYSIS_BLOCKPLAN_H
#define ATTNC_LIB_ANALYSIS_BLOCKPLAN_H

#include <algorithm>
#include <cstdint>
#include <vector>

namespace attnc {

/// c + q * q_pos + nq * Nq + nk * Nk.
struct LinearBound {
  int64_t c = 0, q = 0, nq = 0, nk = 0;
  int64_t at(int64_t qPos, int64_t Nq, int64_t Nk) const {
    return c + q * qPos + nq * Nq + nk * Nk;
  }
};

/// One conjunction: max(lower) <= k <= min(upper). Not exact: it also holds
/// atoms without bounds, so it can never prove a block full.
struct MaskClause {
  std::vector<LinearBound> lower, upper;
  bool exact = true;
};

/// Inclusive k-block range.
struct BlockRange {
  int64_t first = 0, last = -1;
  bool empty() const { return last < first; }
};

/// What one q-block visits: disjoint sorted segments, and the block ranges
/// (possibly overlapping) in which every element is visible.
struct QBlockPlan {
  std::vector<BlockRange> segments;
  std::vector<BlockRange> full;

  bool isFull(int64_t kb) const {
    for (const BlockRange &r : full)
      if (r.first <= kb && kb <= r.last)
        return true;
    return false;
  }
};

inline int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/// Plans q-block `qb` for block sizes bq x bk. Queries are aligned to the
/// end of the keys: row i has position i + Nk - Nq.
inline QBlockPlan planQBlock(const std::vector<MaskClause> &clauses,
                             int64_t bq, int64_t bk, int64_t Nq, int64_t Nk,
                             int64_t qb) {
  QBlockPlan plan;
  const int64_t offset = Nk - Nq;
  const int64_t qlo = qb * bq + offset;
  const int64_t qhi = std::min(qb * bq + bq - 1, Nq - 1) + offset;
  std::vector<BlockRange> visits;
  for (const MaskClause &clause : clauses) {
    // Visited keys: a sound superset, from each bound's extreme over the
    // block's rows. Full keys: visible for every row of the block.
    int64_t lo = 0, hi = Nk - 1, fullLo = 0, fullHi = Nk - 1;
    for (const LinearBound &b : clause.lower) {
      int64_t a = b.at(qlo, Nq, Nk), z = b.at(qhi, Nq, Nk);
      lo = std::max(lo, std::min(a, z));
      fullLo = std::max(fullLo, std::max(a, z));
    }
    for (const LinearBound &b : clause.upper) {
      int64_t a = b.at(qlo, Nq, Nk), z = b.at(qhi, Nq, Nk);
      hi = std::min(hi, std::max(a, z));
      fullHi = std::min(fullHi, std::min(a, z));
    }
    if (lo > hi)
      continue;
    visits.push_back({lo / bk, hi / bk});
    if (clause.exact && fullLo <= fullHi)
      plan.full.push_back(
          {(fullLo + bk - 1) / bk, floorDiv(fullHi + 1, bk) - 1});
  }
  std::sort(visits.begin(), visits.end(),
            [](const BlockRange &a, const BlockRange &b) {
              return a.first < b.first;
            });
  for (const BlockRange &r : visits) {
    if (!plan.segments.empty() && r.first <= plan.segments.back().last + 1)
      plan.segments.back().last = std::max(plan.segments.back().last, r.last);
    else
      plan.segments.push_back(r);
  }
  return plan;
}

/// The visited tiles of `plan` that are full, as sorted disjoint ranges:
/// the union of its full ranges (clauses may overlap, and a range rounded
/// to whole blocks may be empty) within its segments. A tile kb is in them
/// exactly when some segment holds it and plan.isFull(kb).
inline std::vector<BlockRange> visitedFullRanges(const QBlockPlan &plan) {
  std::vector<BlockRange> full;
  for (const BlockRange &r : plan.full)
    if (!r.empty())
      full.push_back(r);
  std::sort(full.begin(), full.end(),
            [](const BlockRange &a, const BlockRange &b) {
              return a.first < b.first;
            });
  std::vector<BlockRange> merged;
  for (const BlockRange &r : full) {
    if (!merged.empty() && r.first <= merged.back().last + 1)
      merged.back().last = std::max(merged.back().last, r.last);
    else
      merged.push_back(r);
  }
  std::vector<BlockRange> out;
  size_t j = 0;
  for (const BlockRange &seg : plan.segments)
    for (; j < merged.size(); ++j) {
      const int64_t first = std::max(seg.first, merged[j].first);
      const int64_t last = std::min(seg.last, merged[j].last);
      if (first <= last)
        out.push_back({first, last});
      if (merged[j].last > seg.last)
        break; // the rest of this range may meet the next segment
    }
  return out;
}

/// Tile counts over a whole problem, for `attnc explain` and tests. Sums
/// block ranges, so the work is linear in the q-blocks, not in the tiles
/// (N = 16M with 64-row tiles has 2^36 tiles).
struct TileStats {
  int64_t total = 0, visited = 0, full = 0, partial = 0;
};

inline TileStats countTiles(const std::vector<MaskClause> &clauses,
                            int64_t bq, int64_t bk, int64_t Nq, int64_t Nk) {
  TileStats stats;
  const int64_t qBlocks = (Nq + bq - 1) / bq, kBlocks = (Nk + bk - 1) / bk;
  stats.total = qBlocks * kBlocks;
  for (int64_t qb = 0; qb < qBlocks; ++qb) {
    QBlockPlan plan = planQBlock(clauses, bq, bk, Nq, Nk, qb);
    int64_t visited = 0, full = 0;
    for (const BlockRange &s : plan.segments)
      visited += s.last - s.first + 1;
    for (const BlockRange &f : visitedFullRanges(plan))
      full += f.last - f.first + 1;
    stats.visited += visited;
    stats.full += full;
    stats.partial += visited - full;
  }
  return stats;
}

} // namespace attnc

#endif // ATTNC_LIB_ANALYSIS_BLOCKPLAN_H
