//===- BackwardRun.cpp - The backward pass through a package --------------===//

#include "tools/attnc/BackwardRun.h"

#include "tools/attnc/CudaDevice.h"
#include "tools/attnc/HostTensors.h"
#include "tools/compare/Compare.h"

#include "dialect/AttnOps.h"

#include "attnc/runtime.h"

#include "llvm/Support/Format.h"

#include <cmath>
#include <memory>

using namespace mlir;

namespace attnc {

std::string runPackageBackward(Operation *op, const std::string &packageDir,
                               const reference::Inputs &inputs,
                               const reference::Tensor &dO,
                               reference::Outputs &outputs,
                               reference::Gradients &gradients,
                               CompiledBackend backend) {
  const bool cuda = backend == CompiledBackend::Cuda;
  auto attention = cast<attn::AttentionOp>(op);
  attnc_package *raw = nullptr;
  if (attnc_package_open(packageDir.c_str(), &raw) != 0)
    return std::string("cannot open package: ") + attnc_last_error();
  std::unique_ptr<attnc_package, void (*)(attnc_package *)> pkg(
      raw, attnc_package_close);
  if (!cuda && !attnc_package_has_cpu_backward(pkg.get()))
    return "package '" + packageDir +
           "' has no CPU backward (compile it with --backward)";
  if (cuda && !attnc_package_has_cuda_backward(pkg.get()))
    return "package '" + packageDir +
           "' has no CUDA backward (compile it with --backward; "
           "content-based selection and hybrids have none yet)";

  const attn::Dtype dtype = attention.getDtype();
  Buffer q, k, v, o, lse, dout, dq, dk, dv;
  fill(q, dtype, inputs.q);
  fill(k, dtype, inputs.k);
  fill(v, dtype, inputs.v);
  fill(dout, dtype, dO);
  const int64_t B = inputs.q.dim(0), H = inputs.q.dim(1), Nq = inputs.q.dim(2);
  const int64_t Dv = inputs.v.dim(3);
  const std::vector<int64_t> oShape = {B, H, Nq, Dv};
  fill(o, dtype, {oShape, std::vector<double>(elements(oShape))});
  fill(dq, dtype, {inputs.q.shape, std::vector<double>(inputs.q.data.size())});
  fill(dk, dtype, {inputs.k.shape, std::vector<double>(inputs.k.data.size())});
  fill(dv, dtype, {inputs.v.shape, std::vector<double>(inputs.v.data.size())});
  describe(lse, ATTNC_F32, {B, H, Nq}, 4);
  const bool hasLse = attnc_package_has_lse(pkg.get());

  // Parameters and their gradients, in manifest order.
  const int count = attnc_package_num_params(pkg.get());
  std::vector<Buffer> params(count), grads(count);
  std::vector<attnc_tensor> paramViews, gradViews;
  for (int i = 0; i < count; ++i) {
    attnc_param_info info{};
    attnc_package_param(pkg.get(), i, &info);
    auto it = inputs.params.find(info.name);
    if (it == inputs.params.end())
      return std::string("input '") + info.name + "': missing";
    const reference::ParamValues &values = it->second;
    fillParam(params[i], info.dtype, values);
    paramViews.push_back(params[i].view);
    attnc_tensor none{};
    if (attnc_package_param_has_grad(pkg.get(), i)) {
      describe(grads[i], ATTNC_F32, values.shape, 4);
      gradViews.push_back(grads[i].view);
    } else {
      gradViews.push_back(none);
    }
  }
  if (cuda) {
    // Device copies of every tensor, the forward then the backward on the
    // device, the outputs and gradients copied back into the buffers.
    CudaDevice device;
    if (std::string e = device.open(); !e.empty())
      return "--backend cuda: " + e;
    std::string e;
    auto mirror = [&](Buffer &b, attnc_tensor &view) {
      if (e.empty())
        e = device.mirror(b, view);
    };
    attnc_tensor dq_, dk_, dv_, q_, k_, v_, o_, lse_, dout_;
    mirror(q, q_);
    mirror(k, k_);
    mirror(v, v_);
    mirror(o, o_);
    mirror(lse, lse_);
    mirror(dout, dout_);
    mirror(dq, dq_);
    mirror(dk, dk_);
    mirror(dv, dv_);
    for (int i = 0; i < count; ++i) {
      mirror(params[i], paramViews[i]);
      if (gradViews[i].data)
        mirror(grads[i], gradViews[i]);
    }
    if (!e.empty())
      return e;
    const attnc_tensor *paramPtr =
        paramViews.empty() ? nullptr : paramViews.data();
    if (attnc_launch_cuda(pkg.get(), &q_, &k_, &v_, &o_,
                          hasLse ? &lse_ : nullptr, paramPtr, count,
                          nullptr) != 0)
      return std::string("the CUDA forward failed: ") + attnc_last_error();
    attnc_backward_tensors g{&dout_, &dq_, &dk_, &dv_,
                             gradViews.empty() ? nullptr : gradViews.data()};
    if (attnc_launch_cuda_backward(pkg.get(), &q_, &k_, &v_, &o_,
                                   hasLse ? &lse_ : nullptr, paramPtr, count,
                                   &g, nullptr) != 0)
      return std::string("the CUDA backward failed: ") + attnc_last_error();
    for (Buffer *b : {&o, &lse, &dq, &dk, &dv})
      if (e.empty() && (b != &lse || hasLse))
        e = device.fetch(*b);
    for (int i = 0; i < count && e.empty(); ++i)
      if (gradViews[i].data)
        e = device.fetch(grads[i]);
    if (!e.empty())
      return e;
  } else {
    const attnc_tensor *paramPtr =
        paramViews.empty() ? nullptr : paramViews.data();
    if (attnc_run_cpu(pkg.get(), &q.view, &k.view, &v.view, &o.view,
                      hasLse ? &lse.view : nullptr, paramPtr, count) != 0)
      return std::string("the CPU forward failed: ") + attnc_last_error();
    attnc_backward_tensors g{&dout.view, &dq.view, &dk.view, &dv.view,
                             gradViews.empty() ? nullptr : gradViews.data()};
    if (attnc_run_cpu_backward(pkg.get(), &q.view, &k.view, &v.view,
                               &o.view, hasLse ? &lse.view : nullptr,
                               paramPtr, count, &g) != 0)
      return std::string("the CPU backward failed: ") + attnc_last_error();
  }

  outputs.o = readBack(o, dtype, oShape);
  outputs.lse = readBack(lse, attn::Dtype::f32, {B, H, Nq});
  gradients.dq = readBack(dq, dtype, inputs.q.shape);
  gradients.dk = readBack(dk, dtype, inputs.k.shape);
  gradients.dv = readBack(dv, dtype, inputs.v.shape);
  gradients.params.clear();
  for (int i = 0; i < count; ++i) {
    if (!attnc_package_param_has_grad(pkg.get(), i))
      continue;
    attnc_param_info info{};
    attnc_package_param(pkg.get(), i, &info);
    const reference::ParamValues &values = inputs.params.find(info.name)->second;
    reference::Tensor t = readBack(grads[i], attn::Dtype::f32, values.shape);
    gradients.params[info.name] = {t.shape, t.data};
  }
  return "";
}

double gradientToleranceFor(Operation *op) {
  // Measured on test/Backend/cpu-backward.test (docs/testing.md,
  // "Backward"): f32 gradients are within 1.3e-6 of the double reference
  // (relative to max|grad|); f16 within 8e-4 and bf16 within 5e-3, where
  // dq, dk and dv are stored in the storage dtype (half an ulp is 4.9e-4
  // and 3.9e-3 of the largest value). The f32 bound is the forward's
  // (2e-5); f16 and bf16 keep 1.6x to 2.5x of room for longer sums.
  switch (cast<attn::AttentionOp>(op).getDtype()) {
  case attn::Dtype::f32:
    return 2e-5;
  case attn::Dtype::f16:
    return 2e-3;
  case attn::Dtype::bf16:
    return 8e-3;
  }
  return 2e-5;
}

bool compareGradients(Operation *op, const reference::Gradients &got,
                      const reference::Gradients &want, llvm::raw_ostream &os) {
  const double tolerance = gradientToleranceFor(op);
  bool allOk = true;
  // The comparator of every --check (tools/compare): max|got - ref| /
  // max(max|ref|, 1), non-finite values must agree.
  auto compare = [&](const std::string &name, const reference::Tensor &g,
                     const reference::Tensor &w) {
    compare::TensorComparison c =
        compare::compareTensor("d" + name, g.data, w.data, w.shape, tolerance);
    allOk &= c.ok();
    os << "grad " << name << ": " << compare::summarize(c) << " (tolerance "
       << llvm::format("%.3g", tolerance) << ")" << (c.ok() ? ": ok\n" : ": FAIL\n");
  };
  compare("q", got.dq, want.dq);
  compare("k", got.dk, want.dk);
  compare("v", got.dv, want.dv);
  for (const std::string &name : reference::differentiableParams(op)) {
    auto g = got.params.find(name), w = want.params.find(name);
    if (g == got.params.end() || w == want.params.end()) {
      os << "grad " << name << ": missing: FAIL\n";
      allOk = false;
      continue;
    }
    compare(name, {g->second.shape, g->second.values},
            {w->second.shape, w->second.values});
  }
  return allOk;
}

} // namespace attnc
