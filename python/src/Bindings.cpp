//===- Bindings.cpp - nanobind module over the attnc runtime C API --------===//
//
// This file implements attnc._attnc, the extension module of the Python
// package: a Package class over attnc_package (manifest queries, the CPU and
// CUDA forward with lse and the linear state, packed and paged batches,
// the CPU and CUDA backward).
// Tensors arrive as nanobind ndarrays, so numpy arrays, torch tensors and any
// DLPack producer are read in place with their strides; nothing is copied or
// allocated here (the Python layer allocates the outputs). Links the static
// runtime only: no LLVM, no MLIR. See docs/python.md.
//
//===----------------------------------------------------------------------===//

#include "attnc/runtime.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>
#include <vector>

namespace nb = nanobind;

namespace {

/// The exception class every runtime failure raises (attnc.RuntimeError_,
/// defined in Python and handed in by _set_error_type).
nb::object &errorType() {
  static nb::object *type = new nb::object();
  return *type;
}

/// Raises the Python exception for a failed runtime call. Reads
/// attnc_last_error on the thread that made the call.
[[noreturn]] void raise(int status) {
  std::string message = attnc_last_error();
  std::string name = attnc_status_name(status);
  if (!errorType().is_valid())
    throw std::runtime_error(name + ": " + message);
  nb::object error = errorType()(message, status, name);
  PyErr_SetObject(errorType().ptr(), error.ptr());
  throw nb::python_error();
}

[[noreturn]] void raiseValue(const std::string &message) {
  throw nb::value_error(message.c_str());
}

using In = nb::ndarray<nb::ro>;
using Out = nb::ndarray<>;

enum class Where { Cpu, Cuda };

/// The attnc_tensor of one array: its data, dtype, shape and element
/// strides. `raw16` is the dtype 16-bit unsigned integers stand for (the
/// package's f16 or bf16, for numpy arrays of bf16 bits); ATTNC_F32 when
/// uint16 is not accepted.
template <typename Array>
attnc_tensor describe(const Array &a, const char *what, Where where,
                      attnc_dtype raw16) {
  attnc_tensor t{};
  int device = a.device_type();
  bool onCuda = device == nb::device::cuda::value ||
                device == nb::device::cuda_managed::value;
  bool onHost = device == nb::device::cpu::value ||
                device == nb::device::cuda_host::value;
  if (where == Where::Cpu && !onHost)
    raiseValue(std::string("'") + what +
               "' is not in host memory (the CPU kernel reads host memory)");
  if (where == Where::Cuda && !onCuda)
    raiseValue(std::string("'") + what +
               "' is not in CUDA device memory (the CUDA kernel reads "
               "device memory)");
  if (a.ndim() < 1 || a.ndim() > 4)
    raiseValue(std::string("'") + what + "' must have 1 to 4 dimensions, got " +
               std::to_string(a.ndim()));
  nb::dlpack::dtype d = a.dtype();
  using Code = nb::dlpack::dtype_code;
  if (d.lanes != 1)
    raiseValue(std::string("'") + what + "' has a vector dtype");
  if (d.code == uint8_t(Code::Float) && d.bits == 32)
    t.dtype = ATTNC_F32;
  else if (d.code == uint8_t(Code::Float) && d.bits == 16)
    t.dtype = ATTNC_F16;
  else if (d.code == uint8_t(Code::Bfloat) && d.bits == 16)
    t.dtype = ATTNC_BF16;
  else if (d.code == uint8_t(Code::Int) && d.bits == 32)
    t.dtype = ATTNC_I32;
  else if (d.code == uint8_t(Code::UInt) && d.bits == 16 &&
           (raw16 == ATTNC_F16 || raw16 == ATTNC_BF16))
    t.dtype = raw16;
  else
    raiseValue(std::string("'") + what +
               "' has an unsupported dtype (code " + std::to_string(d.code) +
               ", " + std::to_string(d.bits) +
               " bits); attnc takes float32, float16, bfloat16 and int32");
  t.data = const_cast<void *>(static_cast<const void *>(a.data()));
  t.rank = int(a.ndim());
  for (size_t i = 0; i < a.ndim(); ++i) {
    t.shape[i] = (long long)a.shape(i);
    t.strides[i] = (long long)a.stride(i);
  }
  return t;
}

/// Optional tensors: a descriptor or null.
template <typename Array>
const attnc_tensor *describeOpt(const std::optional<Array> &a,
                                attnc_tensor &storage, const char *what,
                                Where where) {
  if (!a)
    return nullptr;
  storage = describe(*a, what, where, ATTNC_F32);
  return &storage;
}

/// The tensors every forward passes: q, k, v, o, lse (or null) and the
/// params, described for `where` (q, k, v and o in the package dtype).
struct ForwardTensors {
  attnc_tensor q, k, v, o, lseStorage;
  const attnc_tensor *lse = nullptr;
  std::vector<attnc_tensor> params;

  ForwardTensors(attnc_package *p, const In &qa, const In &ka, const In &va,
                 const Out &oa, const std::optional<Out> &lsea,
                 const std::vector<In> &paramsa, Where where) {
    attnc_dtype raw = attnc_package_dtype(p);
    q = describe(qa, "q", where, raw);
    k = describe(ka, "k", where, raw);
    v = describe(va, "v", where, raw);
    o = describe(oa, "o", where, raw);
    lse = describeOpt(lsea, lseStorage, "lse", where);
    for (const In &a : paramsa)
      params.push_back(describe(a, "param", where, ATTNC_F32));
  }
  const attnc_tensor *paramData() const {
    return params.empty() ? nullptr : params.data();
  }
  int paramCount() const { return int(params.size()); }
};

class Package {
public:
  explicit Package(const std::string &dir) {
    if (int status = attnc_package_open(dir.c_str(), &pkg))
      raise(status);
  }
  ~Package() { attnc_package_close(pkg); }
  Package(const Package &) = delete;
  Package &operator=(const Package &) = delete;

  void close() {
    attnc_package_close(pkg);
    pkg = nullptr;
  }

  attnc_package *get() const {
    if (!pkg)
      raiseValue("the package is closed");
    return pkg;
  }

  nb::list params() const {
    nb::list out;
    int n = attnc_package_num_params(get());
    for (int i = 0; i < n; ++i) {
      attnc_param_info info{};
      if (int status = attnc_package_param(pkg, i, &info))
        raise(status);
      out.append(nb::make_tuple(std::string(info.name),
                                std::string(attnc_dtype_name(info.dtype)),
                                std::string(info.dims),
                                attnc_package_param_has_grad(pkg, i) == 1));
    }
    return out;
  }

  nb::dict schedule() const {
    attnc_schedule s{};
    if (int status = attnc_package_schedule(get(), &s))
      raise(status);
    nb::dict d;
    d["block_q"] = s.block_q;
    d["block_k"] = s.block_k;
    d["warps"] = s.warps;
    d["stages"] = s.stages;
    d["chunk"] = s.chunk;
    return d;
  }

  /// The forward: o (and lse, and the final state) written in place.
  void forward(const In &q, const In &k, const In &v, const Out &o,
               const std::optional<Out> &lse, const std::vector<In> &params,
               const std::optional<In> &stateIn,
               const std::optional<Out> &stateOut,
               const std::optional<In> &zIn, const std::optional<Out> &zOut,
               bool cuda, uintptr_t stream) {
    attnc_package *p = get();
    Where where = cuda ? Where::Cuda : Where::Cpu;
    ForwardTensors t(p, q, k, v, o, lse, params, where);
    attnc_tensor tsi, tso, tzi, tzo;
    attnc_linear_state state{describeOpt(stateIn, tsi, "state", where),
                             describeOpt(stateOut, tso, "final state", where),
                             describeOpt(zIn, tzi, "z", where),
                             describeOpt(zOut, tzo, "final z", where)};
    bool anyState = state.state_in || state.state_out || state.z_in ||
                    state.z_out;
    int status;
    {
      nb::gil_scoped_release release;
      if (cuda)
        status = attnc_launch_cuda_state(
            p, &t.q, &t.k, &t.v, &t.o, t.lse, t.paramData(), t.paramCount(),
            anyState ? &state : nullptr, reinterpret_cast<void *>(stream));
      else
        status = attnc_run_cpu_state(p, &t.q, &t.k, &t.v, &t.o, t.lse,
                                     t.paramData(), t.paramCount(),
                                     anyState ? &state : nullptr);
    }
    if (status)
      raise(status);
  }

  /// A packed (docs/runtime.md §3e) or paged (§3f) forward, o and lse
  /// written in place: with `blockTable` and `kvLens`, k and v are page
  /// pools of `layout` (0 NHD, 1 HND) and `cuQ` optionally packs the
  /// queries; without, `cuQ` and `cuK` pack q, k and v. The tables are
  /// int32 host arrays (also for CUDA calls: the runtime checks and copies
  /// them).
  void forwardRagged(const In &q, const In &k, const In &v, const Out &o,
                     const std::optional<Out> &lse,
                     const std::vector<In> &params,
                     const std::optional<In> &cuQ,
                     const std::optional<In> &cuK,
                     const std::optional<In> &blockTable,
                     const std::optional<In> &kvLens, int layout, bool cuda,
                     uintptr_t stream) {
    attnc_package *p = get();
    Where where = cuda ? Where::Cuda : Where::Cpu;
    ForwardTensors t(p, q, k, v, o, lse, params, where);
    attnc_tensor tcq, tck, ttable, tlens;
    const attnc_tensor *pcq = describeOpt(cuQ, tcq, "cu_seqlens_q", Where::Cpu);
    const attnc_tensor *pck = describeOpt(cuK, tck, "cu_seqlens_k", Where::Cpu);
    const attnc_tensor *ptable =
        describeOpt(blockTable, ttable, "block_table", Where::Cpu);
    const attnc_tensor *plens = describeOpt(kvLens, tlens, "kv_lens", Where::Cpu);
    attnc_varlen varlen{pcq, pck};
    attnc_paged_kv paged{static_cast<attnc_page_layout>(layout), ptable, plens,
                         pcq};
    int status;
    {
      nb::gil_scoped_release release;
      const attnc_tensor *tp = t.paramData();
      const int np = t.paramCount();
      void *st = reinterpret_cast<void *>(stream);
      if (ptable)
        status = cuda ? attnc_launch_cuda_paged(p, &t.q, &t.k, &t.v, &t.o,
                                                t.lse, tp, np, &paged, st)
                      : attnc_run_cpu_paged(p, &t.q, &t.k, &t.v, &t.o, t.lse,
                                            tp, np, &paged);
      else
        status = cuda ? attnc_launch_cuda_varlen(p, &t.q, &t.k, &t.v, &t.o,
                                                 t.lse, tp, np, &varlen, st)
                      : attnc_run_cpu_varlen(p, &t.q, &t.k, &t.v, &t.o, t.lse,
                                             tp, np, &varlen);
    }
    if (status)
      raise(status);
  }

  /// attnc_package_set_kv_splits (split-KV decode, docs/runtime.md §3g).
  void setKvSplits(int splits) {
    if (int status = attnc_package_set_kv_splits(get(), splits))
      raise(status);
  }

  /// The backward: dq, dk, dv and the parameters' gradients written in
  /// place. `paramGrads` holds one array or None per parameter.
  void backward(const In &q, const In &k, const In &v, const In &o,
                const std::optional<In> &lse, const std::vector<In> &params,
                const In &dout, const Out &dq, const Out &dk, const Out &dv,
                const std::vector<std::optional<Out>> &paramGrads, bool cuda,
                uintptr_t stream) {
    attnc_package *p = get();
    Where where = cuda ? Where::Cuda : Where::Cpu;
    attnc_dtype raw = attnc_package_dtype(p);
    attnc_tensor tq = describe(q, "q", where, raw);
    attnc_tensor tk = describe(k, "k", where, raw);
    attnc_tensor tv = describe(v, "v", where, raw);
    attnc_tensor to = describe(o, "o", where, raw);
    attnc_tensor tlse;
    const attnc_tensor *plse = describeOpt(lse, tlse, "lse", where);
    std::vector<attnc_tensor> tparams;
    for (const In &a : params)
      tparams.push_back(describe(a, "param", where, ATTNC_F32));
    attnc_tensor tdo = describe(dout, "dout", where, raw);
    attnc_tensor tdq = describe(dq, "dq", where, raw);
    attnc_tensor tdk = describe(dk, "dk", where, raw);
    attnc_tensor tdv = describe(dv, "dv", where, raw);
    if (paramGrads.size() != params.size())
      raiseValue("expected one parameter gradient (or None) per parameter");
    std::vector<attnc_tensor> tgrads(params.size());
    bool anyGrad = false;
    for (size_t i = 0; i < paramGrads.size(); ++i)
      if (paramGrads[i]) {
        tgrads[i] = describe(*paramGrads[i], "param gradient", where,
                             ATTNC_F32);
        anyGrad = true;
      }
    attnc_backward_tensors grads{&tdo, &tdq, &tdk, &tdv,
                                 anyGrad ? tgrads.data() : nullptr};
    int status;
    {
      nb::gil_scoped_release release;
      const attnc_tensor *tp = tparams.empty() ? nullptr : tparams.data();
      int np = int(tparams.size());
      if (cuda)
        status = attnc_launch_cuda_backward(p, &tq, &tk, &tv, &to, plse, tp,
                                            np, &grads,
                                            reinterpret_cast<void *>(stream));
      else
        status = attnc_run_cpu_backward(p, &tq, &tk, &tv, &to, plse, tp, np,
                                        &grads);
    }
    if (status)
      raise(status);
  }

private:
  attnc_package *pkg = nullptr;
};

} // namespace

NB_MODULE(_attnc, m) {
  m.doc() = "attnc runtime bindings (no compiler inside; see attnc.compile)";
  // Kernels captured by torch.library registrations (attnc/_torch.py) live
  // until the interpreter exits, after nanobind's leak check.
  nb::set_leak_warnings(false);
  m.def("_set_error_type", [](nb::object type) { errorType() = type; });
  m.def("runtime_version", [] { return std::string(attnc_runtime_version()); });
  m.def("abi_version", [] { return attnc_abi_version(); });
  m.def("last_error", [] { return std::string(attnc_last_error()); });

  nb::class_<Package>(m, "Package")
      .def(nb::init<const std::string &>(), nb::arg("dir"))
      .def("close", &Package::close)
      .def_prop_ro("dir", [](const Package &p) {
        return std::string(attnc_package_dir(p.get()));
      })
      .def_prop_ro("name", [](const Package &p) {
        return std::string(attnc_package_name(p.get()));
      })
      .def_prop_ro("family", [](const Package &p) {
        return std::string(attnc_package_family(p.get()));
      })
      .def_prop_ro("normalize", [](const Package &p) {
        return std::string(attnc_package_normalize(p.get()));
      })
      .def_prop_ro("spec_hash", [](const Package &p) {
        return std::string(attnc_package_spec_hash(p.get()));
      })
      .def_prop_ro("attnc_version", [](const Package &p) {
        return std::string(attnc_package_attnc_version(p.get()));
      })
      .def_prop_ro("dtype", [](const Package &p) {
        return std::string(attnc_dtype_name(attnc_package_dtype(p.get())));
      })
      .def_prop_ro("heads", [](const Package &p) {
        return attnc_package_heads(p.get());
      })
      .def_prop_ro("kv_heads", [](const Package &p) {
        return attnc_package_kv_heads(p.get());
      })
      .def_prop_ro("head_dim", [](const Package &p) {
        return attnc_package_head_dim(p.get());
      })
      .def_prop_ro("value_dim", [](const Package &p) {
        return attnc_package_value_dim(p.get());
      })
      .def_prop_ro("feature_dim", [](const Package &p) {
        return attnc_package_feature_dim(p.get());
      })
      .def_prop_ro("has_lse", [](const Package &p) {
        return attnc_package_has_lse(p.get()) == 1;
      })
      .def_prop_ro("has_state", [](const Package &p) {
        return attnc_package_has_state(p.get()) == 1;
      })
      .def_prop_ro("has_cpu", [](const Package &p) {
        return attnc_package_has_cpu(p.get()) == 1;
      })
      .def_prop_ro("has_cuda", [](const Package &p) {
        return attnc_package_has_cuda(p.get()) == 1;
      })
      .def_prop_ro("has_cpu_backward", [](const Package &p) {
        return attnc_package_has_cpu_backward(p.get()) == 1;
      })
      .def_prop_ro("has_cuda_backward", [](const Package &p) {
        return attnc_package_has_cuda_backward(p.get()) == 1;
      })
      .def_prop_ro("params", &Package::params)
      .def_prop_ro("schedule", &Package::schedule)
      .def("forward", &Package::forward, nb::arg("q"), nb::arg("k"),
           nb::arg("v"), nb::arg("o"), nb::arg("lse").none(),
           nb::arg("params"), nb::arg("state_in").none(),
           nb::arg("state_out").none(), nb::arg("z_in").none(),
           nb::arg("z_out").none(), nb::arg("cuda"), nb::arg("stream"))
      .def("forward_ragged", &Package::forwardRagged, nb::arg("q"),
           nb::arg("k"), nb::arg("v"), nb::arg("o"), nb::arg("lse").none(),
           nb::arg("params"), nb::arg("cu_seqlens_q").none(),
           nb::arg("cu_seqlens_k").none(), nb::arg("block_table").none(),
           nb::arg("kv_lens").none(), nb::arg("layout"), nb::arg("cuda"),
           nb::arg("stream"))
      .def("set_kv_splits", &Package::setKvSplits, nb::arg("splits"))
      .def_prop_ro("has_ragged", [](const Package &p) {
        return attnc_package_has_ragged_cpu(p.get()) == 1 ||
               attnc_package_has_ragged_cuda(p.get()) == 1;
      })
      .def("backward", &Package::backward, nb::arg("q"), nb::arg("k"),
           nb::arg("v"), nb::arg("o"), nb::arg("lse").none(),
           nb::arg("params"), nb::arg("dout"), nb::arg("dq"), nb::arg("dk"),
           nb::arg("dv"), nb::arg("param_grads"), nb::arg("cuda"),
           nb::arg("stream"));
}
