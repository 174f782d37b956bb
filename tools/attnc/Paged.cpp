//===- Paged.cpp - Paged KV caches for `attnc run` ------------------------===//
//
// This file implements scattering a padded k and v into a shuffled page pool
// and its block table.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/Paged.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace attnc {

std::string parsePageLayout(const std::string &text, attnc_page_layout &out) {
  if (text == "nhd")
    out = ATTNC_PAGES_NHD;
  else if (text == "hnd")
    out = ATTNC_PAGES_HND;
  else
    return "--page-layout '" + text +
           "': expected nhd ([pages, page_size, kv_heads, dim]) or hnd "
           "([pages, kv_heads, page_size, dim])";
  return "";
}

PagedCache makePagedCache(const reference::Tensor &k,
                          const reference::Tensor &v,
                          const std::vector<int64_t> &lens,
                          const PagingOptions &options) {
  const int64_t B = k.dim(0), G = k.dim(1), Pk = k.dim(2), D = k.dim(3),
                Dv = v.dim(3), S = options.pageSize;
  PagedCache cache;
  int64_t used = 0;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t pages = (lens[b] + S - 1) / S;
    cache.maxPages = std::max(cache.maxPages, pages);
    used += pages;
  }
  // One column more than any sequence needs (never read), and one spare
  // page no sequence owns.
  cache.maxPages += 1;
  const int64_t P = used + 1;
  std::vector<int32_t> order(P);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed ^ 0x9e3779b97f4a7c15ULL);
  std::shuffle(order.begin(), order.end(), rng);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool nhd = options.layout == ATTNC_PAGES_NHD;
  auto pool = [&](int64_t dim) {
    return reference::Tensor{
        nhd ? std::vector<int64_t>{P, S, G, dim}
            : std::vector<int64_t>{P, G, S, dim},
        std::vector<double>(P * S * G * dim, nan)};
  };
  cache.k = pool(D);
  cache.v = pool(Dv);
  auto at = [&](int64_t page, int64_t slot, int64_t g, int64_t dim) {
    return nhd ? ((page * S + slot) * G + g) * dim
               : ((page * G + g) * S + slot) * dim;
  };
  cache.blockTable.assign(B * cache.maxPages, -1);
  cache.kvLens.assign(B, 0);
  int64_t next = 0;
  for (int64_t b = 0; b < B; ++b) {
    cache.kvLens[b] = static_cast<int32_t>(lens[b]);
    for (int64_t j = 0; j * S < lens[b]; ++j)
      cache.blockTable[b * cache.maxPages + j] = order[next++];
    for (int64_t t = 0; t < lens[b]; ++t) {
      const int64_t page = cache.blockTable[b * cache.maxPages + t / S],
                    slot = t % S;
      for (int64_t g = 0; g < G; ++g) {
        for (int64_t d = 0; d < D; ++d)
          cache.k.data[at(page, slot, g, D) + d] =
              k.data[((b * G + g) * Pk + t) * D + d];
        for (int64_t d = 0; d < Dv; ++d)
          cache.v.data[at(page, slot, g, Dv) + d] =
              v.data[((b * G + g) * Pk + t) * Dv + d];
      }
    }
  }
  return cache;
}

} // namespace attnc
