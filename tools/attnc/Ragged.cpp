//===- Ragged.cpp - Packed variable-length batches for `attnc run` --------===//
//
// This file implements reading cu_seqlens, converting between the packed
// and the padded forms, and running a package's ragged entry points.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/Ragged.h"
#include "tools/attnc/CudaDevice.h"
#include "tools/attnc/HostTensors.h"
#include "tools/attnc/Paged.h"

#include "dialect/AttnOps.h"

#include "attnc/npy.h"
#include "attnc/runtime.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <tuple>

using namespace mlir;

namespace attnc {
namespace {

std::string readOffsets(const char *name, const std::string &path,
                        std::vector<int32_t> &out) {
  NpyArray array;
  std::string error;
  if (!readNpy(path, array, error))
    return std::string("--") + name + " (" + path + "): " + error;
  if (array.dtype != NpyDtype::I32)
    return std::string("--") + name + " (" + path +
           "): expected int32, got " + npyDtypeName(array.dtype);
  if (array.shape.size() != 1)
    return std::string("--") + name + " (" + path + "): expected rank 1, got " +
           std::to_string(array.shape.size());
  out.clear();
  for (double x : array.toDoubles())
    out.push_back(static_cast<int32_t>(x));
  return "";
}

int64_t longest(const std::vector<int32_t> &cu) {
  int64_t n = 0;
  for (size_t i = 1; i < cu.size(); ++i)
    n = std::max<int64_t>(n, cu[i] - cu[i - 1]);
  return n;
}

/// [T, H, X] packed -> [B, H, P, X] padded (zeros past each sequence).
reference::Tensor unpackRows(const reference::Tensor &packed,
                             const std::vector<int32_t> &cu, int64_t P) {
  const int64_t B = static_cast<int64_t>(cu.size()) - 1;
  const int64_t H = packed.dim(1), X = packed.dim(2);
  reference::Tensor t{{B, H, P, X}, std::vector<double>(B * H * P * X)};
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < cu[b + 1] - cu[b]; ++i)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t x = 0; x < X; ++x)
          t.data[((b * H + h) * P + i) * X + x] =
              packed.data[((cu[b] + i) * H + h) * X + x];
  return t;
}

} // namespace

std::string loadRaggedBatch(const std::string &qPath, const std::string &kPath,
                            RaggedBatch &out) {
  if (std::string e = readOffsets("cu-seqlens-q", qPath, out.cuQ); !e.empty())
    return e;
  return readOffsets("cu-seqlens-k", kPath, out.cuK);
}

std::string checkRaggedBatch(const RaggedBatch &batch) {
  if (batch.cuQ.size() < 2)
    return "cu_seqlens_q: expected at least 2 entries (B + 1 for B >= 1 "
           "sequences), got " +
           std::to_string(batch.cuQ.size());
  if (batch.cuK.size() != batch.cuQ.size())
    return "cu_seqlens_k: expected " + std::to_string(batch.cuQ.size()) +
           " entries (B + 1, as cu_seqlens_q), got " +
           std::to_string(batch.cuK.size());
  for (auto [name, cu] : {std::pair<const char *, const std::vector<int32_t> *>{
                              "cu_seqlens_q", &batch.cuQ},
                          {"cu_seqlens_k", &batch.cuK}}) {
    if ((*cu)[0] != 0)
      return std::string(name) + ": expected " + name + "[0] = 0, got " +
             std::to_string((*cu)[0]);
    for (size_t i = 1; i < cu->size(); ++i)
      if ((*cu)[i] < (*cu)[i - 1])
        return std::string(name) + ": offsets must not decrease, got " +
               std::to_string((*cu)[i]) + " at index " + std::to_string(i) +
               " after " + std::to_string((*cu)[i - 1]);
  }
  return "";
}

std::string unpackInputs(const RaggedBatch &batch, reference::Inputs &inputs) {
  const int64_t B = batch.batch();
  const int64_t Pq = std::max<int64_t>(1, longest(batch.cuQ));
  const int64_t Pk = std::max<int64_t>(1, longest(batch.cuK));
  for (auto [name, t, cu] :
       {std::tuple<const char *, reference::Tensor *,
                   const std::vector<int32_t> *>{"q", &inputs.q, &batch.cuQ},
        {"k", &inputs.k, &batch.cuK},
        {"v", &inputs.v, &batch.cuK}}) {
    const int64_t tokens = cu->back();
    if (t->shape.size() != 3 || t->dim(0) != tokens)
      return std::string("input '") + name +
             "': expected a packed [tokens, heads, dim] tensor of " +
             std::to_string(tokens) + " tokens (cu_seqlens_" +
             (cu == &batch.cuQ ? "q" : "k") + "[" + std::to_string(B) +
             "]), got rank " + std::to_string(t->shape.size()) +
             (t->shape.empty() ? "" : ", " + std::to_string(t->dim(0)) +
                                          " tokens");
    *t = unpackRows(*t, *cu, cu == &batch.cuQ ? Pq : Pk);
  }
  inputs.seqQ.clear();
  inputs.seqK.clear();
  for (int64_t b = 0; b < B; ++b) {
    inputs.seqQ.push_back(batch.cuQ[b + 1] - batch.cuQ[b]);
    inputs.seqK.push_back(batch.cuK[b + 1] - batch.cuK[b]);
  }
  return "";
}

reference::Tensor packRows(const reference::Tensor &padded,
                           const std::vector<int32_t> &cu) {
  const int64_t B = padded.dim(0), H = padded.dim(1), P = padded.dim(2),
                X = padded.dim(3), T = cu.back();
  reference::Tensor t{{T, H, X}, std::vector<double>(T * H * X)};
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < cu[b + 1] - cu[b]; ++i)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t x = 0; x < X; ++x)
          t.data[((cu[b] + i) * H + h) * X + x] =
              padded.data[((b * H + h) * P + i) * X + x];
  return t;
}

reference::Tensor packLse(const reference::Tensor &padded,
                          const std::vector<int32_t> &cu) {
  const int64_t B = padded.dim(0), H = padded.dim(1), P = padded.dim(2),
                T = cu.back();
  reference::Tensor t{{H, T}, std::vector<double>(H * T)};
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < cu[b + 1] - cu[b]; ++i)
      for (int64_t h = 0; h < H; ++h)
        t.data[h * T + cu[b] + i] = padded.data[(b * H + h) * P + i];
  return t;
}

std::string runRaggedPackage(Operation *op, const std::string &dir,
                             const RaggedBatch *batch,
                             const PagingOptions *paging,
                             const reference::Inputs &inputs, bool wantLse,
                             bool cuda, reference::Outputs &outputs,
                             int kvSplits) {
  attnc_package *raw = nullptr;
  if (attnc_package_open(dir.c_str(), &raw) != 0)
    return std::string("cannot open package: ") + attnc_last_error();
  std::unique_ptr<attnc_package, void (*)(attnc_package *)> pkg(
      raw, attnc_package_close);
  attnc_package_set_kv_splits(pkg.get(), kvSplits);
  const attn::Dtype dtype = cast<attn::AttentionOp>(op).getDtype();
  const int64_t B = inputs.q.dim(0), H = inputs.q.dim(1), Dv = inputs.v.dim(3);
  const int64_t Pq = inputs.q.dim(2), Pk = inputs.k.dim(2);
  // q, o and lse: packed by cu_seqlens_q, or dense (a paged call only).
  const int64_t Tq = batch ? batch->cuQ.back() : B * Pq;
  const std::vector<int64_t> oShape =
      batch ? std::vector<int64_t>{Tq, H, Dv} : std::vector<int64_t>{B, H, Pq, Dv};
  const std::vector<int64_t> lseShape =
      batch ? std::vector<int64_t>{H, Tq} : std::vector<int64_t>{B, H, Pq};
  Buffer q, k, v, o, lse, cuQ, cuK, table, lens;
  fill(q, dtype, batch ? packRows(inputs.q, batch->cuQ) : inputs.q);
  fill(o, dtype, {oShape, std::vector<double>(elements(oShape))});
  describe(lse, ATTNC_F32, lseShape, 4);
  auto offsets = [](Buffer &buf, const std::vector<int32_t> &values,
                    std::vector<int64_t> shape) {
    fillParam(buf, ATTNC_I32,
              {std::move(shape), std::vector<double>(values.begin(), values.end())});
  };
  if (batch) {
    offsets(cuQ, batch->cuQ, {B + 1});
    offsets(cuK, batch->cuK, {B + 1});
  }
  attnc_paged_kv paged{};
  if (paging) {
    const std::vector<int64_t> seqK =
        batch ? inputs.seqK : std::vector<int64_t>(B, Pk);
    PagedCache cache = makePagedCache(inputs.k, inputs.v, seqK, *paging);
    fill(k, dtype, cache.k);
    fill(v, dtype, cache.v);
    offsets(table, cache.blockTable, {B, cache.maxPages});
    offsets(lens, cache.kvLens, {B});
    paged = {paging->layout, &table.view, &lens.view,
             batch ? &cuQ.view : nullptr};
  } else {
    fill(k, dtype, packRows(inputs.k, batch->cuK));
    fill(v, dtype, packRows(inputs.v, batch->cuK));
  }
  std::vector<Buffer> params(attnc_package_num_params(pkg.get()));
  for (size_t i = 0; i < params.size(); ++i) {
    attnc_param_info info{};
    attnc_package_param(pkg.get(), static_cast<int>(i), &info);
    auto it = inputs.params.find(info.name);
    if (it == inputs.params.end())
      return std::string("input '") + info.name + "': missing";
    fillParam(params[i], info.dtype, it->second);
  }
  std::vector<attnc_tensor> views;
  for (const Buffer &p : params)
    views.push_back(p.view);
  attnc_varlen varlen = {&cuQ.view, &cuK.view};
  const int numParams = static_cast<int>(views.size());
  if (!cuda) {
    const attnc_tensor *pv = views.empty() ? nullptr : views.data();
    attnc_tensor *l = wantLse ? &lse.view : nullptr;
    if ((paging ? attnc_run_cpu_paged(pkg.get(), &q.view, &k.view, &v.view,
                                      &o.view, l, pv, numParams, &paged)
                : attnc_run_cpu_varlen(pkg.get(), &q.view, &k.view, &v.view,
                                       &o.view, l, pv, numParams, &varlen)) != 0)
      return std::string("the CPU backend failed: ") + attnc_last_error();
  } else {
    CudaDevice device;
    if (std::string e = device.open(); !e.empty())
      return "--backend cuda: " + e;
    // Device copies (a tensor of no tokens is passed as it is: never read).
    attnc_tensor dq = q.view, dk = k.view, dv = v.view, dout = o.view,
                 dlse = lse.view;
    std::vector<attnc_tensor> dparams = views;
    std::string e;
    for (auto [host, dev] : {std::pair<Buffer *, attnc_tensor *>{&q, &dq},
                             {&k, &dk},
                             {&v, &dv},
                             {&o, &dout},
                             {&lse, &dlse}})
      if (e.empty() && !host->bytes.empty())
        e = device.mirror(*host, *dev);
    for (size_t i = 0; i < params.size() && e.empty(); ++i)
      e = device.mirror(params[i], dparams[i]);
    if (!e.empty())
      return e;
    const attnc_tensor *pv = dparams.empty() ? nullptr : dparams.data();
    attnc_tensor *l = wantLse ? &dlse : nullptr;
    if ((paging ? attnc_launch_cuda_paged(pkg.get(), &dq, &dk, &dv, &dout, l,
                                          pv, numParams, &paged, nullptr)
                : attnc_launch_cuda_varlen(pkg.get(), &dq, &dk, &dv, &dout, l,
                                           pv, numParams, &varlen,
                                           nullptr)) != 0)
      return std::string("the CUDA backend failed: ") + attnc_last_error();
    if (!o.bytes.empty() && (e = device.fetch(o)).empty() && wantLse)
      e = device.fetch(lse);
    if (!e.empty())
      return e;
  }
  if (!batch) {
    outputs.o = readBack(o, dtype, oShape);
    if (wantLse)
      outputs.lse = readBack(lse, attn::Dtype::f32, lseShape);
    return "";
  }
  outputs.o = unpackRows(readBack(o, dtype, oShape), batch->cuQ, Pq);
  if (wantLse) {
    reference::Tensor packed = readBack(lse, attn::Dtype::f32, {H, Tq});
    outputs.lse = {{B, H, Pq},
                   std::vector<double>(B * H * Pq,
                                       -std::numeric_limits<double>::infinity())};
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < batch->cuQ[b + 1] - batch->cuQ[b]; ++i)
        for (int64_t h = 0; h < H; ++h)
          outputs.lse.data[(b * H + h) * Pq + i] =
              packed.data[h * Tq + batch->cuQ[b] + i];
  }
  return "";
}

} // namespace attnc
