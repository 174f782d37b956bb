//===- BackendRun.cpp - Run a compiled package from attnc -----------------===//
//
// This file implements running a package's CPU backend through the runtime
// and the comparison against the reference executor.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/BackendRun.h"
#include "tools/attnc/CudaDevice.h"
#include "tools/attnc/HostTensors.h"

#include "codegen/ManifestEmitter.h"
#include "dialect/AttnOps.h"
#include "tools/compare/Compare.h"

#include "attnc/half.h"
#include "attnc/runtime.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
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

namespace {

/// One forward call's host tensors in the package's storage dtype (params,
/// state, lse as the runtime takes them), filled from `inputs`.
struct ForwardCall {
  attn::Dtype dtype;
  int64_t B = 0, H = 0, Nq = 0, Dv = 0, F = 0;
  Buffer q, k, v, o, lse;
  std::vector<Buffer> params;
  Buffer stateIn, zIn, stateOut, zOut;
  bool hasStateIn = false, hasZIn = false, wantState = false, wantZ = false;
};

std::string prepareForward(attnc_package *pkg, Operation *op,
                           const reference::Inputs &inputs, bool wantState,
                           ForwardCall &c) {
  c.dtype = dtypeOf(op);
  fill(c.q, c.dtype, inputs.q);
  fill(c.k, c.dtype, inputs.k);
  fill(c.v, c.dtype, inputs.v);
  c.B = inputs.q.dim(0);
  c.H = inputs.q.dim(1);
  c.Nq = inputs.q.dim(2);
  c.Dv = inputs.v.dim(3);
  const std::vector<int64_t> oShape = {c.B, c.H, c.Nq, c.Dv};
  fill(c.o, c.dtype, {oShape, std::vector<double>(elements(oShape))});
  describe(c.lse, ATTNC_F32, {c.B, c.H, c.Nq}, 4);
  // Parameters in manifest order.
  c.params.resize(attnc_package_num_params(pkg));
  for (size_t i = 0; i < c.params.size(); ++i) {
    attnc_param_info info{};
    attnc_package_param(pkg, static_cast<int>(i), &info);
    auto it = inputs.params.find(info.name);
    if (it == inputs.params.end())
      return std::string("input '") + info.name + "': missing";
    fillParam(c.params[i], info.dtype, it->second);
  }
  // The linear family's state, float32: in from `inputs`, out when wanted
  // (z with normalize sum, where it travels with S).
  c.F = attnc_package_feature_dim(pkg);
  c.wantState = wantState;
  c.wantZ = wantState && std::string(attnc_package_normalize(pkg)) == "sum";
  if ((c.hasStateIn = inputs.state.has_value()))
    fill(c.stateIn, attn::Dtype::f32, *inputs.state);
  if ((c.hasZIn = inputs.z.has_value()))
    fill(c.zIn, attn::Dtype::f32, *inputs.z);
  if (c.wantState)
    describe(c.stateOut, ATTNC_F32, {c.B, c.H, c.F, c.Dv}, 4);
  if (c.wantZ)
    describe(c.zOut, ATTNC_F32, {c.B, c.H, c.F}, 4);
  return "";
}

void readForward(const ForwardCall &c, bool wantLse,
                 reference::Outputs &outputs) {
  outputs.o = readBack(c.o, c.dtype, {c.B, c.H, c.Nq, c.Dv});
  if (wantLse)
    outputs.lse = readBack(c.lse, attn::Dtype::f32, {c.B, c.H, c.Nq});
  if (c.wantState)
    outputs.state =
        readBack(c.stateOut, attn::Dtype::f32, {c.B, c.H, c.F, c.Dv});
  if (c.wantZ)
    outputs.z = readBack(c.zOut, attn::Dtype::f32, {c.B, c.H, c.F});
}

} // namespace

std::string runPackageOnCpu(Operation *op, const std::string &packageDir,
                            const reference::Inputs &inputs, bool wantLse,
                            bool wantState, reference::Outputs &outputs,
                            BlockMaskReport *blockMask, int kvSplits) {
  attnc_package *raw = nullptr;
  if (attnc_package_open(packageDir.c_str(), &raw) != 0)
    return std::string("cannot open package: ") + attnc_last_error();
  std::unique_ptr<attnc_package, void (*)(attnc_package *)> pkg(
      raw, attnc_package_close);
  attnc_package_set_kv_splits(pkg.get(), kvSplits);
  ForwardCall c;
  if (std::string e = prepareForward(pkg.get(), op, inputs, wantState, c);
      !e.empty())
    return e;
  Buffer &q = c.q, &k = c.k, &v = c.v, &o = c.o, &lse = c.lse;
  std::vector<attnc_tensor> views;
  for (const Buffer &p : c.params)
    views.push_back(p.view);
  attnc_linear_state state = {c.hasStateIn ? &c.stateIn.view : nullptr,
                              c.wantState ? &c.stateOut.view : nullptr,
                              c.hasZIn ? &c.zIn.view : nullptr,
                              c.wantZ ? &c.zOut.view : nullptr};
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
    // The static plan without any block mask: the automatic one (a mask
    // that reads params) off for this measurement.
    useMask = false;
    attnc_package_set_auto_block_mask(pkg.get(), 0);
    std::string staticError =
        median(run, blockMask->repeat, blockMask->staticMs);
    attnc_package_set_auto_block_mask(pkg.get(), 1);
    if (!staticError.empty())
      return staticError;
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
  readForward(c, wantLse, outputs);
  return "";
}

std::string runPackageOnCuda(Operation *op, const std::string &packageDir,
                             const reference::Inputs &inputs, bool wantLse,
                             bool wantState, reference::Outputs &outputs,
                             int kvSplits) {
  attnc_package *raw = nullptr;
  if (attnc_package_open(packageDir.c_str(), &raw) != 0)
    return std::string("cannot open package: ") + attnc_last_error();
  std::unique_ptr<attnc_package, void (*)(attnc_package *)> pkg(
      raw, attnc_package_close);
  attnc_package_set_kv_splits(pkg.get(), kvSplits);
  ForwardCall c;
  if (std::string e = prepareForward(pkg.get(), op, inputs, wantState, c);
      !e.empty())
    return e;
  CudaDevice device;
  if (std::string e = device.open(); !e.empty())
    return "--backend cuda: " + e;
  // Device copies of every tensor; results are copied back below.
  attnc_tensor q, k, v, o, lse, stateIn, zIn, stateOut, zOut;
  std::vector<attnc_tensor> params(c.params.size());
  std::string e;
  for (auto [host, dev] : {std::pair<Buffer *, attnc_tensor *>{&c.q, &q},
                           {&c.k, &k},
                           {&c.v, &v},
                           {&c.o, &o},
                           {&c.lse, &lse}})
    if (e.empty())
      e = device.mirror(*host, *dev);
  for (size_t i = 0; i < params.size() && e.empty(); ++i)
    e = device.mirror(c.params[i], params[i]);
  if (e.empty() && c.hasStateIn)
    e = device.mirror(c.stateIn, stateIn);
  if (e.empty() && c.hasZIn)
    e = device.mirror(c.zIn, zIn);
  if (e.empty() && c.wantState)
    e = device.mirror(c.stateOut, stateOut);
  if (e.empty() && c.wantZ)
    e = device.mirror(c.zOut, zOut);
  if (!e.empty())
    return e;
  attnc_linear_state state = {c.hasStateIn ? &stateIn : nullptr,
                              c.wantState ? &stateOut : nullptr,
                              c.hasZIn ? &zIn : nullptr,
                              c.wantZ ? &zOut : nullptr};
  if (attnc_launch_cuda_state(pkg.get(), &q, &k, &v, &o,
                              wantLse ? &lse : nullptr,
                              params.empty() ? nullptr : params.data(),
                              static_cast<int>(params.size()), &state,
                              nullptr) != 0)
    return std::string("the CUDA backend failed: ") + attnc_last_error();
  if ((e = device.fetch(c.o)).empty() && wantLse)
    e = device.fetch(c.lse);
  if (e.empty() && c.wantState)
    e = device.fetch(c.stateOut);
  if (e.empty() && c.wantZ)
    e = device.fetch(c.zOut);
  if (!e.empty())
    return e;
  readForward(c, wantLse, outputs);
  return "";
}

double toleranceFor(Operation *op, bool cuda) {
  // The GPU bounds of docs/testing.md (test/GPU/make_bundle.py's): the SIMT
  // kernel's fast exp, the tensor-core path's P rounded to the storage
  // dtype before P V.
  if (cuda)
    switch (dtypeOf(op)) {
    case attn::Dtype::f32:
      return 1e-4;
    case attn::Dtype::f16:
      return 4e-3;
    case attn::Dtype::bf16:
      return 3e-2;
    }
  // The CPU backend computes in f32 and stores o in the storage dtype: the
  // bound is a few units in the last place of that dtype (docs/testing.md).
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
                        bool compareState, bool cuda, raw_ostream &os) {
  // One comparator for the CLI, the GPU runner and the tests
  // (tools/compare): the same non-finite values in the same places pass,
  // anything else names the tensor and the first index where it differs.
  auto check = [](const char *name, const reference::Tensor &g,
                  const reference::Tensor &w, double tol) {
    return compare::compareTensor(name, g.data, w.data, w.shape, tol);
  };
  const double tol = toleranceFor(op, cuda);
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

std::string buildBlockMaskOnCpu(Operation *op, const std::string &packageDir,
                                const reference::Inputs &inputs,
                                BlockMaskMap &map) {
  attnc_package *raw = nullptr;
  if (attnc_package_open(packageDir.c_str(), &raw) != 0)
    return std::string("cannot open package: ") + attnc_last_error();
  std::unique_ptr<attnc_package, void (*)(attnc_package *)> pkg(
      raw, attnc_package_close);
  if (!attnc_package_has_block_mask(pkg.get()))
    return "the package has no block-mask builder";
  ForwardCall c;
  if (std::string e = prepareForward(pkg.get(), op, inputs, false, c);
      !e.empty())
    return e;
  std::vector<attnc_tensor> views;
  for (const Buffer &p : c.params)
    views.push_back(p.view);
  attnc_block_mask *built = nullptr;
  if (attnc_block_mask_build_cpu(pkg.get(), &c.q.view, &c.k.view, &c.v.view,
                                 views.empty() ? nullptr : views.data(),
                                 static_cast<int>(views.size()), &built) != 0)
    return std::string("building the block mask failed: ") +
           attnc_last_error();
  std::unique_ptr<attnc_block_mask, void (*)(attnc_block_mask *)> mask(
      built, attnc_block_mask_free);
  attnc_block_mask_info info{};
  if (attnc_block_mask_get_info(mask.get(), &info) != 0)
    return std::string("reading the block mask failed: ") + attnc_last_error();
  map.nnz = info.nnz;
  map.full = info.full;
  map.partial = info.partial;
  map.staticTiles = info.static_tiles;
  map.rows = info.rows;
  map.heads = info.heads;
  map.qBlocks = info.q_blocks;
  map.kBlocks = info.k_blocks;
  // Rows are (batch, head, q-block) in that order: batch 0, head 0 comes
  // first.
  map.tiles.assign(static_cast<size_t>(info.q_blocks) * info.k_blocks, 0);
  for (int qb = 0; qb < info.q_blocks; ++qb)
    for (int e = info.row_ptr[qb]; e < info.row_ptr[qb + 1]; ++e)
      map.tiles[static_cast<size_t>(qb) * info.k_blocks + info.col[e]] =
          info.full_flags[e] ? 2 : 1;
  return "";
}

std::string temporaryPackageDir() {
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("attnc-run", dir))
    return "";
  return dir.str().str();
}

} // namespace attnc
