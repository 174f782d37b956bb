//===- Inputs.cpp - Tensors for `attnc run` -------------------------------===//
//
// This file implements tensor loading, random inputs, dtype rounding and
// output writing for the attnc driver.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/Inputs.h"

#include "dialect/AttnOps.h"
#include "tools/attnc/OutOfMemory.h"

#include "attnc/half.h"
#include "attnc/npy.h"

#include <cstring>
#include <algorithm>
#include <random>

using namespace mlir;

namespace attnc {
namespace {

ArrayAttr paramsOf(Operation *op) {
  if (auto a = dyn_cast<attn::AttentionOp>(op))
    return a.getParams();
  return cast<attn::LinearAttentionOp>(op).getParams();
}

attn::Dtype dtypeOf(Operation *op) {
  if (auto a = dyn_cast<attn::AttentionOp>(op))
    return a.getDtype();
  return cast<attn::LinearAttentionOp>(op).getDtype();
}

reference::Tensor toTensor(const NpyArray &array) {
  return {array.shape, array.toDoubles()};
}

} // namespace

std::string loadInputs(Operation *op,
                       const std::vector<std::string> &assignments,
                       reference::Inputs &inputs,
                       reference::Tensor *outputGradient) {
  std::set<std::string> seen;
  for (const std::string &assignment : assignments) {
    size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == assignment.size())
      return "--input '" + assignment + "': expected NAME=FILE.npy";
    std::string name = assignment.substr(0, eq);
    std::string path = assignment.substr(eq + 1);
    if (!seen.insert(name).second)
      return "input '" + name + "' is given twice";
    attn::ParamAttr param;
    for (auto p : paramsOf(op).getAsRange<attn::ParamAttr>())
      if (p.getName() == name)
        param = p;
    bool isTensor = name == "q" || name == "k" || name == "v";
    // dO, the gradient of o, for a backward run.
    bool isOutputGradient = outputGradient && name == "do" && !param;
    // The linear family's initial state; reference::checkInputs decides
    // whether the spec has one.
    bool isState = name == "state" || name == "z";
    if (!isTensor && !isState && !isOutputGradient && !param)
      return "input '" + name + "' (" + path + "): not q, k, v" +
             (reference::hasNormalizerState(op) ? ", state, z"
              : reference::hasState(op)         ? ", state"
                                                : "") +
             " or a parameter of this spec";

    NpyArray array;
    std::string error;
    if (!readNpy(path, array, error))
      return "input '" + name + "' (" + path + "): " + error;
    auto dtypeError = [&](const char *want) {
      return "input '" + name + "' (" + path + "): expected " + want +
             ", got " + npyDtypeName(array.dtype);
    };
    if (isOutputGradient) {
      if (array.dtype != NpyDtype::F32)
        return dtypeError("float32");
      *outputGradient = toTensor(array);
    } else if (isTensor) {
      if (array.dtype != NpyDtype::F32 && array.dtype != NpyDtype::F16)
        return dtypeError("float32 or float16");
      reference::Tensor &t =
          name == "q" ? inputs.q : name == "k" ? inputs.k : inputs.v;
      t = toTensor(array);
    } else if (isState) {
      if (array.dtype != NpyDtype::F32)
        return dtypeError("float32 (the state is float32)");
      (name == "state" ? inputs.state : inputs.z) = toTensor(array);
    } else {
      bool isInt = param.getElementType().isInteger(32);
      if (isInt && array.dtype != NpyDtype::I32)
        return dtypeError("int32 (the parameter is i32)");
      if (!isInt && array.dtype != NpyDtype::F32)
        return dtypeError("float32 (the parameter is f32)");
      inputs.params[name] = {array.shape, array.toDoubles()};
    }
  }
  for (const char *name : {"q", "k", "v"})
    if (!seen.count(name))
      return std::string("input '") + name + "': missing (give --input " +
             name + "=FILE.npy)";
  return "";
}

reference::Tensor randomOutputGradient(const reference::Problem &p,
                                       uint64_t seed) {
  reference::Tensor dO{{p.batch, p.heads, p.queries, p.valueDim}, {}};
  dO.data.resize(p.batch * p.heads * p.queries * p.valueDim);
  // A stream of its own: the inputs stay those of the same --seed without
  // --backward.
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ull);
  std::normal_distribution<double> normal;
  for (double &x : dO.data)
    x = float(normal(rng)); // what a float32 dO.npy would hold
  return dO;
}

std::string makeRandomInputs(Operation *op, const std::string &shape,
                             uint64_t seed, bool randomState,
                             reference::Inputs &inputs, int meanSegment) {
  std::vector<int64_t> sizes;
  size_t start = 0;
  while (start <= shape.size()) {
    size_t comma = shape.find(',', start);
    std::string part = shape.substr(start, comma == std::string::npos
                                               ? std::string::npos
                                               : comma - start);
    char *end = nullptr;
    long long value = std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || value <= 0 || value > (1 << 24))
      return "--random '" + shape +
             "': expected B,Nq[,Nk] with positive integers";
    sizes.push_back(value);
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (sizes.size() < 2 || sizes.size() > 3)
    return "--random '" + shape + "': expected B,Nq[,Nk]";
  int64_t B = sizes[0], Nq = sizes[1], Nk = sizes.size() == 3 ? sizes[2] : Nq;

  int64_t H, G, D, Dv;
  if (auto a = dyn_cast<attn::AttentionOp>(op)) {
    H = a.getHeads(), G = a.getKvHeads(), D = a.getHeadDim(),
    Dv = a.getValueDim();
  } else {
    auto l = cast<attn::LinearAttentionOp>(op);
    H = l.getHeads(), G = l.getKvHeads(), D = l.getHeadDim(),
    Dv = l.getValueDim();
  }
  // The product can overflow int64 (B and N up to 2^24, H up to 2^16, D up
  // to 2^12), so compare in floating point.
  const double kMaxElements = double(int64_t(1) << 31);
  if (double(B) * double(H) * double(std::max(Nq, Nk)) *
          double(std::max(D, Dv)) >
      kMaxElements)
    return "--random '" + shape + "': inputs would exceed 2^31 elements";

  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto fill = [&](reference::Tensor &t, const char *name,
                  std::vector<int64_t> dims) {
    t.shape = dims;
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    AllocationNote note(std::string("input '") + name + "'", dims,
                        sizeof(double), "double");
    t.data.resize(n);
    for (double &x : t.data)
      x = normal(rng);
  };
  fill(inputs.q, "q", {B, H, Nq, D});
  fill(inputs.k, "k", {B, G, Nk, D});
  fill(inputs.v, "v", {B, G, Nk, Dv});

  std::uniform_real_distribution<double> unit(0.05, 1.0);
  std::uniform_int_distribution<int> small(0, 3), newSegment(0, std::max(meanSegment, 1) - 1);
  for (auto p : paramsOf(op).getAsRange<attn::ParamAttr>()) {
    reference::ParamValues values;
    double elements = 1;
    for (const attnc::rt::ParamDim &d : attn::paramDims(p)) {
      values.shape.push_back(attnc::rt::paramDimExtent(d, B, H, Nk, D));
      elements *= double(values.shape.back());
    }
    if (elements > kMaxElements)
      return "--random '" + shape + "': parameter '" + p.getName().str() +
             "' would exceed 2^31 elements";
    int64_t n = 1;
    for (int64_t d : values.shape)
      n *= d;
    AllocationNote note("parameter '" + p.getName().str() + "'", values.shape,
                        sizeof(double), "double");
    values.values.resize(n);
    // The first n dimension (its index among the dimensions, not in the
    // dims text, which spells fixed extents as [N]).
    std::vector<attnc::rt::ParamDim> dims = attn::paramDims(p);
    size_t nAxis = StringRef::npos;
    for (size_t i = 0; i < dims.size() && nAxis == StringRef::npos; ++i)
      if (dims[i].kind == 'n')
        nAxis = i;
    bool segments = p.getElementType().isInteger(32) && nAxis != StringRef::npos;
    if (segments) {
      // Sorted ids along n: each row of the param is a packed sequence of
      // documents, a new one starting at each position with probability
      // 1 / meanSegment (1: every document has length 1). Stride of n is the product of the dims after it.
      int64_t stride = 1;
      for (size_t i = nAxis + 1; i < values.shape.size(); ++i)
        stride *= values.shape[i];
      for (int64_t flat = 0; flat < n; ++flat) {
        int64_t pos = (flat / stride) % Nk;
        double prev = pos == 0 ? 0 : values.values[flat - stride];
        values.values[flat] = prev + (pos > 0 && newSegment(rng) == 0);
      }
    } else {
      for (double &x : values.values)
        x = p.getElementType().isInteger(32) ? small(rng) : unit(rng);
    }
    inputs.params[p.getName()] = std::move(values);
  }

  if (!randomState)
    return "";
  if (!reference::hasState(op))
    return isa<attn::AttentionOp>(op)
               ? "--random-state: a softmax-family spec has no recurrent state"
               : "--random-state: a bidirectional spec has no recurrent state";
  // Drawn after q, k, v and the parameters, so that those stay the same
  // with and without --random-state.
  const int64_t F = cast<attn::LinearAttentionOp>(op).getFeatureDim();
  if (double(B) * double(H) * double(F) * double(Dv) > kMaxElements)
    return "--random '" + shape + "': the state would exceed 2^31 elements";
  reference::Tensor state;
  fill(state, "state", {B, H, F, Dv});
  inputs.state = std::move(state);
  if (reference::hasNormalizerState(op)) {
    // A normalizer as positive features leave it: phi(q).z stays away from 0.
    std::uniform_real_distribution<double> positive(0.5, 1.5);
    reference::Tensor z{{B, H, F}, std::vector<double>(B * H * F)};
    for (double &x : z.data)
      x = positive(rng);
    inputs.z = std::move(z);
  }
  return "";
}

void roundToStorageDtype(Operation *op, reference::Inputs &inputs) {
  attn::Dtype dtype = dtypeOf(op);
  for (reference::Tensor *t : {&inputs.q, &inputs.k, &inputs.v})
    for (double &x : t->data) {
      float f = static_cast<float>(x);
      x = dtype == attn::Dtype::f16    ? roundToHalf(f)
          : dtype == attn::Dtype::bf16 ? roundToBf16(f)
                                       : f;
    }
  // The state is float32 whatever the dtype.
  for (std::optional<reference::Tensor> *t : {&inputs.state, &inputs.z})
    if (*t)
      for (double &x : (*t)->data)
        x = static_cast<float>(x);
}

std::string saveInputs(Operation *op, const reference::Inputs &inputs,
                       const std::string &dir) {
  for (auto [name, t] : {std::pair<const char *, const reference::Tensor *>{
                             "q", &inputs.q},
                         {"k", &inputs.k},
                         {"v", &inputs.v}})
    if (std::string e = writeTensor(dir + "/" + name + ".npy", *t); !e.empty())
      return e;
  for (auto [name, t] :
       {std::pair<const char *, const std::optional<reference::Tensor> *>{
            "state", &inputs.state},
        {"z", &inputs.z}})
    if (*t)
      if (std::string e = writeTensor(dir + "/" + name + ".npy", **t);
          !e.empty())
        return e;
  for (auto p : paramsOf(op).getAsRange<attn::ParamAttr>()) {
    const reference::ParamValues &values = inputs.params.find(p.getName())->second;
    NpyArray array;
    array.shape = values.shape;
    std::string error, path = dir + "/" + p.getName().str() + ".npy";
    if (p.getElementType().isInteger(32)) {
      array.dtype = NpyDtype::I32;
      array.bytes.resize(values.values.size() * 4);
      for (size_t i = 0; i < values.values.size(); ++i) {
        int32_t x = static_cast<int32_t>(values.values[i]);
        std::memcpy(&array.bytes[4 * i], &x, 4);
      }
    } else {
      std::vector<float> f(values.values.begin(), values.values.end());
      array = makeF32(values.shape, f);
    }
    if (!writeNpy(path, array, error))
      return path + ": " + error;
  }
  return "";
}

std::string writeTensor(const std::string &path, const reference::Tensor &t) {
  std::vector<float> values(t.data.begin(), t.data.end());
  std::string error;
  if (!writeNpy(path, makeF32(t.shape, values), error))
    return path + ": " + error;
  return "";
}

} // namespace attnc
