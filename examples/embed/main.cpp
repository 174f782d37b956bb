//===- main.cpp - Embedding an attnc package in a C++ program -------------===//
//
// Opens a package made by `attnc compile examples/causal_f32.attn -o DIR`
// (any f32 causal softmax spec), runs it on the CPU through the runtime
// (or on CUDA with --cuda when a GPU is present and the caller passes device
// memory; this example stays on the CPU), and checks the result against a
// naive causal attention written here, so the example proves itself. A
// package compiled with --backward also runs one backward step (as a
// training loop would, with dO = o) and checks dV = P^T dO.
//
// usage: embed PACKAGE_DIR
//
//===----------------------------------------------------------------------===//

#include "attnc/runtime.hpp"

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: embed PACKAGE_DIR\n");
    return 2;
  }
  attnc::Package pkg;
  if (attnc::Status s = attnc::Package::open(argv[1], pkg); !s.ok) {
    std::fprintf(stderr, "embed: %s\n", s.message.c_str());
    return 1;
  }
  if (pkg.dtype() != ATTNC_F32) {
    std::fprintf(stderr, "embed: this example expects an f32 package\n");
    return 1;
  }
  const long long B = 2, H = pkg.heads(), G = pkg.kvHeads(), N = 77;
  const long long D = pkg.headDim(), Dv = pkg.valueDim();
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> q(B * H * N * D), k(B * G * N * D), v(B * G * N * Dv);
  for (auto *t : {&q, &k, &v})
    for (float &x : *t)
      x = normal(rng);
  std::vector<float> o(B * H * N * Dv), lse(B * H * N);

  using attnc::Tensor;
  Tensor tq = Tensor::contiguous(q.data(), ATTNC_F32, {B, H, N, D});
  Tensor tk = Tensor::contiguous(k.data(), ATTNC_F32, {B, G, N, D});
  Tensor tv = Tensor::contiguous(v.data(), ATTNC_F32, {B, G, N, Dv});
  Tensor to = Tensor::contiguous(o.data(), ATTNC_F32, {B, H, N, Dv});
  Tensor tl = Tensor::contiguous(lse.data(), ATTNC_F32, {B, H, N});
  if (attnc::Status s = pkg.runCpu(tq, tk, tv, to, &tl); !s.ok) {
    std::fprintf(stderr, "embed: %s\n", s.message.c_str());
    return 1;
  }

  // The backward, when the package has one: the gradients of
  // L = |o|^2 / 2, so dO = o.
  const bool backward = pkg.hasCpuBackward();
  std::vector<float> dq(q.size()), dk(k.size()), dv(v.size());
  if (backward) {
    Tensor tdq = Tensor::contiguous(dq.data(), ATTNC_F32, {B, H, N, D});
    Tensor tdk = Tensor::contiguous(dk.data(), ATTNC_F32, {B, G, N, D});
    Tensor tdv = Tensor::contiguous(dv.data(), ATTNC_F32, {B, G, N, Dv});
    if (attnc::Status s =
            pkg.runCpuBackward(tq, tk, tv, to, &tl, {}, to, tdq, tdk, tdv);
        !s.ok) {
      std::fprintf(stderr, "embed: %s\n", s.message.c_str());
      return 1;
    }
  }

  // Naive causal softmax attention in double for comparison (and its dV).
  const double scale = 1.0 / std::sqrt(double(D));
  double worst = 0;
  std::vector<double> wantDv(v.size(), 0.0);
  for (long long b = 0; b < B; ++b)
    for (long long h = 0; h < H; ++h)
      for (long long i = 0; i < N; ++i) {
        const long long g = h / (H / G);
        std::vector<double> w(i + 1);
        double m = -INFINITY, sum = 0;
        for (long long j = 0; j <= i; ++j) {
          double dot = 0;
          for (long long d = 0; d < D; ++d)
            dot += q[((b * H + h) * N + i) * D + d] * k[((b * G + g) * N + j) * D + d];
          w[j] = dot * scale;
          m = std::max(m, w[j]);
        }
        for (double &x : w)
          sum += (x = std::exp(x - m));
        for (long long e = 0; e < Dv; ++e) {
          double acc = 0;
          for (long long j = 0; j <= i; ++j)
            acc += w[j] * v[((b * G + g) * N + j) * Dv + e];
          worst = std::max(worst, std::fabs(acc / sum - o[((b * H + h) * N + i) * Dv + e]));
          for (long long j = 0; j <= i; ++j)
            wantDv[((b * G + g) * N + j) * Dv + e] +=
                w[j] / sum * o[((b * H + h) * N + i) * Dv + e];
        }
      }
  std::printf("embed: ran '%s' on the CPU, max |error| vs naive causal attention %.3g\n",
              pkg.name().c_str(), worst);
  if (!backward)
    return worst < 1e-4 ? 0 : 1;
  double worstDv = 0;
  for (size_t i = 0; i < dv.size(); ++i)
    worstDv = std::max(worstDv, std::fabs(wantDv[i] - dv[i]));
  std::printf("embed: backward step, max |error| of dv vs naive %.3g\n", worstDv);
  return worst < 1e-4 && worstDv < 1e-4 ? 0 : 1;
}
