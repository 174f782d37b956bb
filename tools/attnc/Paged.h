//===- Paged.h - Paged KV caches for `attnc run` ----------------*- C++ -*-===//
//
// `attnc run --page-size P [--page-layout nhd|hnd]` runs a compiled
// package's paged entry (docs/runtime.md §3f) on the same inputs as a dense
// or ragged call: each sequence's keys and values are scattered into pages
// of a pool in a shuffled order (seeded), so a kernel that ignores the block
// table, reads a page another sequence owns or reads past a sequence's keys
// gives a different result than the reference. Unused slots and a spare
// page hold NaN: a read of them shows in o.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_PAGED_H
#define ATTNC_TOOLS_ATTNC_PAGED_H

#include "lib/Reference/Reference.h"

#include "attnc/runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

/// How `attnc run` pages the keys: --page-size, --page-layout, --seed.
struct PagingOptions {
  int64_t pageSize = 0;
  attnc_page_layout layout = ATTNC_PAGES_NHD;
  uint64_t seed = 0;
};

/// Parses --page-layout's value; "" or the error.
std::string parsePageLayout(const std::string &text, attnc_page_layout &out);

/// A paged copy of the padded k and v.
struct PagedCache {
  reference::Tensor k, v;         ///< pools of the layout
  std::vector<int32_t> blockTable; ///< [B, maxPages]; -1 past a sequence's pages
  std::vector<int32_t> kvLens;     ///< [B]
  int64_t maxPages = 0;
};

/// Scatters the padded k [B, G, Pk, D] and v [B, G, Pk, Dv], sequence b's
/// first `lens[b]` keys, into pages.
PagedCache makePagedCache(const reference::Tensor &k,
                          const reference::Tensor &v,
                          const std::vector<int64_t> &lens,
                          const PagingOptions &options);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_PAGED_H
