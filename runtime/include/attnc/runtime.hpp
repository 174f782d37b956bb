//===- runtime.hpp - C++ wrapper over the attnc runtime C API ---*- C++ -*-===//
//
// This file implements a header-only C++17 layer over attnc/runtime.h:
// attnc::Package owns an attnc_package (move-only, closed on destruction),
// attnc::Tensor is a non-owning view that fills an attnc_tensor, and every
// fallible call returns an attnc::Status instead of throwing, so the wrapper
// works in code built with -fno-exceptions (LLVM-style projects):
//
//   attnc::Package pkg;
//   if (attnc::Status s = attnc::Package::open("out/causal", pkg); !s.ok)
//     return fail(s.message);
//   auto q = attnc::Tensor::contiguous(qData, ATTNC_F32, {B, H, Nq, D});
//   ...
//   attnc::Status s = pkg.runCpu(q, k, v, o, &lse, {doc});
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_HPP
#define ATTNC_RUNTIME_HPP

#include "attnc/runtime.h"

#include <cstddef>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace attnc {

/// The outcome of a runtime call. `code` is an attnc_status; `message` is
/// attnc_last_error() at the time of the failure.
struct Status {
  bool ok = true;
  int code = ATTNC_OK;
  std::string message;

  explicit operator bool() const { return ok; }

  /// Turns a C API return code into a Status, reading the thread's last
  /// error for failures.
  static Status fromCode(int code) {
    Status s;
    if (code != ATTNC_OK) {
      s.ok = false;
      s.code = code;
      s.message = attnc_last_error();
    }
    return s;
  }
};

/// A non-owning strided view of caller memory. Shapes longer than 4 keep
/// their length as the rank, so the runtime reports them as a rank mismatch.
class Tensor {
public:
  Tensor() : t() {}

  /// A row-major view of `data`.
  static Tensor contiguous(const void *data, attnc_dtype dtype,
                           std::initializer_list<long long> shape) {
    Tensor x = make(data, dtype, shape);
    long long stride = 1;
    for (int i = x.rankClamped() - 1; i >= 0; --i) {
      x.t.strides[i] = stride;
      stride *= x.t.shape[i];
    }
    return x;
  }

  /// A view with explicit element strides (the last should be 1).
  static Tensor strided(const void *data, attnc_dtype dtype,
                        std::initializer_list<long long> shape,
                        std::initializer_list<long long> strides) {
    Tensor x = make(data, dtype, shape);
    int i = 0;
    for (long long s : strides)
      if (i < 4)
        x.t.strides[i++] = s;
    return x;
  }

  /// Wraps an existing descriptor.
  explicit Tensor(const attnc_tensor &raw) : t(raw) {}

  const attnc_tensor &raw() const { return t; }
  void *data() const { return t.data; }
  attnc_dtype dtype() const { return t.dtype; }
  int rank() const { return t.rank; }
  long long dim(int i) const { return t.shape[i]; }
  long long stride(int i) const { return t.strides[i]; }

private:
  attnc_tensor t;

  int rankClamped() const { return t.rank < 4 ? t.rank : 4; }

  static Tensor make(const void *data, attnc_dtype dtype,
                     std::initializer_list<long long> shape) {
    Tensor x;
    // The runtime only reads through q, k, v and params; views of const
    // inputs are the common case.
    x.t.data = const_cast<void *>(data);
    x.t.dtype = dtype;
    x.t.rank = static_cast<int>(shape.size());
    int i = 0;
    for (long long d : shape)
      if (i < 4)
        x.t.shape[i++] = d;
    return x;
  }
};

/// One runtime parameter of a package, in manifest order.
struct ParamInfo {
  std::string name;
  attnc_dtype dtype = ATTNC_F32;
  std::string dims;
};

/// The recurrent state of a causal linear-family package (attnc_linear_state):
/// each member null when absent. See attnc/runtime.h for shapes and rules.
struct LinearState {
  const Tensor *stateIn = nullptr;
  const Tensor *stateOut = nullptr;
  const Tensor *zIn = nullptr;
  const Tensor *zOut = nullptr;

  attnc_linear_state raw() const {
    auto ptr = [](const Tensor *t) { return t ? &t->raw() : nullptr; };
    return {ptr(stateIn), ptr(stateOut), ptr(zIn), ptr(zOut)};
  }
};

/// A runtime block mask (attnc_block_mask). Move-only; frees it when
/// destroyed. Built by Package::buildBlockMaskCpu.
class BlockMask {
public:
  BlockMask() = default;
  ~BlockMask() { attnc_block_mask_free(mask); }
  BlockMask(BlockMask &&other) noexcept
      : mask(std::exchange(other.mask, nullptr)) {}
  BlockMask &operator=(BlockMask &&other) noexcept {
    if (this != &other) {
      attnc_block_mask_free(mask);
      mask = std::exchange(other.mask, nullptr);
    }
    return *this;
  }
  BlockMask(const BlockMask &) = delete;
  BlockMask &operator=(const BlockMask &) = delete;

  bool isBuilt() const { return mask != nullptr; }
  /// The C handle (may be null).
  const attnc_block_mask *get() const { return mask; }
  /// Shape, counts and CSR arrays; all zero when not built.
  attnc_block_mask_info info() const {
    attnc_block_mask_info i{};
    if (mask)
      attnc_block_mask_get_info(mask, &i);
    return i;
  }

private:
  friend class Package;
  attnc_block_mask *mask = nullptr;
};

/// An open package. Move-only; closes the package when destroyed.
class Package {
public:
  Package() = default;
  ~Package() { attnc_package_close(pkg); }
  Package(Package &&other) noexcept : pkg(std::exchange(other.pkg, nullptr)) {}
  Package &operator=(Package &&other) noexcept {
    if (this != &other) {
      attnc_package_close(pkg);
      pkg = std::exchange(other.pkg, nullptr);
    }
    return *this;
  }
  Package(const Package &) = delete;
  Package &operator=(const Package &) = delete;

  /// Opens the package in `dir`; on success `out` owns it (any package it
  /// held before is closed).
  static Status open(const std::string &dir, Package &out) {
    attnc_package *p = nullptr;
    Status s = Status::fromCode(attnc_package_open(dir.c_str(), &p));
    if (s.ok) {
      attnc_package_close(out.pkg);
      out.pkg = p;
    }
    return s;
  }

  bool isOpen() const { return pkg != nullptr; }
  /// The C handle, for calls the wrapper does not cover.
  attnc_package *get() const { return pkg; }

  std::string dir() const { return str(attnc_package_dir(pkg)); }
  std::string name() const { return str(attnc_package_name(pkg)); }
  std::string family() const { return str(attnc_package_family(pkg)); }
  std::string normalize() const { return str(attnc_package_normalize(pkg)); }
  std::string specHash() const { return str(attnc_package_spec_hash(pkg)); }
  std::string attncVersion() const {
    return str(attnc_package_attnc_version(pkg));
  }
  attnc_dtype dtype() const { return attnc_package_dtype(pkg); }
  int heads() const { return attnc_package_heads(pkg); }
  int kvHeads() const { return attnc_package_kv_heads(pkg); }
  int headDim() const { return attnc_package_head_dim(pkg); }
  int valueDim() const { return attnc_package_value_dim(pkg); }
  bool hasLse() const { return attnc_package_has_lse(pkg) != 0; }
  bool hasState() const { return attnc_package_has_state(pkg) != 0; }
  int featureDim() const { return attnc_package_feature_dim(pkg); }
  bool hasCpu() const { return attnc_package_has_cpu(pkg) != 0; }
  bool hasCuda() const { return attnc_package_has_cuda(pkg) != 0; }

  std::vector<ParamInfo> params() const {
    std::vector<ParamInfo> out;
    int n = attnc_package_num_params(pkg);
    for (int i = 0; i < n; ++i) {
      attnc_param_info info;
      if (attnc_package_param(pkg, i, &info) == ATTNC_OK)
        out.push_back({info.name, info.dtype, info.dims});
    }
    return out;
  }

  attnc_schedule schedule() const {
    attnc_schedule s = {0, 0, 0, 0, 0};
    attnc_package_schedule(pkg, &s);
    return s;
  }

  /// Runs the CPU kernel synchronously (attnc_run_cpu).
  Status runCpu(const Tensor &q, const Tensor &k, const Tensor &v,
                const Tensor &o, const Tensor *lse = nullptr,
                const std::vector<Tensor> &params = {}) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    return Status::fromCode(attnc_run_cpu(pkg, &q.raw(), &k.raw(), &v.raw(),
                                          &o.raw(), lse ? &lse->raw() : nullptr,
                                          raw.empty() ? nullptr : raw.data(),
                                          static_cast<int>(raw.size())));
  }

  /// Runs the CPU kernel with the linear family's state (attnc_run_cpu_state).
  Status runCpu(const Tensor &q, const Tensor &k, const Tensor &v,
                const Tensor &o, const Tensor *lse,
                const std::vector<Tensor> &params,
                const LinearState &state) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    attnc_linear_state s = state.raw();
    return Status::fromCode(attnc_run_cpu_state(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &s));
  }

  /// Whether the CPU / CUDA kernel takes packed variable-length batches.
  bool hasRaggedCpu() const { return attnc_package_has_ragged_cpu(pkg) != 0; }
  bool hasRaggedCuda() const {
    return attnc_package_has_ragged_cuda(pkg) != 0;
  }

  /// A packed variable-length batch on the CPU (attnc_run_cpu_varlen,
  /// docs/runtime.md §3e): q [total_q, H, D], k, v [total_k, G, D(v)],
  /// o [total_q, H, Dv], lse [H, total_q], cu_seqlens int32 [B + 1] on the
  /// host.
  Status runCpuVarlen(const Tensor &q, const Tensor &k, const Tensor &v,
                      const Tensor &o, const Tensor *lse,
                      const std::vector<Tensor> &params,
                      const Tensor &cuSeqlensQ,
                      const Tensor &cuSeqlensK) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    attnc_varlen varlen = {&cuSeqlensQ.raw(), &cuSeqlensK.raw()};
    return Status::fromCode(attnc_run_cpu_varlen(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &varlen));
  }

  /// The same on CUDA (attnc_launch_cuda_varlen): tensors in device
  /// memory, the cu_seqlens on the host.
  Status launchCudaVarlen(const Tensor &q, const Tensor &k, const Tensor &v,
                          const Tensor &o, const Tensor *lse,
                          const std::vector<Tensor> &params,
                          const Tensor &cuSeqlensQ, const Tensor &cuSeqlensK,
                          void *stream = nullptr) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    attnc_varlen varlen = {&cuSeqlensQ.raw(), &cuSeqlensK.raw()};
    return Status::fromCode(attnc_launch_cuda_varlen(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &varlen, stream));
  }

  /// Keys and values in a paged cache on the CPU (attnc_run_cpu_paged,
  /// docs/runtime.md §3f): kPages, vPages pools of `layout`, blockTable
  /// int32 [B, max_pages] and kvLens int32 [B] on the host; q dense
  /// [B, H, Nq, D], or packed [total_q, H, D] when cuSeqlensQ is given.
  Status runCpuPaged(const Tensor &q, const Tensor &kPages,
                     const Tensor &vPages, const Tensor &o, const Tensor *lse,
                     const std::vector<Tensor> &params, attnc_page_layout layout,
                     const Tensor &blockTable, const Tensor &kvLens,
                     const Tensor *cuSeqlensQ = nullptr) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    attnc_paged_kv paged = {layout, &blockTable.raw(), &kvLens.raw(),
                            cuSeqlensQ ? &cuSeqlensQ->raw() : nullptr};
    return Status::fromCode(attnc_run_cpu_paged(
        pkg, &q.raw(), &kPages.raw(), &vPages.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &paged));
  }

  /// The same on CUDA (attnc_launch_cuda_paged): q, the pools, o, lse and
  /// params in device memory, the tables on the host.
  Status launchCudaPaged(const Tensor &q, const Tensor &kPages,
                         const Tensor &vPages, const Tensor &o,
                         const Tensor *lse, const std::vector<Tensor> &params,
                         attnc_page_layout layout, const Tensor &blockTable,
                         const Tensor &kvLens,
                         const Tensor *cuSeqlensQ = nullptr,
                         void *stream = nullptr) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    attnc_paged_kv paged = {layout, &blockTable.raw(), &kvLens.raw(),
                            cuSeqlensQ ? &cuSeqlensQ->raw() : nullptr};
    return Status::fromCode(attnc_launch_cuda_paged(
        pkg, &q.raw(), &kPages.raw(), &vPages.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &paged, stream));
  }

  /// Whether the package has a CPU backward (attnc compile --backward).
  bool hasCpuBackward() const {
    return attnc_package_has_cpu_backward(pkg) != 0;
  }
  /// Whether the backward writes the gradient of parameter `index`.
  bool paramHasGrad(int index) const {
    return attnc_package_param_has_grad(pkg, index) != 0;
  }

  /// The backward on the CPU (attnc_run_cpu_backward): o and lse are the
  /// forward's; dq, dk, dv and the parameter gradients are written.
  /// `paramGrads` holds one tensor per parameter (a default Tensor() for
  /// those without a gradient), or is empty when none has one.
  Status runCpuBackward(const Tensor &q, const Tensor &k, const Tensor &v,
                        const Tensor &o, const Tensor *lse,
                        const std::vector<Tensor> &params, const Tensor &dout,
                        const Tensor &dq, const Tensor &dk, const Tensor &dv,
                        const std::vector<Tensor> &paramGrads = {}) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    std::vector<attnc_tensor> grads = rawParams(paramGrads);
    attnc_backward_tensors g = {&dout.raw(), &dq.raw(), &dk.raw(), &dv.raw(),
                                grads.empty() ? nullptr : grads.data()};
    return Status::fromCode(attnc_run_cpu_backward(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &g));
  }

  /// Whether the package has a CUDA backward.
  bool hasCudaBackward() const {
    return attnc_package_has_cuda_backward(pkg) != 0;
  }

  /// The backward on CUDA (attnc_launch_cuda_backward): runCpuBackward's
  /// tensors in device memory, enqueued on `stream`.
  Status launchCudaBackward(const Tensor &q, const Tensor &k, const Tensor &v,
                            const Tensor &o, const Tensor *lse,
                            const std::vector<Tensor> &params,
                            const Tensor &dout, const Tensor &dq,
                            const Tensor &dk, const Tensor &dv,
                            const std::vector<Tensor> &paramGrads = {},
                            void *stream = nullptr) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    std::vector<attnc_tensor> grads = rawParams(paramGrads);
    attnc_backward_tensors g = {&dout.raw(), &dq.raw(), &dk.raw(), &dv.raw(),
                                grads.empty() ? nullptr : grads.data()};
    return Status::fromCode(attnc_launch_cuda_backward(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &g, stream));
  }

  /// The CUDA backward over the forward's device mask
  /// (attnc_launch_cuda_backward_block_mask).
  Status launchCudaBackward(const Tensor &q, const Tensor &k, const Tensor &v,
                            const Tensor &o, const Tensor *lse,
                            const std::vector<Tensor> &params,
                            const Tensor &dout, const Tensor &dq,
                            const Tensor &dk, const Tensor &dv,
                            const std::vector<Tensor> &paramGrads,
                            const BlockMask &mask,
                            void *stream = nullptr) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    std::vector<attnc_tensor> grads = rawParams(paramGrads);
    attnc_backward_tensors g = {&dout.raw(), &dq.raw(), &dk.raw(), &dv.raw(),
                                grads.empty() ? nullptr : grads.data()};
    return Status::fromCode(attnc_launch_cuda_backward_block_mask(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &g, mask.get(), stream));
  }

  bool hasBlockMask() const { return attnc_package_has_block_mask(pkg) != 0; }

  /// Whether calls without a block mask build one first (the mask reads a
  /// param; attnc_package_auto_block_mask), and the switch for it.
  bool autoBlockMask() const { return attnc_package_auto_block_mask(pkg) != 0; }
  Status setAutoBlockMask(bool enabled) {
    return Status::fromCode(
        attnc_package_set_auto_block_mask(pkg, enabled ? 1 : 0));
  }

  /// Builds the block mask of a call (attnc_block_mask_build_cpu); on
  /// success `out` owns it.
  Status buildBlockMaskCpu(const Tensor &q, const Tensor &k, const Tensor &v,
                           const std::vector<Tensor> &params,
                           BlockMask &out) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    attnc_block_mask *m = nullptr;
    Status s = Status::fromCode(attnc_block_mask_build_cpu(
        pkg, &q.raw(), &k.raw(), &v.raw(), raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &m));
    if (s.ok)
      out = BlockMask(), out.mask = m;
    return s;
  }

  /// Runs the CPU kernel over the tiles of `mask`
  /// (attnc_run_cpu_block_mask).
  Status runCpu(const Tensor &q, const Tensor &k, const Tensor &v,
                const Tensor &o, const Tensor *lse,
                const std::vector<Tensor> &params,
                const BlockMask &mask) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    return Status::fromCode(attnc_run_cpu_block_mask(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), mask.get()));
  }

  /// The backward on the CPU over the tiles of `mask`, the forward's
  /// (attnc_run_cpu_backward_block_mask).
  Status runCpuBackward(const Tensor &q, const Tensor &k, const Tensor &v,
                        const Tensor &o, const Tensor *lse,
                        const std::vector<Tensor> &params, const Tensor &dout,
                        const Tensor &dq, const Tensor &dk, const Tensor &dv,
                        const std::vector<Tensor> &paramGrads,
                        const BlockMask &mask) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    std::vector<attnc_tensor> grads = rawParams(paramGrads);
    attnc_backward_tensors g = {&dout.raw(), &dq.raw(), &dk.raw(), &dv.raw(),
                                grads.empty() ? nullptr : grads.data()};
    return Status::fromCode(attnc_run_cpu_backward_block_mask(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &g, mask.get()));
  }

  /// Enqueues the CUDA kernel on `stream` (attnc_launch_cuda).
  Status launchCuda(const Tensor &q, const Tensor &k, const Tensor &v,
                    const Tensor &o, const Tensor *lse = nullptr,
                    const std::vector<Tensor> &params = {},
                    void *stream = nullptr) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    return Status::fromCode(attnc_launch_cuda(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), stream));
  }

  /// Enqueues the CUDA kernel with the linear family's state
  /// (attnc_launch_cuda_state).
  Status launchCuda(const Tensor &q, const Tensor &k, const Tensor &v,
                    const Tensor &o, const Tensor *lse,
                    const std::vector<Tensor> &params, const LinearState &state,
                    void *stream = nullptr) const {
    std::vector<attnc_tensor> raw = rawParams(params);
    attnc_linear_state s = state.raw();
    return Status::fromCode(attnc_launch_cuda_state(
        pkg, &q.raw(), &k.raw(), &v.raw(), &o.raw(),
        lse ? &lse->raw() : nullptr, raw.empty() ? nullptr : raw.data(),
        static_cast<int>(raw.size()), &s, stream));
  }

  /// Loads or compiles the CUDA module for `stream`'s context ahead of the
  /// first launch (attnc_prepare_cuda).
  Status prepareCuda(void *stream = nullptr) const {
    return Status::fromCode(attnc_prepare_cuda(pkg, stream));
  }

private:
  attnc_package *pkg = nullptr;

  static std::string str(const char *s) { return s ? s : ""; }

  static std::vector<attnc_tensor> rawParams(const std::vector<Tensor> &ps) {
    std::vector<attnc_tensor> raw;
    raw.reserve(ps.size());
    for (const Tensor &p : ps)
      raw.push_back(p.raw());
    return raw;
  }
};

/// Merges partial softmax results over disjoint key sets on the host
/// (attnc_merge_states_cpu): o = sum_i exp(lse_i - lse) o_i.
inline Status mergeStatesCpu(const std::vector<Tensor> &oParts,
                             const std::vector<Tensor> &lseParts,
                             const Tensor &o, const Tensor &lse) {
  if (oParts.size() != lseParts.size()) {
    Status s;
    s.ok = false;
    s.code = ATTNC_ERROR_INVALID_ARGUMENT;
    s.message = "oParts and lseParts differ in length";
    return s;
  }
  std::vector<attnc_tensor> os, ls;
  for (const Tensor &t : oParts)
    os.push_back(t.raw());
  for (const Tensor &t : lseParts)
    ls.push_back(t.raw());
  return Status::fromCode(attnc_merge_states_cpu(
      os.empty() ? nullptr : os.data(), ls.empty() ? nullptr : ls.data(),
      static_cast<int>(os.size()), &o.raw(), &lse.raw()));
}

} // namespace attnc

#endif // ATTNC_RUNTIME_HPP
