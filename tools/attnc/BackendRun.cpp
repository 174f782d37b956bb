//===- BackendRun.cpp - Run a compiled package from attnc -----------------===//
//
// This file implements running a package's CPU backend through the runtime
// and the comparison against the reference executor.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/BackendRun.h"
#include "tools/attnc/HostTensors.h"

#include "codegen/ManifestEmitter.h"
#include "dialect/AttnOps.h"
#include "tools/compare/Compare.h"

#include "attnc/half.h"
#include "attnc/runtime.h"

#include "llvm/Support/Format.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <tuple>

using namespace mlir;

namespace attnc {
namespace {

attn::Dtype dtypeOf(Operation *op) {
  if (auto a = dyn_cast<attn::AttentionOp>(op))
    return a.getDtype();
  return cast<attn::LinearAttentionOp>(op).getDtype();
}

} // namespace

std::string runPackageOnCpu(Operation *op, const std::string &packageDir,
                            const reference::Inputs &inputs, bool wantLse,
                            bool wantState, reference::Outputs &outputs,
                            BlockMaskReport *blockMask) {
  attnc_package *raw = nullptr;
  if (attnc_package_open(packageDir.c_str(), &raw) != 0)
    return std::string("cannot open package: ") + attnc_last_error();
  std::unique_ptr<attnc_package, void (*)(attnc_package *)> pkg(
      raw, attnc_package_close);

  attn::Dtype dtype = dtypeOf(op);
  Buffer q, k, v, o, lse;
  fill(q, dtype, inputs.q);
  fill(k, dtype, inputs.k);
  fill(v, dtype, inputs.v);
  const int64_t B = inputs.q.dim(0), H = inputs.q.dim(1), Nq = inputs.q.dim(2);
  const int64_t Dv = inputs.v.dim(3);
  reference::Tensor oShape{{B, H, Nq, Dv}, {}};
  fill(o, dtype, {oShape.shape, std::vector<double>(elements(oShape.shape))});
  describe(lse, ATTNC_F32, {B, H, Nq}, 4);

  // Parameters in manifest order.
  std::vector<Buffer> params(attnc_package_num_params(pkg.get()));
  std::vector<attnc_tensor> views;
  for (size_t i = 0; i < params.size(); ++i) {
    attnc_param_info info{};
    attnc_package_param(pkg.get(), static_cast<int>(i), &info);
    auto it = inputs.params.find(info.name);
    if (it == inputs.params.end())
      return std::string("input '") + info.name + "': missing";
    fillParam(params[i], info.dtype, it->second);
    views.push_back(params[i].view);
  }

  // The linear family's state, float32: in from `inputs`, out when wanted
  // (z with normalize sum, where it travels with S).
  const int64_t F = attnc_package_feature_dim(pkg.get());
  const bool wantZ =
      wantState && std::string(attnc_package_normalize(pkg.get())) == "sum";
  Buffer stateIn, zIn, stateOut, zOut;
  attnc_linear_state state = {nullptr, nullptr, nullptr, nullptr};
  if (inputs.state) {
    fill(stateIn, attn::Dtype::f32, *inputs.state);
    state.state_in = &stateIn.view;
  }
  if (inputs.z) {
    fill(zIn, attn::Dtype::f32, *inputs.z);
    state.z_in = &zIn.view;
  }
  if (wantState) {
    describe(stateOut, ATTNC_F32, {B, H, F, Dv}, 4);
    state.state_out = &stateOut.view;
  }
  if (wantZ) {
    describe(zOut, ATTNC_F32, {B, H, F}, 4);
    state.z_out = &zOut.view;
  }
  if (blockMask) {
    // Build the mask from the inputs' params, then run over its tiles; with
    // `repeat`, time both (median, after the first run as a warm-up).
    using Mask = std::unique_ptr<attnc_block_mask, void (*)(attnc_block_mask *)>;
    Mask mask(nullptr, attnc_block_mask_free);
    auto build = [&]() -> std::string {
      attnc_block_mask *raw = nullptr;
      if (attnc_block_mask_build_cpu(pkg.get(), &q.view, &k.view, &v.view,
                                     views.empty() ? nullptr : views.data(),
                                     static_cast<int>(views.size()),
                                     &raw) != 0)
        return std::string("building the block mask failed: ") +
               attnc_last_error();
      mask.reset(raw);
      return "";
    };
    bool useMask = true;
    auto run = [&]() -> std::string {
      if (attnc_run_cpu_block_mask(pkg.get(), &q.view, &k.view, &v.view,
                                   &o.view, wantLse ? &lse.view : nullptr,
                                   views.empty() ? nullptr : views.data(),
                                   static_cast<int>(views.size()),
                                   useMask ? mask.get() : nullptr) != 0)
        return std::string("the CPU backend failed: ") + attnc_last_error();
      return "";
    };
    auto median = [](auto fn, int repeat, double &ms) -> std::string {
      std::vector<double> times;
      for (int i = 0; i < repeat; ++i) {
        auto start = std::chrono::steady_clock::now();
        if (std::string e = fn(); !e.empty())
          return e;
        times.push_back(std::chrono::duration<double, std::milli>(
                            std::chrono::steady_clock::now() - start)
                            .count());
      }
      std::sort(times.begin(), times.end());
      ms = times.empty() ? 0 : times[times.size() / 2];
      return "";
    };
    if (std::string e = build(); !e.empty())
      return e;
    if (std::string e = run(); !e.empty())
      return e;
    if (std::string e = median(build, blockMask->repeat, blockMask->buildMs);
        !e.empty())
      return e;
    useMask = false;
    if (std::string e = median(run, blockMask->repeat, blockMask->staticMs);
        !e.empty())
      return e;
    // Last, so that o and lse are those of the block mask.
    useMask = true;
    if (std::string e = median(run, blockMask->repeat, blockMask->runMs);
        !e.empty())
      return e;
    attnc_block_mask_info info{};
    attnc_block_mask_get_info(mask.get(), &info);
    blockMask->rows = info.rows;
    blockMask->heads = info.heads;
    blockMask->nnz = info.nnz;
    blockMask->full = info.full;
    blockMask->partial = info.partial;
    blockMask->staticTiles = info.static_tiles;
  } else if (attnc_run_cpu_state(pkg.get(), &q.view, &k.view, &v.view,
                                 &o.view, wantLse ? &lse.view : nullptr,
                                 views.empty() ? nullptr : views.data(),
                                 static_cast<int>(views.size()),
                                 &state) != 0) {
    return std::string("the CPU backend failed: ") + attnc_last_error();
  }
  outputs.o = readBack(o, dtype, oShape.shape);
  if (wantLse)
    outputs.lse = readBack(lse, attn::Dtype::f32, {B, H, Nq});
  if (wantState)
    outputs.state = readBack(stateOut, attn::Dtype::f32, {B, H, F, Dv});
  if (wantZ)
    outputs.z = readBack(zOut, attn::Dtype::f32, {B, H, F});
  return "";
}

double toleranceFor(Operation *op) {
  // The backend computes in f32 and stores o in the storage dtype: the bound
  // is a few units in the last place of that dtype (docs/testing.md).
  switch (dtypeOf(op)) {
  case attn::Dtype::f32:
    return 2e-5;
  case attn::Dtype::f16:
    return 1e-3;
  case attn::Dtype::bf16:
    return 8e-3;
  }
  return 2e-5;
}

double toleranceForState() { return 2e-5; }

bool compareToReference(Operation *op, const reference::Outputs &got,
                        const reference::Outputs &want, bool compareLse,
                        bool compareState, raw_ostream &os) {
  // One comparator for the CLI, the GPU runner and the tests
  // (tools/compare): the same non-finite values in the same places pass,
  // anything else names the tensor and the first index where it differs.
  auto check = [](const char *name, const reference::Tensor &g,
                  const reference::Tensor &w, double tol) {
    return compare::compareTensor(name, g.data, w.data, w.shape, tol);
  };
  const double tol = toleranceFor(op);
  compare::TensorComparison o = check("o", got.o, want.o, tol);
  bool ok = o.ok();
  os << "check o: " << compare::summarize(o);
  if (compareLse) {
    compare::TensorComparison lse = check("lse", got.lse, want.lse, tol);
    os << ", lse: " << compare::summarize(lse);
    ok = ok && lse.ok();
  }
  os << " (tolerance " << llvm::format("%.3g", tol) << ")";
  if (compareState) {
    // The state is float32 in every dtype, never rounded to the storage
    // type: it is held to the f32 bound.
    const double stateTol = toleranceForState();
    for (auto [name, g, w] :
         {std::tuple<const char *, const reference::Tensor *,
                     const reference::Tensor *>{"state", &got.state,
                                                &want.state},
          {"z", &got.z, &want.z}}) {
      if (w->data.empty())
        continue;
      compare::TensorComparison c = check(name, *g, *w, stateTol);
      os << ", " << name << ": " << compare::summarize(c);
      ok = ok && c.ok();
    }
    os << " (tolerance " << llvm::format("%.3g", stateTol) << ")";
  }
  os << " " << (ok ? "PASS" : "FAIL") << "\n";
  return ok;
}

std::string checkPackageSpec(const std::string &packageDir,
                             llvm::StringRef specText) {
  attnc_package *raw = nullptr;
  if (attnc_package_open(packageDir.c_str(), &raw) != 0)
    return std::string("cannot open package: ") + attnc_last_error();
  std::unique_ptr<attnc_package, void (*)(attnc_package *)> pkg(
      raw, attnc_package_close);
  // The hash `attnc compile` records (codegen/ManifestEmitter.h); the
  // runtime checks that the kernel carries the same one.
  const std::string want = hashText(specText);
  const std::string got = attnc_package_spec_hash(pkg.get());
  if (got != want)
    return "package '" + packageDir +
           "' was compiled from another spec (its spec_hash is " + got +
           ", this spec's is " + want + "); recompile it with 'attnc compile'";
  return "";
}

} // namespace attnc
