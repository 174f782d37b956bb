//===- RuntimeFuzzer.cpp - libFuzzer targets for the runtime's inputs -----===//
//
// This file implements three libFuzzer targets, one per build (the macro
// ATTNC_FUZZ_TARGET picks it), over what the runtime reads from outside:
//
// - manifest: arbitrary bytes to parseManifest. An accepted manifest must
//   keep the invariants the loaders rely on (kv_heads divides heads, at most
//   ATTNC_MAX_PARAMS params, entry names with the attnc_ prefix), its own
//   signature must match it, and the bytes as a kernel signature must be
//   compared without crashing.
// - npy: arbitrary bytes to parseNpy. An accepted array's bytes must hold
//   exactly its elements, and converting it must not read past them.
// - args: tensor descriptors built from the bytes (rank, dtype, shapes,
//   strides, pointers, nulls) checked against fixed manifests of both
//   families for the CPU and CUDA targets. Pointers are never dereferenced
//   by the checks, so any value is fair; an accepted call must have
//   positive sizes that match the manifest.
//
// Messages must be one printable line. Any crash, sanitizer report or
// broken invariant (abort) is a bug.
//
//===----------------------------------------------------------------------===//

#include "ArgCheck.h"
#include "Manifest.h"
#include "Signature.h"

#include "attnc/kernel_abi.h"
#include "attnc/npy.h"

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

using namespace attnc::rt;

#define ATTNC_FUZZ_STR2(x) #x
#define ATTNC_FUZZ_STR(x) ATTNC_FUZZ_STR2(x)
#define ATTNC_FUZZ_ABI ATTNC_FUZZ_STR(ATTNC_ABI_VERSION)

namespace {

void checkMessage(const std::string &message) {
  if (message.empty())
    std::abort();
  for (char c : message)
    if (!std::isprint(static_cast<unsigned char>(c)) && c != '\n')
      std::abort();
}

[[maybe_unused]] void fuzzManifest(const uint8_t *data, size_t size) {
  std::string_view text(reinterpret_cast<const char *>(data), size);
  Manifest m;
  Error e = parseManifest(text, m);
  if (e.failed()) {
    if (e.code != ATTNC_ERROR_MANIFEST)
      std::abort();
    checkMessage(e.message);
    return;
  }
  if (m.heads < 1 || m.kvHeads < 1 || m.heads % m.kvHeads != 0 ||
      m.params.size() > ATTNC_MAX_PARAMS || (!m.cpu && !m.cuda))
    std::abort();
  if (m.cpu && m.cpu->entry.compare(0, 6, "attnc_") != 0)
    std::abort();
  if (m.cuda && m.cuda->kernel.compare(0, 6, "attnc_") != 0)
    std::abort();
  for (SignatureTarget t : {SignatureTarget::Cpu, SignatureTarget::Cuda}) {
    if (checkSignature(m, t, expectedSignature(m, t), "k").failed())
      std::abort();
    Error s = checkSignature(m, t, text, "k");
    if (s.failed())
      checkMessage(s.message);
  }
}

[[maybe_unused]] void fuzzNpy(const uint8_t *data, size_t size) {
  attnc::NpyArray array;
  std::string error;
  if (!attnc::parseNpy(data, size, array, error)) {
    checkMessage(error);
    return;
  }
  const int64_t n = array.numElements();
  if (n < 0)
    std::abort();
  const size_t elem = array.dtype == attnc::NpyDtype::F16   ? 2
                      : array.dtype == attnc::NpyDtype::F32 ? 4
                      : array.dtype == attnc::NpyDtype::I32 ? 4
                                                            : 8;
  if (array.bytes.size() != static_cast<size_t>(n) * elem)
    std::abort();
  if (array.toDoubles().size() != static_cast<size_t>(n))
    std::abort();
}

/// Reads fixed-size values from the fuzz input, zeros past its end.
class Reader {
public:
  Reader(const uint8_t *data, size_t size) : data(data), size(size) {}
  template <typename T> T get() {
    T value{};
    unsigned char bytes[sizeof(T)] = {};
    for (size_t i = 0; i < sizeof(T) && pos < size; ++i)
      bytes[i] = data[pos++];
    std::memcpy(&value, bytes, sizeof(T));
    return value;
  }

private:
  const uint8_t *data;
  size_t size;
  size_t pos = 0;
};

const Manifest &fixedManifest(int which) {
  static Manifest manifests[2];
  static bool ready = false;
  if (!ready) {
    const char *texts[2] = {
        R"({"format": 1, "abi_version": )" ATTNC_FUZZ_ABI
        R"(, "attnc_version": "0", "spec_hash": "0000000000000000", "name": "s",
        "family": "softmax", "dtype": "bf16", "heads": 4, "kv_heads": 2,
        "head_dim": 16, "value_dim": 8, "normalize": "softmax",
        "has_lse": true, "has_state": false,
        "params": [{"name": "doc", "dtype": "i32", "dims": "bn"},
                   {"name": "w", "dtype": "f32", "dims": "h"}],
        "schedule": {"block_q": 16, "block_k": 16, "warps": 4, "stages": 2,
                     "chunk": 0},
        "cpu": {"library": "l.so", "entry": "attnc_s_cpu"}})",
        R"({"format": 1, "abi_version": )" ATTNC_FUZZ_ABI
        R"(, "attnc_version": "0", "spec_hash": "0000000000000000", "name": "l",
        "family": "linear", "dtype": "f32", "heads": 2, "kv_heads": 1,
        "head_dim": 4, "value_dim": 3, "normalize": "sum", "has_lse": false,
        "feature_dim": 6, "has_state": true, "params": [],
        "schedule": {"block_q": 0, "block_k": 0, "warps": 0, "stages": 0,
                     "chunk": 16},
        "cpu": {"library": "l.so", "entry": "attnc_l_cpu"}})"};
    for (int i = 0; i < 2; ++i)
      if (parseManifest(texts[i], manifests[i]).failed())
        std::abort();
    ready = true;
  }
  return manifests[which];
}

[[maybe_unused]] void fuzzArgs(const uint8_t *data, size_t size) {
  Reader r(data, size);
  const uint8_t flags = r.get<uint8_t>();
  const Manifest &m = fixedManifest(flags & 1);
  const Target target = flags & 2 ? Target::Cuda : Target::Cpu;
  // q, k, v, o, lse, two params, state_in, state_out, z_in, z_out.
  attnc_tensor tensors[11];
  bool present[11];
  const uint16_t nulls = r.get<uint16_t>();
  for (int i = 0; i < 11; ++i) {
    attnc_tensor &t = tensors[i];
    present[i] = !(nulls & (1u << i));
    t.data = reinterpret_cast<void *>(r.get<uint64_t>());
    t.dtype = static_cast<attnc_dtype>(r.get<int8_t>());
    t.rank = r.get<int8_t>();
    for (int d = 0; d < 4; ++d) {
      // Small sizes most of the time, so that checks past the shape run.
      const int64_t raw = r.get<int64_t>();
      t.shape[d] = (flags & 4) ? raw : raw % 64;
      t.strides[d] = r.get<int64_t>();
    }
  }
  const int numParams = r.get<int8_t>();
  auto at = [&](int i) { return present[i] ? &tensors[i] : nullptr; };
  attnc_linear_state state = {at(7), at(8), at(9), at(10)};
  CallTensors call;
  call.q = at(0);
  call.k = at(1);
  call.v = at(2);
  call.o = at(3);
  call.lse = at(4);
  call.params = present[5] ? &tensors[5] : nullptr;
  call.numParams = numParams;
  call.state = (flags & 8) ? &state : nullptr;
  call.noOutput = flags & 16;
  AttncKernelArgs args;
  std::vector<CudaLaunch::Pointer> pointers;
  Error e = checkArguments(m, call, target, args,
                           target == Target::Cuda ? &pointers : nullptr);
  if (e.failed()) {
    checkMessage(e.message);
    return;
  }
  if (args.batch < 1 || args.q_len < 1 || args.kv_len < 1)
    std::abort();
  if (call.q->shape[1] != m.heads || call.q->shape[3] != m.headDim)
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
#if ATTNC_FUZZ_TARGET == 0
  fuzzManifest(data, size);
#elif ATTNC_FUZZ_TARGET == 1
  fuzzNpy(data, size);
#else
  fuzzArgs(data, size);
#endif
  return 0;
}
