//===- decode_loop.cpp - Serving decode steps from a paged KV cache -------===//
//
// What an inference engine does with an attnc package (docs/runtime.md §3f):
// it keeps every request's keys and values in fixed-size pages of one pool,
// appends each new token's k and v to its request's last page (taking a
// free page when that one is full), and runs attention for the new queries
// through the block table, never copying the cache. Requests come and go:
// a finished request's pages go back to the free list and a new request
// takes its batch slot.
//
// The loop: a prefill of each request's prompt (packed queries, one paged
// call for the whole batch), then decode steps of one query per request
// (dense queries [B, H, 1, D]). Every result is checked against a naive
// attention over the request's full history, kept on the side, so the
// example proves itself. CPU only; on a GPU the same calls are
// Package::launchCudaPaged with device memory for q, the pools, o and lse.
//
// usage: decode_loop PACKAGE_DIR   (attnc compile examples/serve/decode_f32.attn)
//
//===----------------------------------------------------------------------===//

#include "attnc/runtime.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

namespace {

/// A pool of pages of `pageSize` keys for G kv heads, NHD layout
/// ([pages, page_size, G, D]), with a free list and each request's pages.
class PagedKvCache {
public:
  PagedKvCache(long long pages, long long pageSize, long long G, long long D,
               long long Dv)
      : pageSize(pageSize), G(G), D(D), Dv(Dv),
        k(pages * pageSize * G * D), v(pages * pageSize * G * Dv) {
    for (long long p = pages - 1; p >= 0; --p)
      freePages.push_back(static_cast<int>(p));
  }

  /// A new request in slot `slot` (its old pages, if any, are freed).
  void reset(size_t slot) {
    if (slot >= requests.size())
      requests.resize(slot + 1);
    for (int p : requests[slot].pages)
      freePages.push_back(p);
    requests[slot] = Request();
  }

  /// Appends one token's k [G, D] and v [G, Dv] to request `slot`; false
  /// when the pool is full.
  bool append(size_t slot, const float *kRow, const float *vRow) {
    Request &r = requests[slot];
    if (r.length % pageSize == 0) {
      if (freePages.empty())
        return false;
      r.pages.push_back(freePages.back());
      freePages.pop_back();
    }
    const long long page = r.pages.back(), at = r.length % pageSize;
    std::copy(kRow, kRow + G * D, &k[(page * pageSize + at) * G * D]);
    std::copy(vRow, vRow + G * Dv, &v[(page * pageSize + at) * G * Dv]);
    ++r.length;
    return true;
  }

  /// The block table [B, maxPages] (entries past a request's pages are 0:
  /// never read) and the lengths, for the requests' current state.
  void tables(std::vector<int> &table, std::vector<int> &lens,
              long long &maxPages) const {
    maxPages = 1;
    for (const Request &r : requests)
      maxPages = std::max<long long>(maxPages, r.pages.size());
    table.assign(requests.size() * maxPages, 0);
    lens.clear();
    for (size_t b = 0; b < requests.size(); ++b) {
      std::copy(requests[b].pages.begin(), requests[b].pages.end(),
                table.begin() + b * maxPages);
      lens.push_back(static_cast<int>(requests[b].length));
    }
  }

  long long pages() const { return static_cast<long long>(k.size()) / (pageSize * G * D); }
  long long freeCount() const { return static_cast<long long>(freePages.size()); }

  const long long pageSize, G, D, Dv;
  std::vector<float> k, v;

private:
  struct Request {
    std::vector<int> pages;
    long long length = 0;
  };
  std::vector<Request> requests;
  std::vector<int> freePages;
};

/// A request's history on the side: its k and v rows, for the check.
struct History {
  std::vector<float> k, v; // [length, G, D(v)]
};

/// Naive causal attention of one query (its position `pos` among the
/// request's keys) for head h: softmax(scale q . k_j) over j <= pos.
void naive(const float *q, const History &hist, long long pos, long long h,
           long long H, long long G, long long D, long long Dv, float scale,
           float *out) {
  const long long g = h / (H / G);
  std::vector<double> w(pos + 1);
  double m = -INFINITY, sum = 0;
  for (long long j = 0; j <= pos; ++j) {
    double dot = 0;
    for (long long d = 0; d < D; ++d)
      dot += double(q[d]) * hist.k[(j * G + g) * D + d];
    w[j] = dot * scale;
    m = std::max(m, w[j]);
  }
  for (double &x : w)
    sum += (x = std::exp(x - m));
  for (long long e = 0; e < Dv; ++e) {
    double acc = 0;
    for (long long j = 0; j <= pos; ++j)
      acc += w[j] * hist.v[(j * G + g) * Dv + e];
    out[e] = static_cast<float>(acc / sum);
  }
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: decode_loop PACKAGE_DIR\n");
    return 2;
  }
  attnc::Package pkg;
  if (attnc::Status s = attnc::Package::open(argv[1], pkg); !s.ok) {
    std::fprintf(stderr, "decode_loop: %s\n", s.message.c_str());
    return 1;
  }
  if (pkg.dtype() != ATTNC_F32 || !pkg.hasRaggedCpu()) {
    std::fprintf(stderr, "decode_loop: this example expects an f32 softmax "
                         "package whose CPU kernel is ragged\n");
    return 1;
  }
  const long long H = pkg.heads(), G = pkg.kvHeads(), D = pkg.headDim(),
                  Dv = pkg.valueDim();
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const long long B = 3, pageSize = 16, steps = 24;
  PagedKvCache cache(/*pages=*/48, pageSize, G, D, Dv);
  std::vector<History> history(B);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  auto randomRows = [&](long long n, long long width) {
    std::vector<float> x(n * width);
    for (float &e : x)
      e = normal(rng);
    return x;
  };
  using attnc::Tensor;
  double worst = 0;
  long long calls = 0, checked = 0;

  // Appends `n` tokens of random k, v to request b (cache and history).
  auto appendTokens = [&](long long b, long long n) {
    std::vector<float> k = randomRows(n, G * D), v = randomRows(n, G * Dv);
    for (long long t = 0; t < n; ++t)
      if (!cache.append(b, &k[t * G * D], &v[t * G * Dv])) {
        std::fprintf(stderr, "decode_loop: the page pool is full\n");
        std::exit(1);
      }
    history[b].k.insert(history[b].k.end(), k.begin(), k.end());
    history[b].v.insert(history[b].v.end(), v.begin(), v.end());
  };
  // One paged call: q [rows, H, D] (packed by cu, or dense [B, H, 1, D]
  // when cu is empty), each query row r of request b at position pos[r];
  // checks o against naive attention.
  auto attend = [&](const std::vector<float> &q, const std::vector<int> &cu,
                    const std::vector<long long> &owner,
                    const std::vector<long long> &pos) -> bool {
    const long long rows = static_cast<long long>(owner.size());
    std::vector<int> table, lens;
    long long maxPages = 0;
    cache.tables(table, lens, maxPages);
    std::vector<float> o(rows * H * Dv, 0.0f);
    Tensor tk = Tensor::contiguous(cache.k.data(), ATTNC_F32,
                                   {cache.pages(), pageSize, G, D});
    Tensor tv = Tensor::contiguous(cache.v.data(), ATTNC_F32,
                                   {cache.pages(), pageSize, G, Dv});
    Tensor tt = Tensor::contiguous(table.data(), ATTNC_I32, {B, maxPages});
    Tensor tl = Tensor::contiguous(lens.data(), ATTNC_I32, {B});
    attnc::Status s;
    if (cu.empty()) {
      Tensor tq = Tensor::contiguous(const_cast<float *>(q.data()), ATTNC_F32,
                                     {B, H, 1, D});
      Tensor to = Tensor::contiguous(o.data(), ATTNC_F32, {B, H, 1, Dv});
      s = pkg.runCpuPaged(tq, tk, tv, to, nullptr, {}, ATTNC_PAGES_NHD, tt, tl);
    } else {
      Tensor tq = Tensor::contiguous(const_cast<float *>(q.data()), ATTNC_F32,
                                     {rows, H, D});
      Tensor to = Tensor::contiguous(o.data(), ATTNC_F32, {rows, H, Dv});
      Tensor tc = Tensor::contiguous(const_cast<int *>(cu.data()), ATTNC_I32,
                                     {B + 1});
      s = pkg.runCpuPaged(tq, tk, tv, to, nullptr, {}, ATTNC_PAGES_NHD, tt, tl,
                          &tc);
    }
    if (!s.ok) {
      std::fprintf(stderr, "decode_loop: %s\n", s.message.c_str());
      return false;
    }
    ++calls;
    // Row r's layout: packed [rows, H, .] and dense [B, H, 1, .] differ.
    std::vector<float> want(Dv);
    for (long long r = 0; r < rows; ++r)
      for (long long h = 0; h < H; ++h) {
        const long long at = cu.empty() ? owner[r] * H + h : r * H + h;
        naive(&q[at * D], history[owner[r]], pos[r], h, H, G, D, Dv, scale,
              want.data());
        for (long long e = 0; e < Dv; ++e)
          worst = std::max(worst, double(std::fabs(o[at * Dv + e] - want[e])));
        ++checked;
      }
    return true;
  };

  // Prefill: prompts of 37, 5 and 21 tokens, attended in one call with
  // packed queries (each prompt token sees the prompt up to itself).
  const long long prompts[B] = {37, 5, 21};
  std::vector<int> cu = {0};
  std::vector<long long> owner, pos;
  for (long long b = 0; b < B; ++b) {
    cache.reset(b);
    appendTokens(b, prompts[b]);
    cu.push_back(cu.back() + static_cast<int>(prompts[b]));
    for (long long t = 0; t < prompts[b]; ++t) {
      owner.push_back(b);
      pos.push_back(t);
    }
  }
  if (!attend(randomRows(cu.back(), H * D), cu, owner, pos))
    return 1;

  // Decode: one token per request and step. Request 1 finishes after 10
  // steps; a new request (prompt of 3 tokens, prefilled with the decode
  // step's call as its first query) takes its slot and its freed pages.
  for (long long step = 0; step < steps; ++step) {
    if (step == 10) {
      cache.reset(1);
      history[1] = History();
      appendTokens(1, 3);
    }
    owner.clear();
    pos.clear();
    for (long long b = 0; b < B; ++b) {
      appendTokens(b, 1);
      owner.push_back(b);
      pos.push_back(static_cast<long long>(history[b].k.size() / (G * D)) - 1);
    }
    if (!attend(randomRows(B, H * D), {}, owner, pos))
      return 1;
  }

  std::printf("decode_loop: ran '%s' on the CPU: a prefill and %lld decode "
              "steps of %lld requests (one replaced), %lld paged calls, "
              "pages of %lld keys (%lld of %lld in use); max |error| vs naive "
              "attention %.3g over %lld rows\n",
              pkg.name().c_str(), steps, B, calls, pageSize,
              cache.pages() - cache.freeCount(), cache.pages(), worst, checked);
  if (worst > 1e-4) {
    std::fprintf(stderr, "decode_loop: error %.3g above the f32 bound 1e-4\n",
                 worst);
    return 1;
  }
  return 0;
}
