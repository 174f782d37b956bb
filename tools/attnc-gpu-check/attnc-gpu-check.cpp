//===- attnc-gpu-check.cpp - Run a test bundle on a CUDA device -----------===//
//
// The GPU half of the test suite, built without LLVM or MLIR so it runs on a
// machine that has a GPU but not attnc's build dependencies. A bundle (made
// by test/GPU/make_bundle.py where attnc is built) holds one directory per
// case: a compiled package, inputs and the reference executor's outputs as
// .npy, and case.txt naming them with a tolerance. For each case this tool
// copies the inputs to the device, launches the package's CUDA kernel
// through attnc_runtime and compares o (and lse) with the reference. With
// `layout bnhd` in case.txt, q, k, v and o are stored [B, N, H, D] in
// memory (the same logical [B, H, N, D] tensors, passed with strides). A
// linear-family case may also give an initial state (input state / z) and
// expect the final one (expect state / z), passed through
// attnc_launch_cuda_state. With `block_mask cuda` the runtime block mask is
// built on the device first (attnc_block_mask_build_cuda). A backward case
// (`input do`, with the forward's `input o` and `input lse`) launches
// attnc_launch_cuda_backward and compares dq, dk, dv and the parameters'
// gradients (`expect dq`, ..., `expect grad:NAME`). With `merge P` the
// keys are split into P ranges launched one by one and merged with
// attnc_merge_states_cuda (split-KV; the spec must not read key positions).
// With `kv_splits N` the package's own split-KV decode takes N splits (1:
// none). With `paged S` k and v go through a paged KV cache of S-key pages.
//
// Usage: attnc-gpu-check BUNDLE_DIR [CASE...]: every case of the bundle, or
// only the named ones (scripts/gpu_session.sh reruns each failed case in a
// process of its own, since a kernel fault poisons the primary context and
// every case after it).
//
// Exit codes: 0 all passed, 1 a case failed, 77 no CUDA device (ctest's
// SKIP_RETURN_CODE), 2 bad usage or bundle.
//
//===----------------------------------------------------------------------===//

#include "attnc/half.h"
#include "attnc/npy.h"
#include "attnc/runtime.h"
#include "tools/compare/Compare.h"
#include "tools/cuda-driver/CudaDriverApi.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// The driver calls of the harness (tools/cuda-driver): a machine without a
/// driver reports "skipped" instead of failing to start.
using Driver = attnc::CudaDriverApi;

struct Case {
  std::string dir, package;
  std::map<std::string, std::string> inputs, params, expect;
  double tolerance = 0;
  /// q, k, v, o stored [B, N, H, D] instead of contiguous [B, H, N, D].
  bool bnhd = false;
  /// `block_mask cuda`: build the runtime block mask on the device first
  /// (attnc_block_mask_build_cuda) and launch over it.
  bool blockMask = false;
  /// `merge P`: split the keys into P unequal ranges, launch the package on
  /// each (split-KV) and merge them with attnc_merge_states_cuda.
  int mergeParts = 0;
  /// `paged S`: k and v scattered into a pool of pages of S keys in
  /// reversed order (NHD), launched through attnc_launch_cuda_paged with
  /// dense queries (docs/runtime.md §3f).
  int pageSize = 0;
  /// `kv_splits N`: attnc_package_set_kv_splits before the forward (split-KV
  /// decode, docs/runtime.md §3g): 1 never splits; unset, the runtime's rule.
  int kvSplits = 0;
};

bool readCase(const std::string &dir, Case &c, std::string &error) {
  std::ifstream in(dir + "/case.txt");
  if (!in) {
    error = dir + "/case.txt: cannot open";
    return false;
  }
  c.dir = dir;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, a, b;
    words >> key >> a >> b;
    if (key.empty() || key[0] == '#')
      continue;
    if (key == "package")
      c.package = dir + "/" + a;
    else if (key == "input")
      c.inputs[a] = dir + "/" + b;
    else if (key == "param")
      c.params[a] = dir + "/" + b;
    else if (key == "expect")
      c.expect[a] = dir + "/" + b;
    else if (key == "tolerance")
      c.tolerance = std::atof(a.c_str());
    else if (key == "layout" && (a == "bhnd" || a == "bnhd"))
      c.bnhd = a == "bnhd";
    else if (key == "block_mask" && a == "cuda")
      c.blockMask = true;
    else if (key == "merge" && std::atoi(a.c_str()) >= 1)
      c.mergeParts = std::atoi(a.c_str());
    else if (key == "kv_splits" && std::atoi(a.c_str()) >= 1)
      c.kvSplits = std::atoi(a.c_str());
    else if (key == "paged" && std::atoi(a.c_str()) >= 1)
      c.pageSize = std::atoi(a.c_str());
    else {
      error = dir + "/case.txt: unknown key '" + key + "'";
      return false;
    }
  }
  const bool backward = c.inputs.count("do") > 0;
  if (c.package.empty() || !c.inputs.count("q") || !c.inputs.count("k") ||
      !c.inputs.count("v") || c.tolerance <= 0 ||
      (backward ? !c.inputs.count("o") || !c.expect.count("dq") ||
                      !c.expect.count("dk") || !c.expect.count("dv")
                : !c.expect.count("o"))) {
    error = dir + "/case.txt: needs package, inputs q k v, tolerance, and "
                  "expect o (forward) or inputs o do and expect dq dk dv "
                  "(backward)";
    return false;
  }
  for (const auto &[name, file] : c.inputs)
    if (name != "q" && name != "k" && name != "v" && name != "state" &&
        name != "z" && name != "o" && name != "lse" && name != "do") {
      error = dir + "/case.txt: unknown input '" + name + "'";
      return false;
    }
  return true;
}

/// Device buffer holding a tensor converted to `dtype`.
struct DeviceTensor {
  unsigned long long ptr = 0;
  size_t bytes = 0;
  attnc_tensor view{};
};

/// The element offset of each element of `v`, in row-major order of its
/// logical shape.
std::vector<size_t> elementOffsets(const attnc_tensor &v) {
  std::vector<size_t> out(1, 0);
  for (int d = 0; d < v.rank; ++d) {
    std::vector<size_t> next;
    next.reserve(out.size() * static_cast<size_t>(v.shape[d]));
    for (size_t base : out)
      for (long long i = 0; i < v.shape[d]; ++i)
        next.push_back(base + static_cast<size_t>(i * v.strides[d]));
    out.swap(next);
  }
  return out;
}

/// Uploads `array` as `dtype`; a rank-4 array is stored [B, N, H, D] in
/// memory when `bnhd` (its view keeps the logical shape, with strides).
std::string upload(Driver &cu, const attnc::NpyArray &array, attnc_dtype dtype,
                   DeviceTensor &out, bool bnhd = false) {
  std::vector<double> values = array.toDoubles();
  size_t elem = (dtype == ATTNC_F16 || dtype == ATTNC_BF16) ? 2 : 4;
  out.view.dtype = dtype;
  out.view.rank = static_cast<int>(array.shape.size());
  long long stride = 1;
  for (int i = out.view.rank - 1; i >= 0; --i) {
    out.view.shape[i] = array.shape[i];
    out.view.strides[i] = stride;
    stride *= array.shape[i];
  }
  if (bnhd && out.view.rank == 4) {
    const long long *n = out.view.shape; // B, H, N, D
    out.view.strides[0] = n[2] * n[1] * n[3];
    out.view.strides[1] = n[3];
    out.view.strides[2] = n[1] * n[3];
    out.view.strides[3] = 1;
  }
  const std::vector<size_t> offsets = elementOffsets(out.view);
  std::vector<uint8_t> host(values.size() * elem);
  for (size_t v = 0; v < values.size(); ++v) {
    const size_t i = offsets[v];
    float f = static_cast<float>(values[v]);
    if (dtype == ATTNC_F16) {
      uint16_t h = attnc::floatToHalf(f);
      std::memcpy(&host[2 * i], &h, 2);
    } else if (dtype == ATTNC_BF16) {
      uint16_t h = attnc::floatToBf16(f);
      std::memcpy(&host[2 * i], &h, 2);
    } else if (dtype == ATTNC_I32) {
      int32_t x = static_cast<int32_t>(values[v]);
      std::memcpy(&host[4 * i], &x, 4);
    } else {
      std::memcpy(&host[4 * i], &f, 4);
    }
  }
  out.bytes = std::max<size_t>(host.size(), 16);
  if (cu.memAlloc(&out.ptr, out.bytes))
    return "cuMemAlloc failed";
  if (!host.empty() && cu.htod(out.ptr, host.data(), host.size()))
    return "cuMemcpyHtoD failed";
  out.view.data = reinterpret_cast<void *>(out.ptr);
  return "";
}

std::vector<double> download(Driver &cu, const DeviceTensor &t, size_t n) {
  size_t elem = (t.view.dtype == ATTNC_F16 || t.view.dtype == ATTNC_BF16) ? 2 : 4;
  std::vector<uint8_t> host(n * elem);
  cu.sync();
  cu.dtoh(host.data(), t.ptr, host.size());
  std::vector<double> out(n);
  const std::vector<size_t> offsets = elementOffsets(t.view);
  for (size_t v = 0; v < n; ++v) {
    const size_t i = offsets[v];
    uint16_t h;
    float f;
    if (elem == 2) {
      std::memcpy(&h, &host[2 * i], 2);
      out[v] = t.view.dtype == ATTNC_F16 ? attnc::halfToFloat(h)
                                         : attnc::bf16ToFloat(h);
    } else {
      std::memcpy(&f, &host[4 * i], 4);
      out[v] = f;
    }
  }
  return out;
}

/// `block_mask cuda`: the package's block mask for q, k, v and params built
/// on the device (attnc_block_mask_build_cuda) into `mask`, and the note a
/// case's result line carries; an error message, or empty.
std::string buildDeviceMask(attnc_package *pkg, const attnc_tensor &q,
                            const attnc_tensor &k, const attnc_tensor &v,
                            const std::vector<attnc_tensor> &params,
                            attnc_block_mask *&mask, std::string &note) {
  if (attnc_block_mask_build_cuda(pkg, &q, &k, &v,
                                  params.empty() ? nullptr : params.data(),
                                  static_cast<int>(params.size()), nullptr,
                                  &mask))
    return std::string("block mask: ") + attnc_last_error();
  attnc_block_mask_info info{};
  attnc_block_mask_get_info(mask, &info);
  note = ", block mask " + std::to_string(info.nnz) + " of " +
         std::to_string(info.static_tiles) + " tiles";
  return "";
}

/// Runs one backward case: the forward's q, k, v, params, o and lse and
/// dO in, attnc_launch_cuda_backward, dq, dk, dv and the parameters'
/// gradients compared with the reference backward's.
std::string runBackwardCase(Driver &cu, const Case &c) {
  attnc_package *pkg = nullptr;
  if (attnc_package_open(c.package.c_str(), &pkg))
    return std::string("open: ") + attnc_last_error();
  attnc_dtype dtype = attnc_package_dtype(pkg);
  std::deque<DeviceTensor> owned;
  std::string error;
  // Uploads `array` (read from `path` unless given) as `as`.
  auto upload1 = [&](const std::string &path, attnc_dtype as,
                     attnc::NpyArray &array, bool zero) -> DeviceTensor * {
    if (!path.empty() && !attnc::readNpy(path, array, error)) {
      error = path + ": " + error;
      return nullptr;
    }
    if (zero)
      std::fill(array.bytes.begin(), array.bytes.end(), 0);
    owned.emplace_back();
    error = upload(cu, array, as, owned.back(), false);
    return error.empty() ? &owned.back() : nullptr;
  };
  attnc::NpyArray q, k, v, o, lse, dO, want[3];
  DeviceTensor *tq, *tk, *tv, *to, *tlse = nullptr, *tdo, *grads[3];
  if (!(tq = upload1(c.inputs.at("q"), dtype, q, false)) ||
      !(tk = upload1(c.inputs.at("k"), dtype, k, false)) ||
      !(tv = upload1(c.inputs.at("v"), dtype, v, false)) ||
      !(to = upload1(c.inputs.at("o"), dtype, o, false)) ||
      !(tdo = upload1(c.inputs.at("do"), dtype, dO, false)) ||
      (c.inputs.count("lse") &&
       !(tlse = upload1(c.inputs.at("lse"), ATTNC_F32, lse, false))))
    return error;
  const char *const names[3] = {"dq", "dk", "dv"};
  for (int i = 0; i < 3; ++i) {
    if (!attnc::readNpy(c.expect.at(names[i]), want[i], error))
      return c.expect.at(names[i]) + ": " + error;
    attnc::NpyArray zeros = want[i];
    if (!(grads[i] = upload1("", dtype, zeros, true)))
      return error;
  }
  // Parameters, and a float32 gradient (zeros) for those that have one.
  std::vector<attnc_tensor> params, paramGrads;
  std::vector<std::pair<std::string, std::pair<DeviceTensor *, attnc::NpyArray>>>
      paramWant;
  for (int i = 0; i < attnc_package_num_params(pkg); ++i) {
    attnc_param_info info{};
    attnc_package_param(pkg, i, &info);
    auto it = c.params.find(info.name);
    if (it == c.params.end())
      return std::string("case lacks param '") + info.name + "'";
    attnc::NpyArray array;
    DeviceTensor *t = upload1(it->second, info.dtype, array, false);
    if (!t)
      return error;
    params.push_back(t->view);
    attnc_tensor none{};
    if (!attnc_package_param_has_grad(pkg, i)) {
      paramGrads.push_back(none);
      continue;
    }
    auto w = c.expect.find(std::string("grad:") + info.name);
    if (w == c.expect.end())
      return std::string("case lacks 'expect grad:") + info.name + "'";
    attnc::NpyArray expected;
    if (!attnc::readNpy(w->second, expected, error))
      return w->second + ": " + error;
    attnc::NpyArray zeros = expected;
    DeviceTensor *g = upload1("", ATTNC_F32, zeros, true);
    if (!g)
      return error;
    paramGrads.push_back(g->view);
    paramWant.push_back({info.name, {g, expected}});
  }
  attnc_backward_tensors bt = {&tdo->view, &grads[0]->view, &grads[1]->view,
                               &grads[2]->view,
                               paramGrads.empty() ? nullptr : paramGrads.data()};
  // `block_mask cuda`: the forward's mask built on the device and passed
  // to the backward (attnc_launch_cuda_backward_block_mask).
  std::string maskNote;
  if (c.blockMask) {
    attnc_block_mask *mask = nullptr;
    if (std::string e = buildDeviceMask(pkg, tq->view, tk->view, tv->view,
                                        params, mask, maskNote);
        !e.empty())
      return e;
    const int status = attnc_launch_cuda_backward_block_mask(
        pkg, &tq->view, &tk->view, &tv->view, &to->view,
        tlse ? &tlse->view : nullptr, params.empty() ? nullptr : params.data(),
        static_cast<int>(params.size()), &bt, mask, nullptr);
    attnc_block_mask_free(mask);
    if (status)
      return std::string("launch: ") + attnc_last_error();
  } else if (attnc_launch_cuda_backward(
                 pkg, &tq->view, &tk->view, &tv->view, &to->view,
                 tlse ? &tlse->view : nullptr,
                 params.empty() ? nullptr : params.data(),
                 static_cast<int>(params.size()), &bt, nullptr)) {
    return std::string("launch: ") + attnc_last_error();
  }
  std::vector<attnc::compare::TensorComparison> results;
  for (int i = 0; i < 3; ++i)
    results.push_back(attnc::compare::compareTensor(
        names[i],
        download(cu, *grads[i], static_cast<size_t>(want[i].numElements())),
        want[i].toDoubles(), want[i].shape, c.tolerance));
  for (auto &[name, pw] : paramWant)
    results.push_back(attnc::compare::compareTensor(
        "grad " + name,
        download(cu, *pw.first, static_cast<size_t>(pw.second.numElements())),
        pw.second.toDoubles(), pw.second.shape, c.tolerance));
  std::string summary, why;
  char buf[120];
  for (const attnc::compare::TensorComparison &r : results) {
    std::snprintf(buf, sizeof buf, "%s%s error %.3g", summary.empty() ? "" : ", ",
                  r.name.c_str(), r.maxError);
    summary += buf;
    if (!r.ok() && why.empty())
      why = "; " + attnc::compare::describeFailure(r);
  }
  for (DeviceTensor &t : owned)
    cu.memFree(t.ptr);
  attnc_package_close(pkg);
  summary += maskNote;
  std::snprintf(buf, sizeof buf, ", tolerance %.3g", c.tolerance);
  summary += buf;
  return why.empty() ? "ok: " + summary : "FAIL: " + summary + why;
}

/// A [B, G, Nk, D] array as a pool [B * pages, S, G, D] (NHD) whose pages
/// are laid out in reversed order, and the block table [B, pages] that
/// finds them (docs/runtime.md §3f).
attnc::NpyArray pagePool(const attnc::NpyArray &x, long long S,
                         std::vector<int> &table) {
  const long long B = x.shape[0], G = x.shape[1], Nk = x.shape[2],
                  D = x.shape[3], per = (Nk + S - 1) / S, P = B * per;
  const std::vector<double> in = x.toDoubles();
  std::vector<float> pool(static_cast<size_t>(P * S * G * D), 0.0f);
  table.assign(static_cast<size_t>(B * per), 0);
  for (long long b = 0; b < B; ++b)
    for (long long j = 0; j < per; ++j)
      table[b * per + j] = static_cast<int>(P - 1 - (b * per + j));
  for (long long b = 0; b < B; ++b)
    for (long long g = 0; g < G; ++g)
      for (long long t = 0; t < Nk; ++t) {
        const long long page = table[b * per + t / S], slot = t % S;
        for (long long d = 0; d < D; ++d)
          pool[((page * S + slot) * G + g) * D + d] =
              static_cast<float>(in[((b * G + g) * Nk + t) * D + d]);
      }
  return attnc::makeF32({P, S, G, D}, pool);
}

/// Runs one case; returns "" on pass, else the reason.
std::string runCase(Driver &cu, const Case &c) {
  if (c.inputs.count("do"))
    return runBackwardCase(cu, c);
  attnc_package *pkg = nullptr;
  if (attnc_package_open(c.package.c_str(), &pkg))
    return std::string("open: ") + attnc_last_error();
  if (c.kvSplits)
    attnc_package_set_kv_splits(pkg, c.kvSplits);
  attnc_dtype dtype = attnc_package_dtype(pkg);
  // A deque: dq, dk and dv below must stay valid while params are added.
  std::deque<DeviceTensor> owned;
  auto load = [&](const std::string &path, attnc_dtype as,
                  attnc::NpyArray &array, bool bnhd) -> std::string {
    std::string error;
    if (!attnc::readNpy(path, array, error))
      return path + ": " + error;
    owned.emplace_back();
    return upload(cu, array, as, owned.back(), bnhd);
  };
  attnc::NpyArray q, k, v, o, lse, expectO, expectLse;
  std::string error;
  if (!(error = load(c.inputs.at("q"), dtype, q, c.bnhd)).empty() ||
      !(error = load(c.inputs.at("k"), dtype, k, c.bnhd)).empty() ||
      !(error = load(c.inputs.at("v"), dtype, v, c.bnhd)).empty())
    return error;
  DeviceTensor &dq = owned[0], &dk = owned[1], &dv = owned[2];
  if (!attnc::readNpy(c.expect.at("o"), expectO, error))
    return error;
  bool hasLse = c.expect.count("lse") > 0;
  if (hasLse && !attnc::readNpy(c.expect.at("lse"), expectLse, error))
    return error;
  // Outputs start as NaN-free garbage-free zeros of the right shape.
  attnc::NpyArray zerosO = expectO, zerosLse = expectLse;
  std::fill(zerosO.bytes.begin(), zerosO.bytes.end(), 0);
  std::fill(zerosLse.bytes.begin(), zerosLse.bytes.end(), 0);
  DeviceTensor dout, dlse;
  if (!(error = upload(cu, zerosO, dtype, dout, c.bnhd)).empty())
    return error;
  if (hasLse && !(error = upload(cu, zerosLse, ATTNC_F32, dlse)).empty())
    return error;
  // The linear family's state: initial S and z in, final S and z out (zeros
  // before the launch), float32.
  attnc::NpyArray stateIn[2], stateWant[2];
  DeviceTensor stateOut[2];
  const char *const stateNames[2] = {"state", "z"};
  const attnc_tensor *stateViews[4] = {nullptr, nullptr, nullptr, nullptr};
  bool hasState = false;
  for (int i = 0; i < 2; ++i) {
    if (c.inputs.count(stateNames[i])) {
      if (!(error = load(c.inputs.at(stateNames[i]), ATTNC_F32, stateIn[i], false))
               .empty())
        return error;
      stateViews[2 * i] = &owned.back().view;
      hasState = true;
    }
    if (c.expect.count(stateNames[i])) {
      if (!attnc::readNpy(c.expect.at(stateNames[i]), stateWant[i], error))
        return error;
      attnc::NpyArray zeros = stateWant[i];
      std::fill(zeros.bytes.begin(), zeros.bytes.end(), 0);
      if (!(error = upload(cu, zeros, ATTNC_F32, stateOut[i])).empty())
        return error;
      stateViews[2 * i + 1] = &stateOut[i].view;
      hasState = true;
    }
  }
  std::vector<attnc_tensor> params;
  for (int i = 0; i < attnc_package_num_params(pkg); ++i) {
    attnc_param_info info{};
    attnc_package_param(pkg, i, &info);
    auto it = c.params.find(info.name);
    if (it == c.params.end())
      return std::string("case lacks param '") + info.name + "'";
    attnc::NpyArray array;
    if (!(error = load(it->second, info.dtype, array, false)).empty())
      return error;
    params.push_back(owned.back().view);
  }
  std::string maskNote;
  const attnc_linear_state state = {stateViews[0], stateViews[1],
                                    stateViews[2], stateViews[3]};
  if (c.mergeParts > 0) {
    // Split-KV by hand: keys [lo, hi) of each part (lengths 1, 2, 3, ...
    // times a unit, the last taking the rest), each launched alone into its
    // own o and lse, then merged into dout and dlse.
    const long long Nk = dk.view.shape[2];
    const int P = c.mergeParts;
    if (Nk < P || !hasLse)
      return "merge needs at least one key per part and a softmax package";
    std::vector<DeviceTensor> partO(P), partLse(P);
    std::vector<attnc_tensor> oViews, lseViews;
    const long long unit = std::max(1LL, 2 * Nk / (P * (P + 1)));
    long long lo = 0;
    for (int i = 0; i < P; ++i) {
      const long long hi = i == P - 1 ? Nk : std::min(Nk - (P - 1 - i), lo + unit * (i + 1));
      attnc_tensor kp = dk.view, vp = dv.view;
      const size_t elem = dtype == ATTNC_F32 ? 4 : 2;
      kp.data = static_cast<char *>(kp.data) + lo * kp.strides[2] * elem;
      vp.data = static_cast<char *>(vp.data) + lo * vp.strides[2] * elem;
      kp.shape[2] = vp.shape[2] = hi - lo;
      if (!(error = upload(cu, zerosO, dtype, partO[i], c.bnhd)).empty() ||
          !(error = upload(cu, zerosLse, ATTNC_F32, partLse[i])).empty())
        return error;
      if (attnc_launch_cuda(pkg, &dq.view, &kp, &vp, &partO[i].view,
                            &partLse[i].view,
                            params.empty() ? nullptr : params.data(),
                            static_cast<int>(params.size()), nullptr))
        return std::string("launch of part ") + std::to_string(i) + ": " +
               attnc_last_error();
      oViews.push_back(partO[i].view);
      lseViews.push_back(partLse[i].view);
      lo = hi;
    }
    if (attnc_merge_states_cuda(pkg, oViews.data(), lseViews.data(), P,
                                &dout.view, &dlse.view, nullptr))
      return std::string("merge: ") + attnc_last_error();
    for (int i = 0; i < P; ++i) {
      cu.sync();
      cu.memFree(partO[i].ptr);
      cu.memFree(partLse[i].ptr);
    }
    maskNote = ", merged from " + std::to_string(P) + " key ranges";
  } else if (c.pageSize > 0) {
    // The same keys through a paged cache: pools in device memory, the
    // block table and kv_lens on the host (the runtime copies them).
    std::vector<int> table, tableV;
    DeviceTensor pk, pv;
    if (!(error = upload(cu, pagePool(k, c.pageSize, table), dtype, pk))
             .empty() ||
        !(error = upload(cu, pagePool(v, c.pageSize, tableV), dtype, pv))
             .empty())
      return error;
    const long long B = k.shape[0], per = static_cast<long long>(table.size()) / B;
    std::vector<int> lens(static_cast<size_t>(B), static_cast<int>(k.shape[2]));
    attnc_tensor tt{}, tl{};
    tt.data = table.data();
    tt.dtype = ATTNC_I32;
    tt.rank = 2;
    tt.shape[0] = B;
    tt.shape[1] = per;
    tt.strides[0] = per;
    tt.strides[1] = 1;
    tl.data = lens.data();
    tl.dtype = ATTNC_I32;
    tl.rank = 1;
    tl.shape[0] = B;
    tl.strides[0] = 1;
    const attnc_paged_kv paged = {ATTNC_PAGES_NHD, &tt, &tl, nullptr};
    int status = attnc_launch_cuda_paged(
        pkg, &dq.view, &pk.view, &pv.view, &dout.view,
        hasLse ? &dlse.view : nullptr, params.empty() ? nullptr : params.data(),
        static_cast<int>(params.size()), &paged, nullptr);
    cu.sync();
    cu.memFree(pk.ptr);
    cu.memFree(pv.ptr);
    if (status)
      return std::string("paged launch: ") + attnc_last_error();
    maskNote = ", paged (" + std::to_string(c.pageSize) + "-key pages)";
  } else if (c.blockMask) {
    attnc_block_mask *mask = nullptr;
    if (std::string e = buildDeviceMask(pkg, dq.view, dk.view, dv.view, params,
                                        mask, maskNote);
        !e.empty())
      return e;
    int status = attnc_launch_cuda_block_mask(
        pkg, &dq.view, &dk.view, &dv.view, &dout.view,
        hasLse ? &dlse.view : nullptr, params.empty() ? nullptr : params.data(),
        static_cast<int>(params.size()), mask, nullptr);
    attnc_block_mask_free(mask);
    if (status)
      return std::string("launch: ") + attnc_last_error();
  } else if (hasState
                 ? attnc_launch_cuda_state(
                       pkg, &dq.view, &dk.view, &dv.view, &dout.view, nullptr,
                       params.empty() ? nullptr : params.data(),
                       static_cast<int>(params.size()), &state, nullptr)
                 : attnc_launch_cuda(pkg, &dq.view, &dk.view, &dv.view,
                                     &dout.view, hasLse ? &dlse.view : nullptr,
                                     params.empty() ? nullptr : params.data(),
                                     static_cast<int>(params.size()),
                                     nullptr)) {
    return std::string("launch: ") + attnc_last_error();
  }
  // The shared comparator (tools/compare): the same non-finite values in
  // the same places pass; the first failure is named with its index.
  std::vector<attnc::compare::TensorComparison> results;
  results.push_back(attnc::compare::compareTensor(
      "o", download(cu, dout, static_cast<size_t>(expectO.numElements())),
      expectO.toDoubles(), expectO.shape, c.tolerance));
  if (hasLse)
    results.push_back(attnc::compare::compareTensor(
        "lse",
        download(cu, dlse, static_cast<size_t>(expectLse.numElements())),
        expectLse.toDoubles(), expectLse.shape, c.tolerance));
  double errState = 0;
  for (int i = 0; i < 2; ++i)
    if (stateOut[i].ptr) {
      results.push_back(attnc::compare::compareTensor(
          stateNames[i],
          download(cu, stateOut[i],
                   static_cast<size_t>(stateWant[i].numElements())),
          stateWant[i].toDoubles(), stateWant[i].shape, c.tolerance));
      errState = std::max(errState, results.back().maxError);
      cu.memFree(stateOut[i].ptr);
    }
  const double errO = results[0].maxError;
  const double errLse = hasLse ? results[1].maxError : 0;
  std::string why;
  for (const attnc::compare::TensorComparison &r : results)
    if (!r.ok() && why.empty())
      why = "; " + attnc::compare::describeFailure(r);
  for (DeviceTensor &t : owned)
    cu.memFree(t.ptr);
  cu.memFree(dout.ptr);
  if (hasLse)
    cu.memFree(dlse.ptr);
  attnc_package_close(pkg);
  char buf[200];
  std::snprintf(buf, sizeof buf,
                "o error %.3g, lse error %.3g, state error %.3g, tolerance "
                "%.3g",
                errO, errLse, errState, c.tolerance);
  if (!why.empty())
    return std::string("FAIL: ") + buf + why + maskNote;
  return std::string("ok: ") + buf + maskNote;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: attnc-gpu-check BUNDLE_DIR [CASE...]\n");
    return 2;
  }
  std::string bundle = argv[1];
  std::vector<std::string> cases;
  for (int i = 2; i < argc; ++i) {
    if (!std::ifstream(bundle + "/" + argv[i] + "/case.txt")) {
      std::fprintf(stderr, "attnc-gpu-check: no case '%s' in '%s'\n", argv[i],
                   bundle.c_str());
      return 2;
    }
    cases.push_back(argv[i]);
  }
  if (argc == 2) {
    if (DIR *d = opendir(bundle.c_str())) {
      while (dirent *e = readdir(d)) {
        std::string name = e->d_name;
        if (name[0] != '.' && std::ifstream(bundle + "/" + name + "/case.txt"))
          cases.push_back(name);
      }
      closedir(d);
    }
  }
  if (cases.empty()) {
    std::fprintf(stderr, "attnc-gpu-check: no cases in '%s'\n", bundle.c_str());
    return 2;
  }
  std::sort(cases.begin(), cases.end());
  Driver cu;
  if (std::string why = cu.load(); !why.empty()) {
    std::printf("SKIP: %zu GPU cases not run: %s\n", cases.size(), why.c_str());
    return 77;
  }
  int failed = 0;
  for (const std::string &name : cases) {
    Case c;
    std::string error;
    std::string verdict = readCase(bundle + "/" + name, c, error)
                              ? runCase(cu, c)
                              : "FAIL: " + error;
    bool ok = verdict.rfind("ok:", 0) == 0;
    failed += !ok;
    std::printf("%s %s: %s\n", ok ? "PASS" : "FAIL", name.c_str(),
                verdict.c_str());
    // Each verdict as it comes: a run cut off by a time limit keeps them.
    std::fflush(stdout);
  }
  std::printf("gpu: %zu passed, %d failed\n", cases.size() - failed, failed);
  return failed ? 1 : 0;
}
