//===- RuntimeTest.cpp - tests for attnc_runtime --------------------------===//
//
// This file implements unit tests for the runtime library: the JSON parser
// (valid input, one test per error, nesting and size limits, every prefix of
// a manifest, a deterministic mutation loop), one test per manifest rule, one
// per argument-checking rule, package loading errors, an end-to-end CPU run
// of a fixture kernel (Inputs/NaiveAttentionCpu.cpp) against an independent
// double-precision computation, the C++ wrapper, and the CUDA path: without a
// driver, and against a fake libcuda (Inputs/FakeCudaDriver.cpp) that records
// what a launch would do, with real NVRTC compiles where NVRTC is installed.
//
//===----------------------------------------------------------------------===//

#include "ArgCheck.h"
#include "CudaLoader.h"
#include "Json.h"
#include "Manifest.h"
#include "Signature.h"

#include "Inputs/FakeCudaDriver.h"

#include "attnc/runtime.h"
#include "attnc/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <dlfcn.h>
#include <stdlib.h>

#ifndef ATTNC_TEST_CPU_KERNEL
#error "define ATTNC_TEST_CPU_KERNEL as the path of the fixture kernel module"
#endif
#ifndef ATTNC_TEST_FAKE_CUDA
#error "define ATTNC_TEST_FAKE_CUDA as the path of the fake driver module"
#endif
#ifndef ATTNC_TEST_KERNEL_ABI_H
#error "define ATTNC_TEST_KERNEL_ABI_H as the path of attnc/kernel_abi.h"
#endif

using namespace attnc::rt;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
public:
  TempDir() {
    std::string base = fs::temp_directory_path() / "attnc-runtime-XXXXXX";
    std::vector<char> buf(base.begin(), base.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()))
      path = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty())
      fs::remove_all(path, ec);
  }
  std::string path;
};

void writeFile(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string readText(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string pointerString(const void *p) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%p", p);
  return buf;
}

bool startsWith(const std::string &s, const std::string &prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// An ordered JSON object whose values are raw JSON text, for building
/// manifests with one field changed.
class JsonObject {
public:
  JsonObject &set(const std::string &key, const std::string &raw) {
    for (auto &f : fields)
      if (f.first == key) {
        f.second = raw;
        return *this;
      }
    fields.emplace_back(key, raw);
    return *this;
  }
  std::string get(const std::string &key) const {
    for (const auto &f : fields)
      if (f.first == key)
        return f.second;
    return "";
  }
  JsonObject &erase(const std::string &key) {
    for (size_t i = 0; i < fields.size(); ++i)
      if (fields[i].first == key) {
        fields.erase(fields.begin() + i);
        break;
      }
    return *this;
  }
  std::string str() const {
    std::string s = "{";
    for (size_t i = 0; i < fields.size(); ++i)
      s += (i ? ", \"" : "\"") + fields[i].first + "\": " + fields[i].second;
    return s + "}";
  }

private:
  std::vector<std::pair<std::string, std::string>> fields;
};

constexpr const char *kCpuSection =
    R"({"source": "naive.cpu.cpp", "library": "libnaive.cpu.so", )"
    R"("entry": "attnc_naive_cpu"})";

JsonObject cudaSection() {
  return JsonObject()
      .set("source", "\"naive.cu\"")
      .set("header", "\"naive.h\"")
      .set("kernel", "\"attnc_fake_fwd\"")
      .set("block_threads", "128")
      .set("shared_bytes", "40960")
      .set("archs", R"(["sm_80", "sm_90"])")
      .set("cubins", R"({"sm_80": "naive.sm_80.cubin", )"
                     R"("sm_90": "naive.sm_90.cubin"})");
}

/// The CUDA section of a linear-family package: its grid is (value tiles,
/// H, B).
JsonObject linearCudaSection() {
  return cudaSection().set("grid", "\"value_tiles\"").set("value_tiles", "1");
}

/// The fixture package's manifest: f32, H=4, G=2, D=16, Dv=8, one i32
/// [b, n] param, CPU code only.
JsonObject baseManifest() {
  return JsonObject()
      .set("format", "1")
      .set("abi_version", std::to_string(ATTNC_ABI_VERSION))
      .set("attnc_version", "\"0.1.0\"")
      .set("spec_hash", "\"9f2c0a1b3d4e5f60\"")
      .set("name", "\"naive\"")
      .set("family", "\"softmax\"")
      .set("dtype", "\"f32\"")
      .set("heads", "4")
      .set("kv_heads", "2")
      .set("head_dim", "16")
      .set("value_dim", "8")
      .set("normalize", "\"softmax\"")
      .set("has_lse", "true")
      .set("has_state", "false")
      .set("params", R"([{"name": "doc", "dtype": "i32", "dims": "bn"}])")
      .set("schedule", R"({"block_q": 16, "block_k": 16, "warps": 4, )"
                       R"("stages": 2, "chunk": 0})")
      .set("cpu", kCpuSection);
}

/// Writes `signature` over the fixture's placeholder for `entry` in the
/// library file at `path` (NaiveAttentionCpu.cpp); false if the library has
/// no placeholder for it or the signature does not fit.
bool stampSignature(const std::string &path, const std::string &entry,
                    const std::string &signature) {
  std::string bytes = readText(path);
  const std::string marker = "@@attnc-fixture-signature:" + entry + "@@";
  size_t at = bytes.find(marker);
  if (at == std::string::npos || signature.size() >= 512)
    return false;
  std::string stamped = signature;
  stamped.resize(512, '\0');
  bytes.replace(at, 512, stamped);
  writeFile(path, bytes);
  return true;
}

/// Writes a package: the manifest, the fixture CPU kernel as its library
/// (with the manifest's signature stamped in when the manifest is valid, as
/// the compiler writes it), and, when the manifest has CUDA code, fake
/// cubins and a real .cu.
void writePackage(const std::string &dir, const std::string &manifest,
                  const std::string &cudaSource = "") {
  writeFile(dir + "/manifest.json", manifest);
  fs::copy_file(ATTNC_TEST_CPU_KERNEL, dir + "/libnaive.cpu.so",
                fs::copy_options::overwrite_existing);
  Manifest m;
  const bool valid = !parseManifest(manifest, m).failed();
  if (valid && m.cpu)
    stampSignature(dir + "/libnaive.cpu.so", m.cpu->entry,
                   expectedSignature(m, SignatureTarget::Cpu));
  // The fake driver finds a module's signature anywhere in its image.
  const std::string cudaSignature =
      valid && m.cuda ? expectedSignature(m, SignatureTarget::Cuda) : "";
  writeFile(dir + "/naive.sm_80.cubin",
            "FAKE-CUBIN sm_80\n" + cudaSignature);
  writeFile(dir + "/naive.sm_90.cubin",
            "FAKE-CUBIN sm_90\n" + cudaSignature);
  std::string source = cudaSource;
  // Like generated kernels, include the fp16 header (NVRTC needs the
  // toolkit's include directory for it) and end with the signature.
  if (source.empty())
    source = "#include <cuda_fp16.h>\n" + readText(ATTNC_TEST_KERNEL_ABI_H) +
             "\nextern \"C\" __global__ void attnc_fake_fwd(AttncKernelArgs "
             "args) {\n  if (args.lse && threadIdx.x == 0)\n"
             "    args.lse[blockIdx.x] = 0.0f;\n}\n"
             "extern \"C\" __constant__ char attnc_fake_fwd_signature[] = \"" +
             cudaSignature + "\";\n";
  writeFile(dir + "/naive.cu", source);
}

attnc_tensor makeTensor(void *data, attnc_dtype dtype,
                        std::vector<long long> shape,
                        std::vector<long long> strides = {}) {
  attnc_tensor t = {};
  t.data = data;
  t.dtype = dtype;
  t.rank = static_cast<int>(shape.size());
  if (strides.empty()) {
    strides.assign(shape.size(), 1);
    for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i)
      strides[i] = strides[i + 1] * shape[i + 1];
  }
  for (size_t i = 0; i < shape.size() && i < 4; ++i) {
    t.shape[i] = shape[i];
    t.strides[i] = strides[i];
  }
  return t;
}

/// A 64-byte aligned buffer of T.
template <typename T> class Buffer {
public:
  explicit Buffer(size_t n = 0) { resize(n); }
  ~Buffer() { std::free(ptr); }
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  void resize(size_t n) {
    std::free(ptr);
    count = n;
    size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
    ptr = static_cast<T *>(std::aligned_alloc(64, bytes ? bytes : 64));
  }
  T *data() const { return ptr; }
  T &operator[](size_t i) const { return ptr[i]; }
  size_t size() const { return count; }
  size_t bytes() const { return count * sizeof(T); }

private:
  T *ptr = nullptr;
  size_t count = 0;
};

//===----------------------------------------------------------------------===//
// JSON
//===----------------------------------------------------------------------===//

TEST(Json, ParsesEveryKind) {
  JsonValue v;
  std::string err;
  ASSERT_TRUE(parseJson(R"( {"a": [1, -2.5e1, true, false, null, "x"],
    "b": {"c": {}}, "d": [], "e": "tab\tq\"\\/\b\f\n\r"} )",
                        v, err))
      << err;
  ASSERT_TRUE(v.isObject());
  ASSERT_EQ(v.members.size(), 4u);
  EXPECT_EQ(v.members[0].key, "a");
  const JsonValue *a = v.find("a");
  ASSERT_TRUE(a && a->isArray());
  ASSERT_EQ(a->array.size(), 6u);
  EXPECT_TRUE(a->array[0].isInteger);
  EXPECT_EQ(a->array[0].integer, 1);
  EXPECT_FALSE(a->array[1].isInteger);
  EXPECT_EQ(a->array[1].number, -25.0);
  EXPECT_TRUE(a->array[2].isBool() && a->array[2].boolean);
  EXPECT_TRUE(a->array[3].isBool() && !a->array[3].boolean);
  EXPECT_TRUE(a->array[4].isNull());
  EXPECT_EQ(a->array[5].string, "x");
  EXPECT_TRUE(v.find("b")->find("c")->isObject());
  EXPECT_TRUE(v.find("d")->array.empty());
  EXPECT_EQ(v.find("e")->string, "tab\tq\"\\/\b\f\n\r");
  EXPECT_EQ(v.find("zz"), nullptr);
  EXPECT_EQ(a->offset, 7u);
}

TEST(Json, DecodesUnicode) {
  JsonValue v;
  std::string err;
  ASSERT_TRUE(parseJson("\"\\u00e9\\ud83d\\ude00\xe2\x82\xac\"", v, err))
      << err;
  EXPECT_EQ(v.string, "\xc3\xa9\xf0\x9f\x98\x80\xe2\x82\xac");
}

TEST(Json, Numbers) {
  JsonValue v;
  std::string err;
  ASSERT_TRUE(parseJson("9223372036854775807", v, err));
  EXPECT_TRUE(v.isInteger);
  EXPECT_EQ(v.integer, INT64_MAX);
  ASSERT_TRUE(parseJson("9223372036854775808", v, err));
  EXPECT_FALSE(v.isInteger);
  EXPECT_EQ(v.number, 9223372036854775808.0);
  ASSERT_TRUE(parseJson("-0", v, err));
  EXPECT_TRUE(v.isInteger);
  EXPECT_EQ(v.integer, 0);
  ASSERT_TRUE(parseJson("1.0", v, err));
  EXPECT_FALSE(v.isInteger);
  ASSERT_TRUE(parseJson("1E+2", v, err));
  EXPECT_FALSE(v.isInteger);
  EXPECT_EQ(v.number, 100.0);
}

struct BadJson {
  const char *text;
  size_t length; // 0: strlen
  const char *message;
};

TEST(Json, RejectsGarbageWithOffsets) {
  const BadJson cases[] = {
      {"", 0,
       "invalid JSON at byte 0 (line 1, column 1): expected a value, "
       "got end of input"},
      {"   ", 0,
       "invalid JSON at byte 3 (line 1, column 4): expected a "
       "value, got end of input"},
      {"{", 0,
       "invalid JSON at byte 1 (line 1, column 2): expected a string "
       "key in object, got end of input"},
      {"[1,]", 0,
       "invalid JSON at byte 3 (line 1, column 4): expected a "
       "value, got ']'"},
      {"{\"a\":1,}", 0,
       "invalid JSON at byte 7 (line 1, column 8): expected "
       "a string key in object, got '}'"},
      {"{\"a\" 1}", 0,
       "invalid JSON at byte 5 (line 1, column 6): expected "
       "':' after object key, got '1'"},
      {"[1 2]", 0,
       "invalid JSON at byte 3 (line 1, column 4): expected ',' "
       "or ']' in array, got '2'"},
      {"{\"a\":1 \"b\":2}", 0,
       "invalid JSON at byte 7 (line 1, column 8): "
       "expected ',' or '}' in object, got '\"'"},
      {"01", 0,
       "invalid JSON at byte 1 (line 1, column 2): leading zeros "
       "are not allowed in numbers"},
      {"1.", 0,
       "invalid JSON at byte 2 (line 1, column 3): expected a digit "
       "after '.' in number, got end of input"},
      {"-", 0,
       "invalid JSON at byte 1 (line 1, column 2): expected a digit "
       "in number, got end of input"},
      {"1e+", 0,
       "invalid JSON at byte 3 (line 1, column 4): expected a "
       "digit in exponent, got end of input"},
      {"1e999", 0,
       "invalid JSON at byte 0 (line 1, column 1): number "
       "'1e999' is out of range"},
      {"+1", 0,
       "invalid JSON at byte 0 (line 1, column 1): expected a "
       "value, got '+'"},
      {"NaN", 0,
       "invalid JSON at byte 0 (line 1, column 1): expected a "
       "value, got 'N'"},
      {"tru", 0,
       "invalid JSON at byte 0 (line 1, column 1): expected a "
       "value, got 't'"},
      {"nulll", 0,
       "invalid JSON at byte 4 (line 1, column 5): unexpected "
       "data after the JSON value"},
      {"1 2", 0,
       "invalid JSON at byte 2 (line 1, column 3): unexpected data "
       "after the JSON value"},
      {"// c\n{}", 0,
       "invalid JSON at byte 0 (line 1, column 1): expected a "
       "value, got '/'"},
      {"\xef\xbb\xbf{}", 0,
       "invalid JSON at byte 0 (line 1, column 1): "
       "expected a value, got byte 0xef"},
      {"\"abc", 0,
       "invalid JSON at byte 0 (line 1, column 1): unterminated "
       "string"},
      {"\"a\x01\"", 0,
       "invalid JSON at byte 2 (line 1, column 3): unescaped "
       "control character byte 0x01 in string"},
      {"\"\\x\"", 0,
       "invalid JSON at byte 2 (line 1, column 3): invalid "
       "escape character 'x' after '\\'"},
      {"\"\\u12\"", 0,
       "invalid JSON at byte 5 (line 1, column 6): expected "
       "4 hex digits after \\u, got '\"'"},
      {"\"\\udc00\"", 0,
       "invalid JSON at byte 1 (line 1, column 2): "
       "unpaired low surrogate in \\u escape"},
      {"\"\\ud800\"", 0,
       "invalid JSON at byte 1 (line 1, column 2): "
       "unpaired high surrogate in \\u escape"},
      {"\"\\ud800\\u0041\"", 0,
       "invalid JSON at byte 1 (line 1, column 2): "
       "unpaired high surrogate in \\u escape"},
      {"\"\xff\"", 0,
       "invalid JSON at byte 1 (line 1, column 2): invalid "
       "UTF-8 in string"},
      {"\"\xc0\x80\"", 0,
       "invalid JSON at byte 1 (line 1, column 2): "
       "invalid UTF-8 in string"},
      {"\"\xed\xa0\x80\"", 0,
       "invalid JSON at byte 1 (line 1, column 2): "
       "invalid UTF-8 in string"},
      {"\"\xe2\x82\"", 0,
       "invalid JSON at byte 1 (line 1, column 2): "
       "invalid UTF-8 in string"},
      {"{\"a\":1,\"a\":2}", 0,
       "invalid JSON at byte 7 (line 1, column 8): "
       "duplicate key 'a'"},
      {"[1, \0]", 6,
       "invalid JSON at byte 4 (line 1, column 5): expected a "
       "value, got byte 0x00"},
      {"{\n  \"a\": tru\n}", 0,
       "invalid JSON at byte 9 (line 2, column 8): "
       "expected a value, got 't'"},
  };
  for (const BadJson &c : cases) {
    std::string text(c.text, c.length ? c.length : std::strlen(c.text));
    JsonValue v;
    v.kind = JsonValue::Kind::Bool;
    std::string err;
    EXPECT_FALSE(parseJson(text, v, err)) << text;
    EXPECT_EQ(err, c.message) << text;
    EXPECT_TRUE(v.isBool()) << "output changed on failure: " << text;
  }
}

TEST(Json, NestingLimit) {
  JsonValue v;
  std::string err;
  std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(parseJson(ok, v, err)) << err;
  std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_FALSE(parseJson(deep, v, err));
  EXPECT_EQ(err, "invalid JSON at byte 64 (line 1, column 65): nesting "
                 "deeper than 64 levels");
  // Far deeper than any stack would take, and objects as well as arrays.
  std::string hostile;
  for (int i = 0; i < 200000; ++i)
    hostile += "{\"a\":";
  EXPECT_FALSE(parseJson(hostile, v, err));
  EXPECT_TRUE(err.find("nesting deeper than 64 levels") != std::string::npos)
      << err;
}

TEST(Json, SizeLimit) {
  JsonValue v;
  std::string err;
  JsonLimits limits;
  limits.maxBytes = 10;
  EXPECT_TRUE(parseJson("[1,2,3,44]", v, err, limits)) << err;
  EXPECT_FALSE(parseJson("[1,2,3,444]", v, err, limits));
  EXPECT_EQ(err, "invalid JSON at byte 0 (line 1, column 1): input is 11 "
                 "bytes, more than the limit of 10");
}

TEST(Json, EveryPrefixOfAManifestFails) {
  std::string text = baseManifest().set("cuda", cudaSection().str()).str();
  JsonValue v;
  std::string err;
  ASSERT_TRUE(parseJson(text, v, err)) << err;
  for (size_t n = 0; n < text.size(); ++n) {
    EXPECT_FALSE(parseJson(text.substr(0, n), v, err)) << n;
    EXPECT_TRUE(startsWith(err, "invalid JSON at byte ")) << err;
  }
}

TEST(Json, SurvivesMutations) {
  std::string text = baseManifest().set("cuda", cudaSection().str()).str();
  std::mt19937 rng(1234);
  const char bytes[] = "{}[]\":,\\0123456789eE+-.tfnu \n\x80\xff\x01";
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string m = text;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (m.size() + 1);
      char c = bytes[rng() % (sizeof(bytes) - 1)];
      switch (rng() % 3) {
      case 0:
        if (pos < m.size())
          m[pos] = c;
        break;
      case 1:
        m.insert(m.begin() + pos, c);
        break;
      default:
        if (pos < m.size())
          m.erase(pos, 1);
        break;
      }
    }
    Manifest manifest;
    Error e = parseManifest(m, manifest);
    if (!e.failed()) {
      ++accepted;
      continue;
    }
    EXPECT_EQ(e.code, ATTNC_ERROR_MANIFEST);
    EXPECT_TRUE(startsWith(e.message, "manifest.json: ")) << e.message;
    EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
  }
  // Some edits (inside a string value, say) keep the manifest valid.
  EXPECT_GT(accepted, 0);
}

//===----------------------------------------------------------------------===//
// Manifest
//===----------------------------------------------------------------------===//

TEST(Manifest, ReadsEveryField) {
  Manifest m;
  std::string text = baseManifest()
                         .set("cuda", cudaSection().str())
                         .set("future_field", R"({"x": [1, 2]})")
                         .str();
  Error e = parseManifest(text, m);
  ASSERT_FALSE(e.failed()) << e.message;
  EXPECT_EQ(m.format, 1);
  EXPECT_EQ(m.abiVersion, ATTNC_ABI_VERSION);
  EXPECT_EQ(m.attncVersion, "0.1.0");
  EXPECT_EQ(m.specHash, "9f2c0a1b3d4e5f60");
  EXPECT_EQ(m.name, "naive");
  EXPECT_EQ(m.family, "softmax");
  EXPECT_EQ(m.dtype, ATTNC_F32);
  EXPECT_EQ(m.heads, 4);
  EXPECT_EQ(m.kvHeads, 2);
  EXPECT_EQ(m.headDim, 16);
  EXPECT_EQ(m.valueDim, 8);
  EXPECT_EQ(m.normalize, "softmax");
  EXPECT_TRUE(m.hasLse);
  EXPECT_EQ(m.featureDim, 0);
  EXPECT_FALSE(m.hasState);
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].name, "doc");
  EXPECT_EQ(m.params[0].dtype, ATTNC_I32);
  EXPECT_EQ(m.params[0].dims, "bn");
  EXPECT_EQ(m.schedule.block_q, 16);
  EXPECT_EQ(m.schedule.block_k, 16);
  EXPECT_EQ(m.schedule.warps, 4);
  EXPECT_EQ(m.schedule.stages, 2);
  EXPECT_EQ(m.schedule.chunk, 0);
  ASSERT_TRUE(m.cpu.has_value());
  EXPECT_EQ(m.cpu->source, "naive.cpu.cpp");
  EXPECT_EQ(m.cpu->library, "libnaive.cpu.so");
  EXPECT_EQ(m.cpu->entry, "attnc_naive_cpu");
  ASSERT_TRUE(m.cuda.has_value());
  EXPECT_EQ(m.cuda->source, "naive.cu");
  EXPECT_EQ(m.cuda->header, "naive.h");
  EXPECT_EQ(m.cuda->kernel, "attnc_fake_fwd");
  EXPECT_EQ(m.cuda->blockThreads, 128);
  EXPECT_EQ(m.cuda->sharedBytes, 40960);
  EXPECT_EQ(m.cuda->archs, (std::vector<std::string>{"sm_80", "sm_90"}));
  ASSERT_EQ(m.cuda->cubins.size(), 2u);
  EXPECT_EQ(*m.cuda->findCubin("sm_90"), "naive.sm_90.cubin");
  EXPECT_EQ(m.cuda->findCubin("sm_86"), nullptr);
}

TEST(Manifest, AcceptsTheOtherShapes) {
  Manifest m;
  // Linear family, bf16, no lse, CUDA only without cubins, several params.
  std::string text =
      baseManifest()
          .set("family", "\"linear\"")
          .set("dtype", "\"bf16\"")
          .set("normalize", "\"none\"")
          .set("has_lse", "false")
          .set("feature_dim", "128")
          .set("has_state", "true")
          .set("params", R"([{"name": "beta", "dtype": "f32", "dims": "bhn"},
                             {"name": "w", "dtype": "f32", "dims": "hdd"}])")
          .erase("cpu")
          .set("cuda", cudaSection()
                           .erase("cubins")
                           .erase("header")
                           .set("grid", "\"value_tiles\"")
                           .set("value_tiles", "2")
                           .str())
          .str();
  Error e = parseManifest(text, m);
  ASSERT_FALSE(e.failed()) << e.message;
  EXPECT_EQ(m.dtype, ATTNC_BF16);
  EXPECT_EQ(m.cuda->grid, "value_tiles");
  EXPECT_EQ(m.cuda->valueTiles, 2);
  EXPECT_FALSE(m.cpu.has_value());
  ASSERT_TRUE(m.cuda.has_value());
  EXPECT_TRUE(m.cuda->cubins.empty());
  EXPECT_EQ(m.params[1].dims, "hdd");
  EXPECT_EQ(m.featureDim, 128);
  EXPECT_TRUE(m.hasState);
}

struct BadManifest {
  std::string text;
  std::string message;
};

std::vector<BadManifest> badManifests() {
  auto with = [](const std::string &key, const std::string &raw) {
    return baseManifest().set(key, raw).str();
  };
  auto without = [](const std::string &key) {
    return baseManifest().erase(key).str();
  };
  auto linear = [] {
    return baseManifest()
        .set("family", "\"linear\"")
        .set("normalize", "\"none\"")
        .set("has_lse", "false")
        .set("feature_dim", "6")
        .set("has_state", "true");
  };
  auto withCuda = [](const std::string &key, const std::string &raw) {
    return baseManifest().set("cuda", cudaSection().set(key, raw).str()).str();
  };
  auto param = [](const std::string &key, const std::string &raw) {
    JsonObject p = JsonObject()
                       .set("name", "\"doc\"")
                       .set("dtype", "\"i32\"")
                       .set("dims", "\"bn\"")
                       .set(key, raw);
    return baseManifest().set("params", "[" + p.str() + "]").str();
  };
  std::string nine = "[";
  for (int i = 0; i < 9; ++i)
    nine += std::string(i ? ", " : "") + R"({"name": "p)" + std::to_string(i) +
            R"(", "dtype": "f32", "dims": "b"})";
  nine += "]";
  const std::string p = "manifest.json: ";
  auto require = [](const std::string &program) {
    return baseManifest()
        .set("requires", R"([{"text": "Nk % 2 == 1", "line": 7, "program": ")" +
                             program + R"("}])")
        .str();
  };
  return {
      {"[]", p + "expected an object at the top level, got an array"},
      {with("requires", "{}"), p + "'requires' must be an array, got an object"},
      {with("requires", "[3]"),
       p + "'requires[0]' must be an object, got 3"},
      {with("requires", R"([{"text": "x", "program": "Nk"}])"),
       p + "missing required field 'requires[0].line'"},
      {require("Nk,2"),
       p + "'requires[0].program' is not a valid program: leaves 2 values "
           "instead of one"},
      {require("Nk,2,frob,1,eq"),
       p + "'requires[0].program' is not a valid program: unknown token "
           "'frob'"},
      {"{\"format\": 1,}", p + "invalid JSON at byte 13 (line 1, column 14): "
                               "expected a string key in object, got '}'"},
      {with("format", "2"),
       p + "unsupported format 2 (this runtime reads format 1)"},
      {without("format"), p + "missing required field 'format'"},
      {with("abi_version", "6"),
       p + "'abi_version' is 6, but this runtime implements kernel ABI 7 "
           "(recompile the package with an attnc of the same ABI)"},
      {with("abi_version", "8"),
       p + "'abi_version' is 8, but this runtime implements kernel ABI 7 "
           "(recompile the package with an attnc of the same ABI)"},
      {with("heads", "-3"), p + "'heads' must be a positive integer, got -3"},
      {with("heads", "0"), p + "'heads' must be a positive integer, got 0"},
      {with("heads", "\"8\""),
       p + "'heads' must be a positive integer, got \"8\""},
      {with("heads", "8.5"), p + "'heads' must be a positive integer, got 8.5"},
      {with("heads", "1e20"),
       p + "'heads' must be a positive integer, got 1e+20"},
      {with("heads", "3000000000"),
       p + "'heads' must be at most 2147483647, got 3000000000"},
      {without("heads"), p + "missing required field 'heads'"},
      {with("kv_heads", "3"), p + "'kv_heads' (3) must divide 'heads' (4)"},
      {with("head_dim", "null"),
       p + "'head_dim' must be a positive integer, got null"},
      {with("value_dim", "[8]"),
       p + "'value_dim' must be a positive integer, got an array"},
      {with("name", "\"\""), p + "'name' must be a C identifier, got \"\""},
      {with("spec_hash", "7"),
       p + "'spec_hash' must be a non-empty string, got 7"},
      // spec_hash and name go into the kernel signature's "k=v;" text.
      {with("spec_hash", "\";c8ac872f4572b74\""),
       p + "'spec_hash' must be 16 lowercase hex digits (the FNV-1a hash "
           "attnc compile writes)"},
      {with("name", "\"a;b\""),
       p + "'name' must be a C identifier, got \"a;b\""},
      {without("attnc_version"), p + "missing required field 'attnc_version'"},
      {with("family", "\"quadratic\""),
       p + "'family' must be \"softmax\" or \"linear\", got \"quadratic\""},
      {with("dtype", "\"f64\""),
       p + "'dtype' must be \"f32\", \"f16\" or \"bf16\", got \"f64\""},
      {with("dtype", "\"i32\""),
       p + "'dtype' must be \"f32\", \"f16\" or \"bf16\", got \"i32\""},
      {baseManifest().set("family", "\"linear\"").set("has_lse", "false").str(),
       p + "'normalize' must be \"sum\" or \"none\", got \"softmax\""},
      {with("normalize", "\"sum\""),
       p + "'has_lse' is true, but lse exists only with 'normalize' "
           "\"softmax\", got \"sum\""},
      {with("has_lse", "1"), p + "'has_lse' must be true or false, got 1"},
      {without("has_state"), p + "missing required field 'has_state'"},
      {with("has_state", "\"no\""),
       p + "'has_state' must be true or false, got \"no\""},
      {with("has_state", "true"),
       p + "'has_state' is true, but only the linear family has a recurrent "
           "state, got family \"softmax\""},
      {linear().erase("feature_dim").str(),
       p + "missing required field 'feature_dim'"},
      {linear().set("feature_dim", "0").str(),
       p + "'feature_dim' must be a positive integer, got 0"},
      {without("params"), p + "missing required field 'params'"},
      {with("params", "{}"), p + "'params' must be an array, got an object"},
      {with("params", "[5]"), p + "'params[0]' must be an object, got 5"},
      {with("params", nine), p + "at most 8 params are supported, got 9"},
      {param("name", "\"2doc\""),
       p + "'params[0].name' must be a C identifier, got \"2doc\""},
      {param("dtype", "\"f16\""),
       p + "'params[0].dtype' must be \"i32\" or \"f32\", got \"f16\""},
      {param("dims", "\"bx\""),
       p + "'params[0].dims' must be up to 4 dimensions among b, h, n, d and "
           "[N], got \"bx\""},
      {param("dims", "\"bhnnd\""),
       p + "'params[0].dims' must be up to 4 dimensions among b, h, n, d and "
           "[N], got \"bhnnd\""},
      {param("dims", "\"h[0]\""),
       p + "'params[0].dims' must be up to 4 dimensions among b, h, n, d and "
           "[N], got \"h[0]\""},
      {param("dims", "\"h[13\""),
       p + "'params[0].dims' must be up to 4 dimensions among b, h, n, d and "
           "[N], got \"h[13\""},
      {param("dims", "\"[99999999]\""),
       p + "'params[0].dims' must be up to 4 dimensions among b, h, n, d and "
           "[N], got \"[99999999]\""},
      {param("dims", "3"),
       p + "'params[0].dims' must be up to 4 dimensions among b, h, n, d and "
           "[N], got 3"},
      {with("params", R"([{"name": "doc", "dtype": "i32", "dims": "bn"},
                          {"name": "doc", "dtype": "f32", "dims": "h"}])"),
       p + "duplicate param name 'doc'"},
      {without("schedule"), p + "missing required field 'schedule'"},
      {with("schedule", R"({"block_q": 16, "block_k": -1, "warps": 4,
                            "stages": 2, "chunk": 0})"),
       p + "'schedule.block_k' must be a non-negative integer, got -1"},
      {with("cpu", R"({"library": "../evil.so", "entry": "f"})"),
       p + "'cpu.library' must be a file name inside the package, got "
           "\"../evil.so\""},
      {with("cpu", R"({"library": "lib.so", "entry": "attnc-x"})"),
       p + "'cpu.entry' must be a C identifier, got \"attnc-x\""},
      {with("cpu", R"({"entry": "f"})"),
       p + "missing required field 'cpu.library'"},
      {with("cpu", "\"lib.so\""),
       p + "'cpu' must be an object, got \"lib.so\""},
      {without("cpu"), p + "the package has neither 'cpu' nor 'cuda' code"},
      {with("cpu", R"({"library": "libnaive.cpu.so", "entry": "attnc_naive_cpu", )"
                   R"("ragged": 1})"),
       p + "'cpu.ragged' must be true or false, got 1"},
      {linear()
           .set("cpu", R"({"library": "libnaive.cpu.so", "entry": )"
                       R"("attnc_naive_cpu", "ragged": true})")
           .str(),
       p + "'cpu.ragged' is defined for the softmax family only"},
      {withCuda("ragged", "\"yes\""),
       p + "'cuda.ragged' must be true or false, got \"yes\""},
      {withCuda("block_threads", "2048"),
       p + "'cuda.block_threads' must be at most 1024, got 2048"},
      {withCuda("shared_bytes", "-1"),
       p + "'cuda.shared_bytes' must be a non-negative integer, got -1"},
      {withCuda("archs", R"(["80"])"),
       p + "'cuda.archs' must hold arch names like \"sm_80\", got \"80\""},
      {withCuda("cubins", R"({"gfx90a": "x.co"})"),
       p + "'cuda.cubins' keys must be arch names like \"sm_80\", got "
           "\"gfx90a\""},
      {withCuda("cubins", R"({"sm_80": "/abs/x.cubin"})"),
       p + "'cuda.cubins.sm_80' must be a file name inside the package, got "
           "\"/abs/x.cubin\""},
      {withCuda("kernel", "\"\""),
       p + "'cuda.kernel' must be a C identifier, got \"\""},
      {baseManifest().set("cuda", cudaSection().erase("kernel").str()).str(),
       p + "missing required field 'cuda.kernel'"},
      {baseManifest()
           .set("cuda", cudaSection().str())
           .set("schedule", R"({"block_q": 0, "block_k": 16, "warps": 4,
                                "stages": 2, "chunk": 0})")
           .str(),
       p + "'schedule.block_q' must be a positive integer when the package "
           "has CUDA code, got 0"},
      {withCuda("grid", "\"rows\""),
       p + "'cuda.grid' must be \"q_blocks\" or \"value_tiles\", got "
           "\"rows\""},
      {withCuda("grid", "\"value_tiles\""),
       p + "missing required field 'cuda.value_tiles'"},
      {baseManifest()
           .set("cuda", cudaSection()
                            .set("grid", "\"value_tiles\"")
                            .set("value_tiles", "2")
                            .str())
           .str(),
       p + "'cuda.grid' must be \"q_blocks\" for the softmax family, got "
           "\"value_tiles\""},
      {linear().set("cuda", cudaSection().str()).str(),
       p + "'cuda.grid' must be \"value_tiles\" for the linear family, got "
           "\"q_blocks\""},
      {linear()
           .set("cuda", cudaSection()
                            .set("grid", "\"value_tiles\"")
                            .set("value_tiles", "0")
                            .str())
           .str(),
       p + "'cuda.value_tiles' must be a positive integer, got 0"},
  };
}

TEST(Manifest, ReportsEachRule) {
  for (const BadManifest &c : badManifests()) {
    Manifest m;
    m.name = "unchanged";
    Error e = parseManifest(c.text, m);
    EXPECT_TRUE(e.failed()) << c.text;
    EXPECT_EQ(e.code, ATTNC_ERROR_MANIFEST) << c.text;
    EXPECT_EQ(e.message, c.message) << c.text;
    EXPECT_EQ(m.name, "unchanged");
  }
}

//===----------------------------------------------------------------------===//
// Opening packages
//===----------------------------------------------------------------------===//

TEST(Package, OpenErrors) {
  attnc_package *pkg = reinterpret_cast<attnc_package *>(0x1);
  EXPECT_EQ(attnc_package_open("/nonexistent/attnc/pkg", &pkg), ATTNC_ERROR_IO);
  EXPECT_EQ(pkg, nullptr);
  EXPECT_STREQ(attnc_last_error(), "cannot open package "
                                   "'/nonexistent/attnc/pkg': No such file "
                                   "or directory");
  EXPECT_EQ(attnc_package_open(nullptr, &pkg), ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "package directory is null or empty");
  EXPECT_EQ(attnc_package_open("/tmp", nullptr), ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "out is null");

  TempDir dir;
  std::string real = fs::canonical(dir.path);
  EXPECT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_ERROR_IO);
  EXPECT_EQ(std::string(attnc_last_error()),
            "cannot read '" + real +
                "/manifest.json': No such file or directory");

  writeFile(dir.path + "/manifest.json", "{\"format\": 1,");
  EXPECT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_ERROR_MANIFEST);
  EXPECT_EQ(std::string(attnc_last_error()),
            real + "/manifest.json: invalid JSON at byte 13 (line 1, column "
                   "14): expected a string key in object, got end of input");

  writeFile(dir.path + "/manifest.json", baseManifest().str());
  EXPECT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_ERROR_IO);
  EXPECT_EQ(std::string(attnc_last_error()),
            real +
                "/manifest.json: 'cpu.library' names 'libnaive.cpu.so', "
                "which cannot be found in '" +
                real + "': No such file or directory");

  writePackage(dir.path, baseManifest().set("cuda", cudaSection().str()).str());
  fs::remove(dir.path + "/naive.sm_90.cubin");
  EXPECT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_ERROR_IO);
  EXPECT_EQ(std::string(attnc_last_error()),
            real +
                "/manifest.json: 'cuda.cubins.sm_90' names "
                "'naive.sm_90.cubin', which cannot be found in '" +
                real + "': No such file or directory");
  EXPECT_EQ(pkg, nullptr);
}

TEST(Package, LastErrorIsPerThread) {
  attnc_package *pkg = nullptr;
  EXPECT_NE(attnc_package_open("/nonexistent/a", &pkg), ATTNC_OK);
  std::string other;
  std::thread t([&] {
    other = attnc_last_error();
    attnc_package_open("/nonexistent/b", &pkg);
  });
  t.join();
  EXPECT_EQ(other, "");
  EXPECT_STREQ(attnc_last_error(),
               "cannot open package '/nonexistent/a': No such file or "
               "directory");
}

TEST(Package, Queries) {
  TempDir dir;
  writePackage(dir.path, baseManifest().set("cuda", cudaSection().str()).str());
  attnc_package *pkg = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK)
      << attnc_last_error();
  EXPECT_EQ(std::string(attnc_package_dir(pkg)),
            fs::canonical(dir.path).string());
  EXPECT_STREQ(attnc_package_name(pkg), "naive");
  EXPECT_STREQ(attnc_package_family(pkg), "softmax");
  EXPECT_STREQ(attnc_package_normalize(pkg), "softmax");
  EXPECT_STREQ(attnc_package_spec_hash(pkg), "9f2c0a1b3d4e5f60");
  EXPECT_STREQ(attnc_package_attnc_version(pkg), "0.1.0");
  EXPECT_EQ(attnc_package_dtype(pkg), ATTNC_F32);
  EXPECT_EQ(attnc_package_heads(pkg), 4);
  EXPECT_EQ(attnc_package_kv_heads(pkg), 2);
  EXPECT_EQ(attnc_package_head_dim(pkg), 16);
  EXPECT_EQ(attnc_package_value_dim(pkg), 8);
  EXPECT_EQ(attnc_package_has_lse(pkg), 1);
  EXPECT_EQ(attnc_package_has_state(pkg), 0);
  EXPECT_EQ(attnc_package_feature_dim(pkg), 0);
  EXPECT_EQ(attnc_package_has_cpu(pkg), 1);
  EXPECT_EQ(attnc_package_has_cuda(pkg), 1);
  EXPECT_EQ(attnc_package_num_params(pkg), 1);
  attnc_param_info info;
  ASSERT_EQ(attnc_package_param(pkg, 0, &info), ATTNC_OK);
  EXPECT_STREQ(info.name, "doc");
  EXPECT_EQ(info.dtype, ATTNC_I32);
  EXPECT_STREQ(info.dims, "bn");
  EXPECT_EQ(attnc_package_param(pkg, 1, &info), ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "param index 1 is out of range: package "
                                   "'naive' has 1 params");
  attnc_schedule s;
  ASSERT_EQ(attnc_package_schedule(pkg, &s), ATTNC_OK);
  EXPECT_EQ(s.block_q, 16);
  EXPECT_EQ(s.stages, 2);
  attnc_package_close(pkg);

  // Null handles are safe.
  EXPECT_EQ(attnc_package_name(nullptr), nullptr);
  EXPECT_EQ(attnc_package_heads(nullptr), 0);
  EXPECT_EQ(attnc_package_has_cuda(nullptr), 0);
  EXPECT_EQ(attnc_package_has_state(nullptr), 0);
  EXPECT_EQ(attnc_package_feature_dim(nullptr), 0);
  attnc_package_close(nullptr);
  EXPECT_EQ(attnc_run_cpu(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
                          nullptr, 0),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "package is null");

  EXPECT_STREQ(attnc_status_name(ATTNC_ERROR_CUDA_UNAVAILABLE),
               "ATTNC_ERROR_CUDA_UNAVAILABLE");
  EXPECT_STREQ(attnc_status_name(99), "unknown");
  EXPECT_STREQ(attnc_dtype_name(ATTNC_BF16), "bf16");
  EXPECT_EQ(attnc_abi_version(), ATTNC_ABI_VERSION);
  EXPECT_STREQ(attnc_runtime_version(), "0.1.0");
}

//===----------------------------------------------------------------------===//
// The fixture package, its inputs and a reference
//===----------------------------------------------------------------------===//

constexpr long long kH = 4, kG = 2, kD = 16, kDv = 8;

/// Inputs and outputs for one call, with q and o in a [B, N, H, *] layout
/// (strided views) and everything else contiguous.
struct Problem {
  long long B, Nq, Nk;
  Buffer<float> q, k, v, o, lse;
  Buffer<int> doc;
  attnc_tensor tq, tk, tv, to, tlse, tdoc;

  Problem(long long B, long long Nq, long long Nk, unsigned seed)
      : B(B), Nq(Nq), Nk(Nk), q(B * Nq * kH * kD), k(B * kG * Nk * kD),
        v(B * kG * Nk * kDv), o(B * Nq * kH * kDv), lse(B * kH * Nq),
        doc(B * Nk) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (Buffer<float> *b : {&q, &k, &v})
      for (size_t i = 0; i < b->size(); ++i)
        (*b)[i] = normal(rng);
    // Documents of uneven lengths, different per batch.
    for (long long b = 0; b < B; ++b)
      for (long long j = 0; j < Nk; ++j)
        doc[b * Nk + j] = static_cast<int>((j + 7 * b) / 13);
    fillOutputs(NAN);
    tq = makeTensor(q.data(), ATTNC_F32, {B, kH, Nq, kD},
                    {Nq * kH * kD, kD, kH * kD, 1});
    tk = makeTensor(k.data(), ATTNC_F32, {B, kG, Nk, kD});
    tv = makeTensor(v.data(), ATTNC_F32, {B, kG, Nk, kDv});
    to = makeTensor(o.data(), ATTNC_F32, {B, kH, Nq, kDv},
                    {Nq * kH * kDv, kDv, kH * kDv, 1});
    tlse = makeTensor(lse.data(), ATTNC_F32, {B, kH, Nq});
    tdoc = makeTensor(doc.data(), ATTNC_I32, {B, Nk});
  }

  void fillOutputs(float value) {
    for (size_t i = 0; i < o.size(); ++i)
      o[i] = value;
    for (size_t i = 0; i < lse.size(); ++i)
      lse[i] = value;
  }

  bool outputsAreNaN() const {
    for (size_t i = 0; i < o.size(); ++i)
      if (!std::isnan(o[i]))
        return false;
    for (size_t i = 0; i < lse.size(); ++i)
      if (!std::isnan(lse[i]))
        return false;
    return true;
  }

  float &qAt(long long b, long long h, long long i, long long c) const {
    return q[((b * Nq + i) * kH + h) * kD + c];
  }
  float &oAt(long long b, long long h, long long i, long long c) const {
    return o[((b * Nq + i) * kH + h) * kDv + c];
  }

  /// Checks o and lse against attention computed here in double, written
  /// from docs/language.md §7-8 rather than from the fixture kernel.
  void expectMatchesReference() const {
    double worst = 0;
    for (long long b = 0; b < B; ++b) {
      for (long long h = 0; h < kH; ++h) {
        long long g = h / (kH / kG);
        for (long long i = 0; i < Nq; ++i) {
          long long pos = i + Nk - Nq;
          std::vector<double> s;
          std::vector<long long> keys;
          for (long long j = 0; j <= pos && j < Nk; ++j) {
            if (doc[b * Nk + j] != doc[b * Nk + pos])
              continue;
            double dot = 0;
            for (long long c = 0; c < kD; ++c)
              dot +=
                  double(qAt(b, h, i, c)) * k[((b * kG + g) * Nk + j) * kD + c];
            s.push_back(dot / std::sqrt(double(kD)));
            keys.push_back(j);
          }
          double m = -INFINITY, z = 0;
          for (double x : s)
            m = std::max(m, x);
          for (double x : s)
            z += std::exp(x - m);
          for (long long c = 0; c < kDv; ++c) {
            double acc = 0;
            for (size_t t = 0; t < s.size(); ++t)
              acc += std::exp(s[t] - m) *
                     v[((b * kG + g) * Nk + keys[t]) * kDv + c];
            double want = s.empty() ? 0.0 : acc / z;
            double got = oAt(b, h, i, c);
            worst = std::max(worst, std::fabs(got - want));
            EXPECT_NEAR(got, want, 2e-5)
                << b << " " << h << " " << i << " " << c;
          }
          double gotLse = lse[(b * kH + h) * Nq + i];
          if (s.empty()) {
            EXPECT_TRUE(std::isinf(gotLse) && gotLse < 0) << gotLse;
          } else {
            EXPECT_NEAR(gotLse, m + std::log(z), 2e-5);
          }
        }
      }
    }
    EXPECT_LT(worst, 2e-5);
  }
};

class RuntimeCpu : public ::testing::Test {
protected:
  void SetUp() override {
    writePackage(dir.path,
                 baseManifest().set("cuda", cudaSection().str()).str());
    ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK)
        << attnc_last_error();
  }
  void TearDown() override { attnc_package_close(pkg); }

  int run(Problem &p, const attnc_tensor *lse) {
    return attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, lse, &p.tdoc, 1);
  }

  /// Runs with the CPU and CUDA checks and expects both to reject the call
  /// with `message` (CUDA fails before it needs a driver), writing nothing.
  void expectInvalid(Problem &p, const std::string &message,
                     const attnc_tensor *lse = nullptr, bool cudaToo = true) {
    EXPECT_EQ(run(p, lse ? lse : &p.tlse), ATTNC_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(attnc_last_error()), message);
    EXPECT_TRUE(p.outputsAreNaN());
    if (cudaToo) {
      EXPECT_EQ(attnc_launch_cuda(pkg, &p.tq, &p.tk, &p.tv, &p.to,
                                  lse ? lse : &p.tlse, &p.tdoc, 1, nullptr),
                ATTNC_ERROR_INVALID_ARGUMENT);
      EXPECT_EQ(std::string(attnc_last_error()), message);
    }
  }

  void expectCudaInvalid(Problem &p, const std::string &message) {
    EXPECT_EQ(attnc_launch_cuda(pkg, &p.tq, &p.tk, &p.tv, &p.to, &p.tlse,
                                &p.tdoc, 1, nullptr),
              ATTNC_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(attnc_last_error()), message);
  }

  TempDir dir;
  attnc_package *pkg = nullptr;
};

//===----------------------------------------------------------------------===//
// End-to-end CPU runs
//===----------------------------------------------------------------------===//

TEST_F(RuntimeCpu, MatchesReference) {
  // Nq < Nk (chunked prefill), lengths that are no multiple of any tile.
  Problem p(2, 37, 53, 1);
  ASSERT_EQ(run(p, &p.tlse), ATTNC_OK) << attnc_last_error();
  p.expectMatchesReference();
}

TEST_F(RuntimeCpu, MatchesReferenceWithEmptyRows) {
  // Nq > Nk: the first 16 rows sit before the first key and see nothing.
  Problem p(3, 45, 29, 2);
  ASSERT_EQ(run(p, &p.tlse), ATTNC_OK) << attnc_last_error();
  p.expectMatchesReference();
}

TEST_F(RuntimeCpu, LseIsOptional) {
  Problem p(1, 5, 9, 3);
  ASSERT_EQ(run(p, nullptr), ATTNC_OK) << attnc_last_error();
  for (size_t i = 0; i < p.lse.size(); ++i)
    EXPECT_TRUE(std::isnan(p.lse[i]));
  EXPECT_FALSE(std::isnan(p.o[0]));
}

TEST_F(RuntimeCpu, ConcurrentRuns) {
  Problem ref(2, 37, 53, 4);
  ASSERT_EQ(run(ref, &ref.tlse), ATTNC_OK) << attnc_last_error();
  // A fresh package: the first runs race to load the library.
  attnc_package_close(pkg);
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  std::vector<std::unique_ptr<Problem>> problems;
  for (int t = 0; t < 4; ++t)
    problems.push_back(std::make_unique<Problem>(2, 37, 53, 4));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < 3; ++r)
        if (run(*problems[t], &problems[t]->tlse) != ATTNC_OK)
          ++failures;
    });
  for (std::thread &t : threads)
    t.join();
  EXPECT_EQ(failures.load(), 0);
  for (auto &p : problems) {
    EXPECT_EQ(std::memcmp(p->o.data(), ref.o.data(), ref.o.bytes()), 0);
    EXPECT_EQ(std::memcmp(p->lse.data(), ref.lse.data(), ref.lse.bytes()), 0);
  }
}

TEST_F(RuntimeCpu, KernelFailure) {
  Problem p(1, 4, 4, 5);
  p.doc[0] = -1;
  EXPECT_EQ(run(p, nullptr), ATTNC_ERROR_KERNEL);
  EXPECT_STREQ(attnc_last_error(), "CPU kernel 'attnc_naive_cpu' of package "
                                   "'naive' failed with status 7");
}

//===----------------------------------------------------------------------===//
// Argument checks, one rule each
//===----------------------------------------------------------------------===//

TEST_F(RuntimeCpu, MissingTensor) {
  Problem p(2, 37, 53, 6);
  EXPECT_EQ(
      attnc_run_cpu(pkg, nullptr, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
      ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "tensor 'q' is null");
  EXPECT_EQ(
      attnc_run_cpu(pkg, &p.tq, &p.tk, nullptr, &p.to, nullptr, &p.tdoc, 1),
      ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "tensor 'v' is null");
  EXPECT_EQ(
      attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, nullptr, nullptr, &p.tdoc, 1),
      ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "tensor 'o' is null");
}

TEST_F(RuntimeCpu, Rank) {
  Problem p(2, 37, 53, 7);
  p.tq.rank = 3;
  expectInvalid(p, "tensor 'q': expected rank 4, got 3");
  p.tq.rank = 4;
  p.tv.rank = 5;
  expectInvalid(p, "tensor 'v': expected rank 4, got 5");
}

TEST_F(RuntimeCpu, PositiveExtents) {
  Problem p(2, 37, 53, 8);
  p.tq.shape[2] = 0;
  expectInvalid(p, "tensor 'q': every dimension must be positive, got [2, 4, "
                   "0, 16]");
  p.tq.shape[2] = 37;
  p.tk.shape[2] = -1;
  expectInvalid(p, "tensor 'k': every dimension must be positive, got [2, 2, "
                   "-1, 16]");
}

TEST_F(RuntimeCpu, Dtype) {
  Problem p(2, 37, 53, 9);
  p.tq.dtype = ATTNC_BF16;
  expectInvalid(p, "tensor 'q': expected dtype f32, got bf16");
  p.tq.dtype = ATTNC_F32;
  p.to.dtype = static_cast<attnc_dtype>(17);
  expectInvalid(p, "tensor 'o': expected dtype f32, got unknown (17)");
}

TEST_F(RuntimeCpu, Shapes) {
  Problem p(2, 37, 53, 10);
  p.tq.shape[1] = 3;
  expectInvalid(p, "tensor 'q': expected shape [2, 4, 37, 16], got [2, 3, 37, "
                   "16]");
  p.tq.shape[1] = 4;
  p.tk.shape[3] = 32;
  expectInvalid(p, "tensor 'k': expected shape [2, 2, 53, 16], got [2, 2, 53, "
                   "32]");
  p.tk.shape[3] = 16;
  p.tk.shape[1] = 4;
  expectInvalid(p, "tensor 'k': expected shape [2, 2, 53, 16], got [2, 4, 53, "
                   "16]");
  p.tk.shape[1] = 2;
  p.tv.shape[0] = 1;
  expectInvalid(p, "tensor 'v': expected shape [2, 2, 53, 8], got [1, 2, 53, "
                   "8]");
  p.tv.shape[0] = 2;
  p.tv.shape[2] = 52;
  expectInvalid(p, "tensor 'v': expected shape [2, 2, 53, 8], got [2, 2, 52, "
                   "8]");
  p.tv.shape[2] = 53;
  p.to.shape[2] = 36;
  expectInvalid(p, "tensor 'o': expected shape [2, 4, 37, 8], got [2, 4, 36, "
                   "8]");
}

TEST_F(RuntimeCpu, HeadsSecondOrderIsNamed) {
  // q given as [B, N, H, D] (SDPA's order): the error says so.
  Problem p(2, 37, 53, 12);
  p.tq.shape[1] = 37;
  p.tq.shape[2] = 4;
  expectInvalid(p, "tensor 'q': expected shape [2, 4, 4, 16], got [2, 37, 4, "
                   "16]; it looks like [B, N, H, D] order: attnc takes [B, H, "
                   "N, D] (swap dimensions 1 and 2, e.g. x.transpose(1, 2) in "
                   "PyTorch; a transposed view's strides are accepted without "
                   "a copy)");
}

/// A package whose spec said `require Nk % 2 == 1`: every launch checks it
/// before touching a tensor.
TEST(RuntimeRequirements, CheckedBeforeEveryLaunch) {
  TempDir dir;
  writePackage(
      dir.path,
      baseManifest()
          .set("requires", R"([{"text": "Nk % 2 == 1", "line": 7, )"
                           R"("program": "Nk,2,mod,1,eq"}])")
          .set("cuda", cudaSection().str())
          .str());
  attnc_package *pkg = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK)
      << attnc_last_error();
  Problem ok(2, 37, 53, 1);
  ASSERT_EQ(attnc_run_cpu(pkg, &ok.tq, &ok.tk, &ok.tv, &ok.to, &ok.tlse,
                          &ok.tdoc, 1),
            ATTNC_OK)
      << attnc_last_error();
  ok.expectMatchesReference();
  Problem bad(2, 37, 52, 2);
  const std::string message = "the inputs violate the spec's 'require Nk % 2 "
                              "== 1' (line 7): Nq = 37, Nk = 52";
  EXPECT_EQ(attnc_run_cpu(pkg, &bad.tq, &bad.tk, &bad.tv, &bad.to, &bad.tlse,
                          &bad.tdoc, 1),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()), message);
  EXPECT_TRUE(bad.outputsAreNaN());
  // CUDA refuses the call before it needs a driver.
  EXPECT_EQ(attnc_launch_cuda(pkg, &bad.tq, &bad.tk, &bad.tv, &bad.to,
                              &bad.tlse, &bad.tdoc, 1, nullptr),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()), message);
  attnc_package_close(pkg);
}

TEST_F(RuntimeCpu, NullData) {
  Problem p(2, 37, 53, 11);
  p.tv.data = nullptr;
  expectInvalid(p, "tensor 'v': data is null");
}

TEST_F(RuntimeCpu, Strides) {
  Problem p(2, 37, 53, 12);
  p.tk.strides[3] = 2;
  expectInvalid(p, "tensor 'k': the last stride must be 1, got 2");
  p.tk.strides[3] = 1;
  p.tq.strides[1] = -16;
  expectInvalid(p, "tensor 'q': strides must be positive, got [2368, -16, 64, "
                   "1]");
  p.tq.strides[1] = 0;
  expectInvalid(p, "tensor 'q': strides must be positive, got [2368, 0, 64, "
                   "1]");
}

TEST_F(RuntimeCpu, BroadcastOfExtentOneIsFine) {
  // A stride over an extent of 1 is never used, whatever its value.
  Problem p(1, 5, 9, 13);
  p.tk.strides[0] = 0;
  p.tv.strides[0] = 12345;
  ASSERT_EQ(run(p, &p.tlse), ATTNC_OK) << attnc_last_error();
  p.expectMatchesReference();
}

TEST_F(RuntimeCpu, OutputOverlap) {
  Problem p(2, 37, 53, 14);
  // Rows 4 elements apart but 8 wide.
  p.to.strides[0] = kH * 37 * kDv;
  p.to.strides[1] = 37 * kDv;
  p.to.strides[2] = 4;
  expectInvalid(p, "tensor 'o': strides [1184, 296, 4, 1] make distinct "
                   "elements overlap");
}

TEST_F(RuntimeCpu, AddressOverflow) {
  Problem p(2, 37, 53, 15);
  p.tq.strides[0] = 1LL << 62;
  expectInvalid(p, "tensor 'q': shape [2, 4, 37, 16] with strides "
                   "[4611686018427387904, 16, 64, 1] does not fit in the "
                   "address space");
}

TEST_F(RuntimeCpu, ElementAlignment) {
  Problem p(2, 37, 53, 16);
  p.tk.data = reinterpret_cast<char *>(p.k.data()) + 2;
  expectInvalid(p,
                "tensor 'k': data pointer " + pointerString(p.tk.data) +
                    " is not aligned to its 4-byte elements",
                nullptr, /*cudaToo=*/false);
  expectCudaInvalid(p, "tensor 'k': data pointer " + pointerString(p.tk.data) +
                           " is not 16-byte aligned (required for CUDA)");
}

TEST_F(RuntimeCpu, Lse) {
  Problem p(2, 37, 53, 17);
  attnc_tensor lse = p.tlse;
  lse.shape[2] = 36;
  expectInvalid(p, "tensor 'lse': expected shape [2, 4, 37], got [2, 4, 36]",
                &lse);
  lse = p.tlse;
  lse.dtype = ATTNC_BF16;
  expectInvalid(p, "tensor 'lse': expected dtype f32, got bf16", &lse);
  lse = p.tlse;
  lse.rank = 4;
  expectInvalid(p, "tensor 'lse': expected rank 3, got 4", &lse);
  lse = p.tlse;
  lse.strides[0] = 296;
  expectInvalid(p,
                "tensor 'lse': expected contiguous strides [148, 37, 1], "
                "got [296, 37, 1]",
                &lse);
}

TEST_F(RuntimeCpu, LseWithoutHasLse) {
  TempDir other;
  writePackage(other.path, baseManifest().set("has_lse", "false").str());
  attnc_package *noLse = nullptr;
  ASSERT_EQ(attnc_package_open(other.path.c_str(), &noLse), ATTNC_OK);
  Problem p(1, 5, 9, 18);
  EXPECT_EQ(
      attnc_run_cpu(noLse, &p.tq, &p.tk, &p.tv, &p.to, &p.tlse, &p.tdoc, 1),
      ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "tensor 'lse': package 'naive' has no lse "
                                   "output (has_lse is false); pass null");
  EXPECT_EQ(
      attnc_run_cpu(noLse, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
      ATTNC_OK);
  attnc_package_close(noLse);
}

TEST_F(RuntimeCpu, ParamCount) {
  Problem p(2, 37, 53, 19);
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, nullptr, 0),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "expected 1 param ('doc'), got 0");
  attnc_tensor two[2] = {p.tdoc, p.tdoc};
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, two, 2),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "expected 1 param ('doc'), got 2");
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, nullptr, 1),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(), "params is null, but num_params is 1");
  EXPECT_TRUE(p.outputsAreNaN());
}

TEST_F(RuntimeCpu, ParamTensor) {
  Problem p(2, 37, 53, 20);
  p.tdoc.dtype = ATTNC_F32;
  expectInvalid(p, "param 'doc': expected dtype i32, got f32");
  p.tdoc.dtype = ATTNC_I32;
  p.tdoc.shape[1] = 52;
  expectInvalid(p, "param 'doc': expected shape [2, 53], got [2, 52]");
  p.tdoc.shape[1] = 53;
  p.tdoc.rank = 4;
  expectInvalid(p, "param 'doc': expected rank 2, got 4");
  p.tdoc.rank = 2;
  p.tdoc.strides[0] = 64;
  expectInvalid(p, "param 'doc': expected contiguous strides [53, 1], got "
                   "[64, 1]");
  p.tdoc.strides[0] = 53;
  p.tdoc.data = nullptr;
  expectInvalid(p, "param 'doc': data is null");
}

TEST_F(RuntimeCpu, CudaAlignment) {
  Problem p(2, 37, 53, 21);
  // Fine for the CPU (4-byte aligned), not for 16-byte vector loads.
  p.tq.data = p.q.data() + 1;
  expectCudaInvalid(p, "tensor 'q': data pointer " + pointerString(p.tq.data) +
                           " is not 16-byte aligned (required for CUDA)");
  p.tq.data = p.q.data();
  // Rows of 17 floats: 68 bytes apart.
  p.tk.strides[0] = kG * 53 * 20;
  p.tk.strides[1] = 53 * 20;
  p.tk.strides[2] = 17;
  expectCudaInvalid(p, "tensor 'k': stride 2 is 17 elements (68 bytes), not "
                       "a multiple of 16 bytes (required for CUDA)");
  // The CPU takes it.
  Buffer<float> padded(2 * kG * 53 * 20);
  for (size_t i = 0; i < padded.size(); ++i)
    padded[i] = 0.5f;
  p.tk.data = padded.data();
  EXPECT_EQ(run(p, &p.tlse), ATTNC_OK) << attnc_last_error();
}

//===----------------------------------------------------------------------===//
// The linear family's recurrent state (attnc_run_cpu_state)
//===----------------------------------------------------------------------===//

constexpr long long kF = 6;

/// The fixture as a causal linear package with normalize sum, F = 6, whose
/// CPU entry is attnc_naive_state_cpu.
JsonObject linearManifest(const std::string &normalize = "sum") {
  return baseManifest()
      .set("name", "\"lin\"")
      .set("family", "\"linear\"")
      .set("normalize", "\"" + normalize + "\"")
      .set("has_lse", "false")
      .set("feature_dim", std::to_string(kF))
      .set("has_state", "true")
      .set("cpu", R"({"library": "libnaive.cpu.so", )"
                  R"("entry": "attnc_naive_state_cpu"})");
}

/// State buffers for a Problem: in and out, S [B, H, F, Dv] and z [B, H, F].
struct StateBuffers {
  Buffer<float> sIn, sOut, zIn, zOut;
  attnc_tensor tsIn, tsOut, tzIn, tzOut;

  explicit StateBuffers(long long B)
      : sIn(B * kH * kF * kDv), sOut(B * kH * kF * kDv), zIn(B * kH * kF),
        zOut(B * kH * kF) {
    for (size_t i = 0; i < sIn.size(); ++i)
      sIn[i] = 0.25f * static_cast<float>(i % 97);
    for (size_t i = 0; i < zIn.size(); ++i)
      zIn[i] = 0.5f + static_cast<float>(i % 13);
    fillOutputs(NAN);
    tsIn = makeTensor(sIn.data(), ATTNC_F32, {B, kH, kF, kDv});
    tsOut = makeTensor(sOut.data(), ATTNC_F32, {B, kH, kF, kDv});
    tzIn = makeTensor(zIn.data(), ATTNC_F32, {B, kH, kF});
    tzOut = makeTensor(zOut.data(), ATTNC_F32, {B, kH, kF});
  }

  void fillOutputs(float value) {
    for (size_t i = 0; i < sOut.size(); ++i)
      sOut[i] = value;
    for (size_t i = 0; i < zOut.size(); ++i)
      zOut[i] = value;
  }

  bool outputsAreNaN() const {
    for (size_t i = 0; i < sOut.size(); ++i)
      if (!std::isnan(sOut[i]))
        return false;
    for (size_t i = 0; i < zOut.size(); ++i)
      if (!std::isnan(zOut[i]))
        return false;
    return true;
  }

  attnc_linear_state all() const { return {&tsIn, &tsOut, &tzIn, &tzOut}; }
};

class RuntimeState : public RuntimeCpu {
protected:
  void SetUp() override {
    writePackage(dir.path,
                 linearManifest().set("cuda", linearCudaSection().str()).str());
    ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK)
        << attnc_last_error();
  }

  int runState(Problem &p, const attnc_linear_state *state,
               attnc_package *package = nullptr) {
    return attnc_run_cpu_state(package ? package : pkg, &p.tq, &p.tk, &p.tv,
                               &p.to, nullptr, &p.tdoc, 1, state);
  }

  /// Expects the CPU and the CUDA entry points to reject `state` with
  /// `message` before anything is written.
  void expectStateInvalid(Problem &p, StateBuffers &s,
                          const attnc_linear_state &state,
                          const std::string &message,
                          attnc_package *package = nullptr) {
    EXPECT_EQ(runState(p, &state, package), ATTNC_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(attnc_last_error()), message);
    EXPECT_TRUE(p.outputsAreNaN());
    EXPECT_TRUE(s.outputsAreNaN());
    EXPECT_EQ(attnc_launch_cuda_state(package ? package : pkg, &p.tq, &p.tk,
                                      &p.tv, &p.to, nullptr, &p.tdoc, 1, &state,
                                      nullptr),
              ATTNC_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(std::string(attnc_last_error()), message);
  }

  /// Opens another package, with CUDA code, in a directory of its own.
  attnc_package *openOther(TempDir &where, JsonObject manifest) {
    JsonObject cuda = manifest.get("family") == "\"linear\""
                          ? linearCudaSection()
                          : cudaSection();
    writePackage(where.path, manifest.set("cuda", cuda.str()).str());
    attnc_package *other = nullptr;
    EXPECT_EQ(attnc_package_open(where.path.c_str(), &other), ATTNC_OK)
        << attnc_last_error();
    return other;
  }
};

TEST_F(RuntimeState, Queries) {
  EXPECT_EQ(attnc_package_has_state(pkg), 1);
  EXPECT_EQ(attnc_package_feature_dim(pkg), kF);
  EXPECT_STREQ(attnc_package_family(pkg), "linear");
}

TEST_F(RuntimeState, PassesTheStateThrough) {
  Problem p(2, 5, 9, 40);
  StateBuffers s(2);
  attnc_linear_state all = s.all();
  ASSERT_EQ(runState(p, &all), ATTNC_OK) << attnc_last_error();
  for (size_t i = 0; i < s.sOut.size(); ++i)
    ASSERT_EQ(s.sOut[i], s.sIn[i] + 9.0f) << i;
  for (size_t i = 0; i < s.zOut.size(); ++i)
    ASSERT_EQ(s.zOut[i], s.zIn[i] + 1.0f) << i;
  EXPECT_EQ(p.o[0], 0.0f);

  // Without an initial state the kernel sees null and starts from zero.
  s.fillOutputs(NAN);
  attnc_linear_state outOnly = {nullptr, &s.tsOut, nullptr, &s.tzOut};
  ASSERT_EQ(runState(p, &outOnly), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(s.sOut[0], 9.0f);
  EXPECT_EQ(s.zOut[0], 1.0f);

  // In place: state_out may be state_in.
  float first = s.sIn[7];
  attnc_linear_state inPlace = {&s.tsIn, &s.tsIn, &s.tzIn, &s.tzIn};
  ASSERT_EQ(runState(p, &inPlace), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(s.sIn[7], first + 9.0f);

  // No state at all: a null struct, one of nulls, or the plain entry point.
  attnc_linear_state none = {nullptr, nullptr, nullptr, nullptr};
  EXPECT_EQ(runState(p, nullptr), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(runState(p, &none), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(run(p, nullptr), ATTNC_OK) << attnc_last_error();
}

TEST_F(RuntimeState, Tensors) {
  Problem p(2, 5, 9, 41);
  StateBuffers s(2);
  attnc_linear_state all = s.all();
  s.tsIn.shape[2] = kF - 1;
  expectStateInvalid(p, s, all,
                     "tensor 'state_in': expected shape [2, 4, 6, 8], got "
                     "[2, 4, 5, 8]");
  s.tsIn.shape[2] = kF;
  s.tsIn.dtype = ATTNC_BF16;
  expectStateInvalid(p, s, all,
                     "tensor 'state_in': expected dtype f32, got bf16");
  s.tsIn.dtype = ATTNC_F32;
  s.tsOut.shape[0] = 1;
  expectStateInvalid(p, s, all,
                     "tensor 'state_out': expected shape [2, 4, 6, 8], got "
                     "[1, 4, 6, 8]");
  s.tsOut.shape[0] = 2;
  s.tsOut.strides[1] = 64;
  expectStateInvalid(p, s, all,
                     "tensor 'state_out': expected contiguous strides [192, "
                     "48, 8, 1], got [192, 64, 8, 1]");
  s.tsOut.strides[1] = 48;
  s.tzIn.rank = 4;
  expectStateInvalid(p, s, all, "tensor 'z_in': expected rank 3, got 4");
  s.tzIn.rank = 3;
  s.tzOut.shape[2] = kF + 1;
  expectStateInvalid(p, s, all,
                     "tensor 'z_out': expected shape [2, 4, 6], got [2, 4, "
                     "7]");
  s.tzOut.shape[2] = kF;
  s.tzOut.data = nullptr;
  expectStateInvalid(p, s, all, "tensor 'z_out': data is null");
  s.tzOut.data = s.zOut.data();
  s.tsIn.data = reinterpret_cast<char *>(s.sIn.data()) + 2;
  expectStateInvalid(p, s, all,
                     "tensor 'state_in': data pointer " +
                         pointerString(s.tsIn.data) +
                         " is not aligned to its 4-byte elements");
}

TEST_F(RuntimeState, NormalizerTravelsWithTheState) {
  Problem p(1, 5, 9, 42);
  StateBuffers s(1);
  attnc_linear_state noZIn = {&s.tsIn, nullptr, nullptr, nullptr};
  expectStateInvalid(p, s, noZIn,
                     "tensor 'z_in' is null, but 'state_in' is given; "
                     "package 'lin' normalizes by sum, so pass the state and "
                     "its normalizer together");
  attnc_linear_state noStateOut = {nullptr, nullptr, nullptr, &s.tzOut};
  expectStateInvalid(p, s, noStateOut,
                     "tensor 'state_out' is null, but 'z_out' is given; "
                     "package 'lin' normalizes by sum, so pass the state and "
                     "its normalizer together");

  // With normalize none there is no z: S alone, and z is an error.
  TempDir other;
  attnc_package *none = openOther(other, linearManifest("none"));
  ASSERT_NE(none, nullptr);
  attnc_linear_state stateOnly = {&s.tsIn, &s.tsOut, nullptr, nullptr};
  ASSERT_EQ(runState(p, &stateOnly, none), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(s.sOut[0], s.sIn[0] + 9.0f);
  s.fillOutputs(NAN);
  p.fillOutputs(NAN);
  attnc_linear_state all = s.all();
  expectStateInvalid(p, s, all,
                     "tensor 'z_in': package 'lin' has no normalizer state "
                     "(normalize is \"none\"); pass null",
                     none);
  attnc_package_close(none);
}

TEST_F(RuntimeState, OnlyCausalLinearPackagesHaveOne) {
  Problem p(1, 5, 9, 43);
  StateBuffers s(1);
  attnc_linear_state outOnly = {nullptr, &s.tsOut, nullptr, &s.tzOut};
  TempDir softmaxDir, bidirDir;
  attnc_package *softmax = openOther(softmaxDir, baseManifest());
  ASSERT_NE(softmax, nullptr);
  expectStateInvalid(p, s, outOnly,
                     "tensor 'state_out': package 'naive' has no recurrent "
                     "state (has_state is false: softmax family); pass null",
                     softmax);
  attnc_package_close(softmax);
  attnc_package *bidir =
      openOther(bidirDir, linearManifest().set("has_state", "false"));
  ASSERT_NE(bidir, nullptr);
  attnc_linear_state zOnly = {nullptr, nullptr, &s.tzIn, nullptr};
  expectStateInvalid(p, s, zOnly,
                     "tensor 'z_in': package 'lin' has no recurrent state "
                     "(has_state is false: bidirectional); pass null",
                     bidir);
  attnc_package_close(bidir);
}

TEST_F(RuntimeState, CppWrapper) {
  attnc::Package cpp;
  ASSERT_TRUE(attnc::Package::open(dir.path, cpp).ok);
  EXPECT_TRUE(cpp.hasState());
  EXPECT_EQ(cpp.featureDim(), kF);
  Problem p(2, 5, 9, 44);
  StateBuffers s(2);
  auto q = attnc::Tensor(p.tq), k = attnc::Tensor(p.tk),
       v = attnc::Tensor(p.tv), o = attnc::Tensor(p.to),
       doc = attnc::Tensor(p.tdoc);
  auto sIn =
      attnc::Tensor::contiguous(s.sIn.data(), ATTNC_F32, {2, kH, kF, kDv});
  auto sOut =
      attnc::Tensor::contiguous(s.sOut.data(), ATTNC_F32, {2, kH, kF, kDv});
  auto zIn = attnc::Tensor::contiguous(s.zIn.data(), ATTNC_F32, {2, kH, kF});
  auto zOut = attnc::Tensor::contiguous(s.zOut.data(), ATTNC_F32, {2, kH, kF});
  attnc::LinearState state;
  state.stateIn = &sIn;
  state.stateOut = &sOut;
  state.zIn = &zIn;
  state.zOut = &zOut;
  attnc::Status ran = cpp.runCpu(q, k, v, o, nullptr, {doc}, state);
  ASSERT_TRUE(ran.ok) << ran.message;
  EXPECT_EQ(s.sOut[3], s.sIn[3] + 9.0f);
  EXPECT_EQ(s.zOut[3], s.zIn[3] + 1.0f);
  state.zIn = nullptr;
  attnc::Status unpaired = cpp.runCpu(q, k, v, o, nullptr, {doc}, state);
  EXPECT_EQ(unpaired.code, ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_TRUE(startsWith(unpaired.message, "tensor 'z_in' is null"))
      << unpaired.message;
  state.zIn = &zIn;
  // No driver is needed to fail the checks of a CUDA launch.
  state.stateIn = &zIn;
  attnc::Status cuda = cpp.launchCuda(q, k, v, o, nullptr, {doc}, state);
  EXPECT_EQ(cuda.message, "tensor 'state_in': expected rank 4, got 3");
}

//===----------------------------------------------------------------------===//
// Loading the CPU library
//===----------------------------------------------------------------------===//

TEST(RuntimeCpuLoad, MissingSymbol) {
  // An entry the library lacks has no signature either: the library is
  // refused before any entry is resolved.
  TempDir dir;
  writePackage(dir.path, baseManifest()
                             .set("cpu", R"({"library": "libnaive.cpu.so", )"
                                         R"("entry": "attnc_missing"})")
                             .str());
  attnc_package *pkg = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  Problem p(1, 3, 3, 22);
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
            ATTNC_ERROR_SIGNATURE);
  EXPECT_EQ(std::string(attnc_last_error()),
            "package 'naive': the CPU library '" +
                fs::canonical(dir.path).string() +
                "/libnaive.cpu.so' has no symbol 'attnc_missing_signature' "
                "(the signature the compiler writes into every kernel; "
                "recompile the package)");
  attnc_package_close(pkg);

  // A verified library without the block-mask builder the manifest names
  // (another directory: the refused library stays mapped, RTLD_NODELETE).
  TempDir other;
  writePackage(other.path,
               baseManifest()
                   .set("cpu", R"({"library": "libnaive.cpu.so", )"
                               R"("entry": "attnc_naive_cpu", )"
                               R"("block_mask_entry": "attnc_no_builder", )"
                               R"("block_mask_heads": 1})")
                   .str());
  ASSERT_EQ(attnc_package_open(other.path.c_str(), &pkg), ATTNC_OK);
  attnc_block_mask *mask = nullptr;
  EXPECT_EQ(attnc_block_mask_build_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.tdoc, 1,
                                       &mask),
            ATTNC_ERROR_LOAD);
  EXPECT_EQ(std::string(attnc_last_error()),
            "the CPU library '" + fs::canonical(other.path).string() +
                "/libnaive.cpu.so' has no symbol 'attnc_no_builder'");
  attnc_package_close(pkg);
}

//===----------------------------------------------------------------------===//
// Verifying a package against its kernel (docs/runtime.md, "Kernel
// signatures")
//===----------------------------------------------------------------------===//

/// Writes the fixture package for `compiled`, then replaces its manifest by
/// `edited`, as a user editing manifest.json by hand would; runs the CPU
/// entry on a problem of the compiled shape and returns the status, with
/// the message in `message`. o and lse must stay untouched on failure.
int runEdited(const JsonObject &compiled, const JsonObject &edited,
              std::string &message) {
  TempDir dir;
  writePackage(dir.path, compiled.str());
  writeFile(dir.path + "/manifest.json", edited.str());
  attnc_package *pkg = nullptr;
  int status = attnc_package_open(dir.path.c_str(), &pkg);
  if (status != ATTNC_OK) {
    message = attnc_last_error();
    return status;
  }
  const int H = attnc_package_heads(pkg), G = attnc_package_kv_heads(pkg);
  const int D = attnc_package_head_dim(pkg), Dv = attnc_package_value_dim(pkg);
  // Tensors shaped after the edited manifest, so that the argument checks
  // pass and only the signature can stop the call.
  const long long B = 1, N = 5;
  std::vector<float> q(B * H * N * D, 0.5f), k(B * G * N * D, 0.25f),
      v(B * G * N * Dv, 1.0f), o(B * H * N * Dv, -7.0f), lse(B * H * N, -7.0f);
  // The param shaped by the edited manifest's dims as well.
  std::vector<long long> docShape;
  attnc_param_info info{};
  if (attnc_package_num_params(pkg) > 0 &&
      attnc_package_param(pkg, 0, &info) == ATTNC_OK)
    for (const char *c = info.dims; *c; ++c)
      docShape.push_back(*c == 'b' ? B : *c == 'h' ? H : *c == 'n' ? N : D);
  long long docSize = 1;
  for (long long d : docShape)
    docSize *= d;
  std::vector<int> doc(docSize, 0);
  attnc_dtype dt = attnc_package_dtype(pkg);
  attnc_tensor tq = makeTensor(q.data(), dt, {B, H, N, D});
  attnc_tensor tk = makeTensor(k.data(), dt, {B, G, N, D});
  attnc_tensor tv = makeTensor(v.data(), dt, {B, G, N, Dv});
  attnc_tensor to = makeTensor(o.data(), dt, {B, H, N, Dv});
  attnc_tensor tl = makeTensor(lse.data(), ATTNC_F32, {B, H, N});
  attnc_tensor td = makeTensor(doc.data(), ATTNC_I32,
                              docShape.empty() ? std::vector<long long>{1}
                                               : docShape);
  status = attnc_run_cpu(pkg, &tq, &tk, &tv, &to,
                         attnc_package_has_lse(pkg) ? &tl : nullptr, &td,
                         attnc_package_num_params(pkg));
  message = attnc_last_error();
  if (status != ATTNC_OK) {
    for (float x : o)
      EXPECT_EQ(x, -7.0f);
    for (float x : lse)
      EXPECT_EQ(x, -7.0f);
  }
  attnc_package_close(pkg);
  return status;
}

TEST(RuntimeSignature, MatchingManifestRuns) {
  std::string message;
  EXPECT_EQ(runEdited(baseManifest(), baseManifest(), message), ATTNC_OK)
      << message;
}

TEST(RuntimeSignature, EditedManifestIsRefused) {
  const std::string lib = "the CPU library 'libnaive.cpu.so'";
  const std::string tail =
      " (the manifest does not belong to this kernel; recompile the package)";
  const std::pair<JsonObject, std::string> cases[] = {
      {baseManifest().set("heads", "8"),
       "manifest.json says heads 8, but " + lib + " was compiled for heads 4"},
      {baseManifest().set("heads", "2").set("kv_heads", "1"),
       "manifest.json says heads 2, but " + lib + " was compiled for heads 4"},
      {baseManifest().set("head_dim", "8"),
       "manifest.json says head_dim 8, but " + lib +
           " was compiled for head_dim 16"},
      {baseManifest().set("value_dim", "64"),
       "manifest.json says value_dim 64, but " + lib +
           " was compiled for value_dim 8"},
      {baseManifest().set("kv_heads", "4"),
       "manifest.json says kv_heads 4, but " + lib +
           " was compiled for kv_heads 2"},
      {baseManifest().set("dtype", "\"f16\""),
       "manifest.json says dtype f16, but " + lib +
           " was compiled for dtype f32"},
      {baseManifest().set("has_lse", "false"),
       "manifest.json says has_lse 0, but " + lib +
           " was compiled for has_lse 1"},
      {baseManifest().set("params",
                          R"([{"name": "doc", "dtype": "i32", "dims": "bhn"}])"),
       "manifest.json says params doc:i32:bhn, but " + lib +
           " was compiled for params doc:i32:bn"},
      {baseManifest().set("schedule", R"({"block_q": 32, "block_k": 16, )"
                                      R"("warps": 4, "stages": 2, "chunk": 0})"),
       "manifest.json says schedule 32,16,4,2,0, but " + lib +
           " was compiled for schedule 16,16,4,2,0"},
      {baseManifest().set("spec_hash", "\"0123456789abcdef\""),
       "manifest.json says spec_hash 0123456789abcdef, but " + lib +
           " was compiled for spec_hash 9f2c0a1b3d4e5f60"},
  };
  for (const auto &[edited, why] : cases) {
    std::string message;
    EXPECT_EQ(runEdited(baseManifest(), edited, message),
              ATTNC_ERROR_SIGNATURE)
        << edited.str();
    EXPECT_EQ(message, "package 'naive': " + why + tail);
  }
  // Without params the call passes no param: the kernel's param is gone.
  std::string message;
  EXPECT_EQ(runEdited(baseManifest(), baseManifest().set("params", "[]"),
                      message),
            ATTNC_ERROR_SIGNATURE);
  EXPECT_EQ(message, "package 'naive': manifest.json says params (none), but " +
                         lib + " was compiled for params doc:i32:bn" + tail);
}

TEST(RuntimeSignature, RequirementsCannotBeDropped) {
  // The spec's `require` conditions are part of the signature: a manifest
  // edited to drop (or change) one does not run.
  const JsonObject compiled = baseManifest().set(
      "requires",
      R"([{"text": "Nk == 5", "line": 4, "program": "Nk,5,eq"}])");
  std::string message;
  EXPECT_EQ(runEdited(compiled, compiled, message), ATTNC_OK) << message;
  EXPECT_EQ(runEdited(compiled, baseManifest(), message),
            ATTNC_ERROR_SIGNATURE);
  EXPECT_EQ(message,
            "package 'naive': manifest.json says requires (none), but the CPU "
            "library 'libnaive.cpu.so' was compiled for requires Nk,5,eq (the "
            "manifest does not belong to this kernel; recompile the package)");
}

TEST(RuntimeSignature, BadOrMissingSignature) {
  TempDir dir;
  writePackage(dir.path, baseManifest().str());
  // A library that is not attnc's: its signature text is something else.
  const std::string path = dir.path + "/libnaive.cpu.so";
  std::string bytes = readText(path);
  size_t at = bytes.find("attnc-signature 1;");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 15, "not-a-signature");
  writeFile(path, bytes);
  writeFile(dir.path + "/manifest.json", baseManifest().str());
  attnc_package *pkg = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  Problem p(1, 3, 3, 22);
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
            ATTNC_ERROR_SIGNATURE);
  EXPECT_TRUE(startsWith(attnc_last_error(),
                         "package 'naive': the CPU library 'libnaive.cpu.so' "
                         "carries no valid attnc signature, got "
                         "\"not-a-signature"))
      << attnc_last_error();
  attnc_package_close(pkg);
}

TEST(RuntimeSignature, CompareFunction) {
  // The comparison the CPU and CUDA loaders share, on its own.
  Manifest m;
  ASSERT_FALSE(parseManifest(baseManifest().str(), m).failed());
  const std::string sig = expectedSignature(m, SignatureTarget::Cpu);
  EXPECT_EQ(sig, "attnc-signature 1;abi_version=" +
                     std::to_string(ATTNC_ABI_VERSION) +
                     ";name=naive;family=softmax;"
                 "dtype=f32;heads=4;kv_heads=2;head_dim=16;value_dim=8;"
                 "normalize=softmax;has_lse=1;feature_dim=0;has_state=0;"
                 "params=doc:i32:bn;schedule=16,16,4,2,0;block_mask_heads=0;"
                 "backward=0;requires=;"
                 "spec_hash=9f2c0a1b3d4e5f60");
  EXPECT_FALSE(checkSignature(m, SignatureTarget::Cpu, sig, "k").failed());
  // Fields the runtime does not know are ignored; missing ones are not.
  EXPECT_FALSE(
      checkSignature(m, SignatureTarget::Cpu, sig + ";future=1", "k").failed());
  std::string noHash = sig.substr(0, sig.find(";spec_hash="));
  Error e = checkSignature(m, SignatureTarget::Cuda, noHash, "the kernel 'k'");
  EXPECT_EQ(e.code, ATTNC_ERROR_SIGNATURE);
  EXPECT_EQ(e.message, "package 'naive': the kernel 'k' has no 'spec_hash' in "
                       "its signature (recompile the package)");
  for (const char *bad : {"", "attnc-signature 2;heads=4", "attnc-signature 1;",
                          "attnc-signature 1;heads", "attnc-signature 1;=4",
                          "attnc-signature 1;heads=4;heads=4"}) {
    e = checkSignature(m, SignatureTarget::Cpu, bad, "k");
    EXPECT_EQ(e.code, ATTNC_ERROR_SIGNATURE) << bad;
    EXPECT_TRUE(startsWith(e.message,
                           "package 'naive': k carries no valid attnc signature"))
        << e.message;
  }
  // The CUDA module's signature holds the CUDA builder's heads.
  ASSERT_FALSE(parseManifest(baseManifest()
                                 .set("cuda", cudaSection()
                                                  .set("block_mask_kernel",
                                                       "\"attnc_naive_bm\"")
                                                  .set("block_mask_csr_kernel",
                                                       "\"attnc_naive_csr\"")
                                                  .set("block_mask_heads", "4")
                                                  .set("prologue_threads", "256")
                                                  .str())
                                 .str(),
                             m)
                   .failed());
  std::string cuda = expectedSignature(m, SignatureTarget::Cuda);
  EXPECT_NE(cuda.find(";block_mask_heads=4;"), std::string::npos) << cuda;
  e = checkSignature(m, SignatureTarget::Cuda, sig, "the CUDA kernel");
  EXPECT_EQ(e.message,
            "package 'naive': manifest.json says block_mask_heads 4, but the "
            "CUDA kernel was compiled for block_mask_heads 0 (the manifest "
            "does not belong to this kernel; recompile the package)");
}

TEST(RuntimeSignature, EntryNamesArePrefixed) {
  // libc's functions are reachable through the library's dependencies; a
  // manifest may name only attnc's kernels.
  for (const char *entry : {"abort", "exit", "puts", "attnc_", "Attnc_x"}) {
    Manifest m;
    Error e = parseManifest(
        baseManifest()
            .set("cpu", std::string(R"({"library": "l.so", "entry": ")") +
                            entry + "\"}")
            .str(),
        m);
    EXPECT_EQ(e.code, ATTNC_ERROR_MANIFEST) << entry;
    EXPECT_EQ(e.message, std::string("manifest.json: 'cpu.entry' must be an "
                                     "attnc kernel name (starting with "
                                     "\"attnc_\"), got \"") +
                             entry + "\"");
  }
  Manifest m;
  Error e = parseManifest(
      baseManifest().set("cuda", cudaSection().set("kernel", "\"exit\"").str())
          .str(),
      m);
  EXPECT_EQ(e.message, "manifest.json: 'cuda.kernel' must be an attnc kernel "
                       "name (starting with \"attnc_\"), got \"exit\"");
}

TEST(RuntimeSignature, SymbolsOfDependenciesAreRefused) {
  // dlsym on the library's handle also finds its dependencies' symbols; the
  // fixture links libattnc_test_dep (Inputs/DependencyOfKernel.cpp), which
  // defines attnc_dep_entry and a signature for it. Neither may be used.
  TempDir dir;
  writePackage(dir.path, baseManifest()
                             .set("cpu", R"({"library": "libnaive.cpu.so", )"
                                         R"("entry": "attnc_dep_entry"})")
                             .str());
  attnc_package *pkg = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  Problem p(1, 3, 3, 22);
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
            ATTNC_ERROR_SIGNATURE);
  const std::string lib = fs::canonical(dir.path).string() + "/libnaive.cpu.so";
  EXPECT_EQ(std::string(attnc_last_error()),
            "package 'naive': the CPU library '" + lib +
                "' does not define 'attnc_dep_entry_signature' itself (found "
                "in '" ATTNC_TEST_DEP_LIBRARY
                "'); entries must be the package's own symbols (the signature "
                "the compiler writes into every kernel; recompile the "
                "package)");
  attnc_package_close(pkg);

  // The block-mask builder is looked up after the library is verified.
  TempDir other;
  const std::string otherLib =
      fs::canonical(other.path).string() + "/libnaive.cpu.so";
  writePackage(other.path,
               baseManifest()
                   .set("cpu", R"({"library": "libnaive.cpu.so", )"
                               R"("entry": "attnc_naive_cpu", )"
                               R"("block_mask_entry": "attnc_dep_entry", )"
                               R"("block_mask_heads": 1})")
                   .str());
  ASSERT_EQ(attnc_package_open(other.path.c_str(), &pkg), ATTNC_OK);
  attnc_block_mask *mask = nullptr;
  EXPECT_EQ(attnc_block_mask_build_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.tdoc, 1,
                                       &mask),
            ATTNC_ERROR_LOAD);
  EXPECT_EQ(std::string(attnc_last_error()),
            "the CPU library '" + otherLib +
                "' does not define 'attnc_dep_entry' itself (found in '" ATTNC_TEST_DEP_LIBRARY
                "'); entries must be the package's own symbols");
  EXPECT_EQ(mask, nullptr);
  attnc_package_close(pkg);
}

TEST(RuntimeSignature, SymlinkOutsideThePackageIsRefused) {
  TempDir dir, outside;
  writePackage(outside.path, baseManifest().str());
  writePackage(dir.path, baseManifest().str());
  fs::remove(dir.path + "/libnaive.cpu.so");
  fs::create_symlink(outside.path + "/libnaive.cpu.so",
                     dir.path + "/libnaive.cpu.so");
  attnc_package *pkg = nullptr;
  EXPECT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_ERROR_IO);
  EXPECT_EQ(pkg, nullptr);
  const std::string real = fs::canonical(dir.path).string();
  EXPECT_EQ(std::string(attnc_last_error()),
            real + "/manifest.json: 'cpu.library' names 'libnaive.cpu.so', "
                   "which resolves to '" +
                fs::canonical(outside.path).string() +
                "/libnaive.cpu.so', outside the package directory '" + real +
                "'");
  // A symlink inside the package is fine.
  fs::remove(dir.path + "/libnaive.cpu.so");
  fs::copy_file(outside.path + "/libnaive.cpu.so", dir.path + "/real.so");
  fs::create_symlink("real.so", dir.path + "/libnaive.cpu.so");
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK)
      << attnc_last_error();
  Problem p(1, 3, 3, 22);
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
            ATTNC_OK)
      << attnc_last_error();
  attnc_package_close(pkg);
  // So is the manifest itself.
  fs::remove(dir.path + "/manifest.json");
  fs::create_symlink(outside.path + "/manifest.json",
                     dir.path + "/manifest.json");
  EXPECT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_ERROR_IO);
  EXPECT_EQ(std::string(attnc_last_error()),
            "'manifest.json' resolves to '" +
                fs::canonical(outside.path).string() +
                "/manifest.json', outside the package directory '" + real +
                "'");
}

TEST(RuntimeCpuLoad, NotALibrary) {
  TempDir dir;
  writePackage(dir.path, baseManifest().str());
  writeFile(dir.path + "/libnaive.cpu.so", "not an ELF file");
  attnc_package *pkg = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  Problem p(1, 3, 3, 23);
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
            ATTNC_ERROR_LOAD);
  std::string prefix = "cannot load the CPU library '" +
                       fs::canonical(dir.path).string() + "/libnaive.cpu.so': ";
  EXPECT_TRUE(startsWith(attnc_last_error(), prefix)) << attnc_last_error();
  attnc_package_close(pkg);
}

TEST(RuntimeCpuLoad, NoCode) {
  TempDir dir;
  writePackage(
      dir.path,
      baseManifest().erase("cpu").set("cuda", cudaSection().str()).str());
  attnc_package *pkg = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  Problem p(1, 3, 3, 24);
  EXPECT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc, 1),
            ATTNC_ERROR_UNSUPPORTED);
  EXPECT_STREQ(attnc_last_error(), "package 'naive' has no CPU code");
  attnc_package_close(pkg);

  writePackage(dir.path, baseManifest().str());
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  EXPECT_EQ(attnc_launch_cuda(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc,
                              1, nullptr),
            ATTNC_ERROR_UNSUPPORTED);
  EXPECT_STREQ(attnc_last_error(), "package 'naive' has no CUDA code");
  EXPECT_EQ(attnc_prepare_cuda(pkg, nullptr), ATTNC_ERROR_UNSUPPORTED);
  attnc_package_close(pkg);
}

//===----------------------------------------------------------------------===//
// The C++ wrapper
//===----------------------------------------------------------------------===//

TEST(RuntimeCpp, OpenQueryRun) {
  TempDir dir;
  writePackage(dir.path, baseManifest().str());
  attnc::Package pkg;
  EXPECT_FALSE(pkg.isOpen());
  attnc::Status bad = attnc::Package::open(dir.path + "/nope", pkg);
  EXPECT_FALSE(bad.ok);
  EXPECT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(bad.code, ATTNC_ERROR_IO);
  EXPECT_TRUE(startsWith(bad.message, "cannot open package")) << bad.message;

  attnc::Status s = attnc::Package::open(dir.path, pkg);
  ASSERT_TRUE(s.ok) << s.message;
  EXPECT_EQ(pkg.name(), "naive");
  EXPECT_EQ(pkg.family(), "softmax");
  EXPECT_EQ(pkg.dtype(), ATTNC_F32);
  EXPECT_EQ(pkg.heads(), 4);
  EXPECT_EQ(pkg.kvHeads(), 2);
  EXPECT_EQ(pkg.headDim(), 16);
  EXPECT_EQ(pkg.valueDim(), 8);
  EXPECT_TRUE(pkg.hasLse());
  EXPECT_TRUE(pkg.hasCpu());
  EXPECT_FALSE(pkg.hasCuda());
  std::vector<attnc::ParamInfo> params = pkg.params();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].name, "doc");
  EXPECT_EQ(params[0].dims, "bn");
  EXPECT_EQ(pkg.schedule().block_q, 16);

  Problem p(2, 37, 53, 25);
  auto q = attnc::Tensor::strided(p.q.data(), ATTNC_F32, {2, kH, 37, kD},
                                  {37 * kH * kD, kD, kH * kD, 1});
  auto k = attnc::Tensor::contiguous(p.k.data(), ATTNC_F32, {2, kG, 53, kD});
  auto v = attnc::Tensor::contiguous(p.v.data(), ATTNC_F32, {2, kG, 53, kDv});
  auto o = attnc::Tensor::strided(p.o.data(), ATTNC_F32, {2, kH, 37, kDv},
                                  {37 * kH * kDv, kDv, kH * kDv, 1});
  auto lse = attnc::Tensor::contiguous(p.lse.data(), ATTNC_F32, {2, kH, 37});
  auto doc = attnc::Tensor::contiguous(p.doc.data(), ATTNC_I32, {2, 53});
  EXPECT_EQ(k.stride(0), kG * 53 * kD);

  attnc::Status missing = pkg.runCpu(q, k, v, o, &lse);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.code, ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(missing.message, "expected 1 param ('doc'), got 0");

  attnc::Status ran = pkg.runCpu(q, k, v, o, &lse, {doc});
  ASSERT_TRUE(ran.ok) << ran.message;
  p.expectMatchesReference();

  // Moves transfer ownership; the moved-from wrapper is empty.
  attnc::Package moved = std::move(pkg);
  EXPECT_FALSE(pkg.isOpen());
  EXPECT_TRUE(moved.isOpen());
  EXPECT_EQ(moved.name(), "naive");
  EXPECT_EQ(pkg.name(), "");

  attnc::Status cuda = moved.launchCuda(q, k, v, o, &lse, {doc});
  EXPECT_EQ(cuda.code, ATTNC_ERROR_UNSUPPORTED);

  // Packed batches (docs/runtime.md §3e): the fixture's plan is not ragged
  // (its manifest has no cpu.ragged), so the wrappers reach the refusal.
  EXPECT_FALSE(moved.hasRaggedCpu());
  EXPECT_FALSE(moved.hasRaggedCuda());
  std::vector<int> cuQ = {0, 37}, cuK = {0, 53};
  auto cq = attnc::Tensor::contiguous(cuQ.data(), ATTNC_I32, {2});
  auto ck = attnc::Tensor::contiguous(cuK.data(), ATTNC_I32, {2});
  auto q3 = attnc::Tensor::contiguous(p.q.data(), ATTNC_F32, {37, kH, kD});
  auto k3 = attnc::Tensor::contiguous(p.k.data(), ATTNC_F32, {53, kG, kD});
  auto v3 = attnc::Tensor::contiguous(p.v.data(), ATTNC_F32, {53, kG, kDv});
  auto o3 = attnc::Tensor::contiguous(p.o.data(), ATTNC_F32, {37, kH, kDv});
  attnc::Status ragged =
      moved.runCpuVarlen(q3, k3, v3, o3, nullptr, {doc}, cq, ck);
  EXPECT_EQ(ragged.code, ATTNC_ERROR_UNSUPPORTED);
  EXPECT_EQ(ragged.message,
            "package 'naive' has no ragged CPU kernel (its CPU plan is not "
            "ragged: content-based selection, hybrids and token grids take "
            "padded batches only)");
  EXPECT_EQ(moved.launchCudaVarlen(q3, k3, v3, o3, nullptr, {doc}, cq, ck)
                .code,
            ATTNC_ERROR_UNSUPPORTED);

  auto tooLong =
      attnc::Tensor::contiguous(p.q.data(), ATTNC_F32, {1, 2, 3, 4, 5});
  attnc::Status rank = moved.runCpu(tooLong, k, v, o, &lse, {doc});
  EXPECT_EQ(rank.message, "tensor 'q': expected rank 4, got 5");
}

//===----------------------------------------------------------------------===//
// CUDA without a driver
//===----------------------------------------------------------------------===//

class RuntimeCuda : public RuntimeCpu {
protected:
  void TearDown() override {
    RuntimeCpu::TearDown();
    setCudaDriverLibraryForTesting(nullptr);
  }

  int launch(Problem &p, void *stream = nullptr) {
    return attnc_launch_cuda(pkg, &p.tq, &p.tk, &p.tv, &p.to, &p.tlse, &p.tdoc,
                             1, stream);
  }
};

TEST_F(RuntimeCuda, NoDriver) {
  if (!cudaSupportCompiledIn())
    GTEST_SKIP() << "runtime built without the CUDA headers";
  setCudaDriverLibraryForTesting("libattnc-no-such-driver.so.1");
  Problem p(2, 37, 53, 26);
  EXPECT_EQ(launch(p), ATTNC_ERROR_CUDA_UNAVAILABLE);
  EXPECT_STREQ(attnc_last_error(),
               "CUDA driver not available (libattnc-no-such-driver.so.1: "
               "cannot open shared object file: No such file or directory)");
  EXPECT_EQ(attnc_prepare_cuda(pkg, nullptr), ATTNC_ERROR_CUDA_UNAVAILABLE);
  EXPECT_TRUE(p.outputsAreNaN());
}

TEST_F(RuntimeCuda, DefaultDriverAbsent) {
  void *h = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h) {
    ::dlclose(h);
    GTEST_SKIP() << "this machine has a CUDA driver";
  }
  Problem p(2, 37, 53, 27);
  int rc = launch(p);
  EXPECT_EQ(rc, ATTNC_ERROR_CUDA_UNAVAILABLE);
  std::string message = attnc_last_error();
  if (cudaSupportCompiledIn())
    EXPECT_TRUE(
        startsWith(message, "CUDA driver not available (libcuda.so.1: "))
        << message;
  else
    EXPECT_TRUE(startsWith(message, "CUDA driver not available (")) << message;
}

//===----------------------------------------------------------------------===//
// CUDA against the fake driver
//===----------------------------------------------------------------------===//

class FakeCuda : public RuntimeCuda {
protected:
  void SetUp() override {
    if (!cudaSupportCompiledIn())
      GTEST_SKIP() << "runtime built without the CUDA headers";
    handle = ::dlopen(ATTNC_TEST_FAKE_CUDA, RTLD_NOW | RTLD_LOCAL);
    ASSERT_NE(handle, nullptr) << ::dlerror();
    auto stateFn =
        reinterpret_cast<FakeCudaStateFn>(::dlsym(handle, "fake_cuda_state"));
    auto resetFn =
        reinterpret_cast<FakeCudaResetFn>(::dlsym(handle, "fake_cuda_reset"));
    addRange = reinterpret_cast<FakeCudaAddRangeFn>(
        ::dlsym(handle, "fake_cuda_add_range"));
    ASSERT_TRUE(stateFn && resetFn && addRange);
    resetFn();
    fake = stateFn();
    setCudaDriverLibraryForTesting(ATTNC_TEST_FAKE_CUDA);
    RuntimeCpu::SetUp();
  }
  void TearDown() override {
    RuntimeCuda::TearDown();
    if (handle)
      ::dlclose(handle);
  }

  /// Registers every buffer of `p` as device memory.
  void toDevice(Problem &p) {
    for (Buffer<float> *b : {&p.q, &p.k, &p.v, &p.o, &p.lse})
      addRange(b->data(), b->bytes(), kFakeDeviceMemory);
    addRange(p.doc.data(), p.doc.bytes(), kFakeDeviceMemory);
  }

  /// Reopens the fixture package with a different manifest.
  void reopen(const std::string &manifest, const std::string &source = "") {
    attnc_package_close(pkg);
    pkg = nullptr;
    writePackage(dir.path, manifest, source);
    ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK)
        << attnc_last_error();
  }

  static bool haveNvrtc() {
    std::string cubin;
    Error e = compileWithNvrtc("extern \"C\" __global__ void f() {}", "t.cu",
                               "sm_80", cubin);
    return !e.failed();
  }

  void *handle = nullptr;
  FakeCudaState *fake = nullptr;
  FakeCudaAddRangeFn addRange = nullptr;
};

TEST_F(FakeCuda, LaunchesWithTheManifestConfiguration) {
  Problem p(2, 37, 53, 28);
  toDevice(p);
  void *stream = reinterpret_cast<void *>(0x5000);
  ASSERT_EQ(launch(p, stream), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->moduleLoads, 1);
  EXPECT_TRUE(startsWith(fake->lastImage, "FAKE-CUBIN sm_80\n")) << fake->lastImage;
  EXPECT_EQ(fake->launches, 1);
  // grid (ceil(Nq / block_q), H, B), block (block_threads).
  EXPECT_EQ(fake->grid[0], 3u);
  EXPECT_EQ(fake->grid[1], 4u);
  EXPECT_EQ(fake->grid[2], 2u);
  EXPECT_EQ(fake->block[0], 128u);
  EXPECT_EQ(fake->block[1], 1u);
  EXPECT_EQ(fake->block[2], 1u);
  EXPECT_EQ(fake->sharedBytes, 40960u);
  EXPECT_EQ(fake->setAttributes, 0);
  EXPECT_EQ(fake->stream, stream);
  // The stream's context was already current: nothing pushed.
  EXPECT_EQ(fake->pushes, 0);

  const AttncKernelArgs &a = fake->args;
  EXPECT_EQ(a.q, p.q.data());
  EXPECT_EQ(a.k, p.k.data());
  EXPECT_EQ(a.v, p.v.data());
  EXPECT_EQ(a.o, p.o.data());
  EXPECT_EQ(a.lse, p.lse.data());
  EXPECT_EQ(a.params[0], p.doc.data());
  for (int i = 1; i < ATTNC_MAX_PARAMS; ++i)
    EXPECT_EQ(a.params[i], nullptr);
  EXPECT_EQ(a.state_in, nullptr);
  EXPECT_EQ(a.state_out, nullptr);
  EXPECT_EQ(a.z_in, nullptr);
  EXPECT_EQ(a.z_out, nullptr);
  EXPECT_EQ(a.batch, 2);
  EXPECT_EQ(a.q_len, 37);
  EXPECT_EQ(a.kv_len, 53);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(a.q_strides.s[i], p.tq.strides[i]);
    EXPECT_EQ(a.k_strides.s[i], p.tk.strides[i]);
    EXPECT_EQ(a.v_strides.s[i], p.tv.strides[i]);
    EXPECT_EQ(a.o_strides.s[i], p.to.strides[i]);
  }

  // The module is cached for the context.
  ASSERT_EQ(launch(p, stream), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->moduleLoads, 1);
  EXPECT_EQ(fake->launches, 2);
  // A new context (same handle, new id) loads again.
  fake->contextId = 43;
  ASSERT_EQ(launch(p, stream), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->moduleLoads, 2);

  // Closing unloads the module of the live context only.
  attnc_package_close(pkg);
  pkg = nullptr;
  EXPECT_EQ(fake->moduleUnloads, 1);
}

TEST_F(FakeCuda, PassesTheState) {
  reopen(linearManifest()
             .set("cuda", cudaSection()
                              .set("grid", "\"value_tiles\"")
                              .set("value_tiles", "3")
                              .str())
             .str());
  Problem p(2, 37, 53, 45);
  toDevice(p);
  StateBuffers s(2);
  attnc_linear_state all = s.all();
  auto launchState = [&](const attnc_linear_state *state) {
    return attnc_launch_cuda_state(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr,
                                   &p.tdoc, 1, state, nullptr);
  };
  for (Buffer<float> *b : {&s.sIn, &s.sOut, &s.zIn, &s.zOut})
    addRange(b->data(), b->bytes(), kFakeDeviceMemory);
  // The state is checked for device memory like every other tensor.
  Buffer<float> hostState(s.sOut.size());
  addRange(hostState.data(), hostState.bytes(), kFakeHostMemory);
  s.tsOut.data = hostState.data();
  EXPECT_EQ(launchState(&all), ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()),
            "tensor 'state_out': " + pointerString(hostState.data()) +
                " is host memory; pass device memory");
  s.tsOut.data = s.sOut.data();
  ASSERT_EQ(launchState(&all), ATTNC_OK) << attnc_last_error();
  // The linear family's grid: (value tiles, H, B), whatever Nq.
  EXPECT_EQ(fake->grid[0], 3u);
  EXPECT_EQ(fake->grid[1], 4u);
  EXPECT_EQ(fake->grid[2], 2u);
  EXPECT_EQ(fake->args.state_in, s.sIn.data());
  EXPECT_EQ(fake->args.state_out, s.sOut.data());
  EXPECT_EQ(fake->args.z_in, s.zIn.data());
  EXPECT_EQ(fake->args.z_out, s.zOut.data());
  // The plain launch passes no state.
  ASSERT_EQ(attnc_launch_cuda(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc,
                              1, nullptr),
            ATTNC_OK)
      << attnc_last_error();
  EXPECT_EQ(fake->args.state_in, nullptr);
  EXPECT_EQ(fake->args.state_out, nullptr);
  EXPECT_EQ(fake->args.z_in, nullptr);
  EXPECT_EQ(fake->args.z_out, nullptr);
}

TEST_F(FakeCuda, PicksTheExactArch) {
  fake->major = 9;
  Problem p(1, 5, 9, 29);
  toDevice(p);
  ASSERT_EQ(attnc_prepare_cuda(pkg, nullptr), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->moduleLoads, 1);
  EXPECT_EQ(fake->launches, 0);
  EXPECT_TRUE(startsWith(fake->lastImage, "FAKE-CUBIN sm_90\n")) << fake->lastImage;
  ASSERT_EQ(launch(p), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->moduleLoads, 1);
  EXPECT_EQ(fake->stream, nullptr);
}

TEST_F(FakeCuda, OptsIntoLargeSharedMemory) {
  reopen(baseManifest()
             .set("cuda", cudaSection().set("shared_bytes", "65536").str())
             .str());
  Problem p(1, 5, 9, 30);
  toDevice(p);
  ASSERT_EQ(launch(p), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->setAttributes, 1);
  EXPECT_EQ(fake->lastSetAttributeValue, 65536);
  EXPECT_EQ(fake->sharedBytes, 65536u);

  reopen(baseManifest()
             .set("cuda", cudaSection().set("shared_bytes", "200000").str())
             .str());
  EXPECT_EQ(launch(p), ATTNC_ERROR_CUDA);
  EXPECT_STREQ(attnc_last_error(),
               "kernel 'attnc_fake_fwd' needs 200000 bytes of shared memory, "
               "but this sm_80 device allows at most 101376 per block");
}

TEST_F(FakeCuda, RejectsHostPointers) {
  Problem p(2, 37, 53, 31);
  toDevice(p);
  Buffer<float> hostQ(p.q.size());
  addRange(hostQ.data(), hostQ.bytes(), kFakeHostMemory);
  p.tq.data = hostQ.data();
  EXPECT_EQ(launch(p), ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()),
            "tensor 'q': " + pointerString(hostQ.data()) +
                " is host memory; pass device memory");

  p.tq.data = p.q.data();
  Buffer<int> plainDoc(p.doc.size());
  p.tdoc.data = plainDoc.data();
  EXPECT_EQ(launch(p), ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()),
            "param 'doc': " + pointerString(plainDoc.data()) +
                " is not CUDA memory (cuPointerGetAttribute: "
                "CUDA_ERROR_INVALID_VALUE: invalid argument); pass device "
                "memory");
  EXPECT_EQ(fake->launches, 0);
  EXPECT_EQ(fake->moduleLoads, 0);
}

TEST_F(FakeCuda, Contexts) {
  Problem p(1, 5, 9, 32);
  toDevice(p);
  fake->contextCurrent = 0;
  EXPECT_EQ(launch(p), ATTNC_ERROR_CUDA);
  EXPECT_STREQ(attnc_last_error(),
               "no CUDA context is current on this thread; make one current "
               "(cudaSetDevice and any CUDA runtime call, or cuCtxSetCurrent) "
               "or pass a stream");
  // With a stream, its context is pushed for the call and popped after.
  ASSERT_EQ(launch(p, reinterpret_cast<void *>(0x5000)), ATTNC_OK)
      << attnc_last_error();
  EXPECT_EQ(fake->pushes, 1);
  EXPECT_EQ(fake->pops, 1);
}

TEST_F(FakeCuda, DriverInitFailure) {
  fake->initResult = 3; // CUDA_ERROR_NOT_INITIALIZED
  Problem p(1, 5, 9, 33);
  toDevice(p);
  EXPECT_EQ(launch(p), ATTNC_ERROR_CUDA_UNAVAILABLE);
  EXPECT_STREQ(attnc_last_error(),
               "CUDA driver not available (cuInit: CUDA_ERROR_NOT_INITIALIZED: "
               "initialization error)");
}

TEST_F(FakeCuda, KernelNotInModule) {
  fake->kernelName = "attnc_other_fwd";
  Problem p(1, 5, 9, 34);
  toDevice(p);
  EXPECT_EQ(launch(p), ATTNC_ERROR_CUDA);
  EXPECT_STREQ(attnc_last_error(),
               "kernel 'attnc_fake_fwd' not found in cubin "
               "'naive.sm_80.cubin' (cuModuleGetFunction: "
               "CUDA_ERROR_NOT_FOUND: named symbol not found)");
}

TEST_F(FakeCuda, ModuleSignatureIsChecked) {
  // The cubin's signature against an edited manifest: the schedule fixes
  // the grid, so a block_q the kernel was not compiled for must not launch.
  const std::string manifest =
      baseManifest().set("cuda", cudaSection().str()).str();
  reopen(manifest);
  attnc_package_close(pkg);
  pkg = nullptr;
  writeFile(dir.path + "/manifest.json",
            baseManifest()
                .set("cuda", cudaSection().str())
                .set("schedule", R"({"block_q": 8, "block_k": 16, )"
                                 R"("warps": 4, "stages": 2, "chunk": 0})")
                .str());
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  Problem p(1, 5, 9, 36);
  toDevice(p);
  EXPECT_EQ(launch(p), ATTNC_ERROR_SIGNATURE);
  EXPECT_EQ(std::string(attnc_last_error()),
            "package 'naive': manifest.json says schedule 8,16,4,2,0, but "
            "cubin 'naive.sm_80.cubin' was compiled for schedule 16,16,4,2,0 "
            "(the manifest does not belong to this kernel; recompile the "
            "package)");
  EXPECT_EQ(fake->launches, 0);
  EXPECT_EQ(fake->moduleUnloads, 1);

  // A cubin without a signature (not attnc's, or from before signatures).
  reopen(manifest);
  writeFile(dir.path + "/naive.sm_80.cubin", "FAKE-CUBIN sm_80");
  EXPECT_EQ(launch(p), ATTNC_ERROR_SIGNATURE);
  EXPECT_EQ(std::string(attnc_last_error()),
            "package 'naive': cubin 'naive.sm_80.cubin' has no symbol "
            "'attnc_fake_fwd_signature' (cuModuleGetGlobal: "
            "CUDA_ERROR_NOT_FOUND: named symbol not found; the signature the "
            "compiler writes into every kernel; recompile the package)");
  EXPECT_EQ(fake->launches, 0);
}

TEST_F(FakeCuda, GridLimits) {
  Problem p(1, 5, 9, 35);
  toDevice(p);
  p.tq.shape[0] = p.tk.shape[0] = p.tv.shape[0] = p.to.shape[0] = 70000;
  p.tlse.shape[0] = p.tdoc.shape[0] = 70000;
  EXPECT_EQ(launch(p), ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attnc_last_error(),
               "batch 70000 exceeds the CUDA grid limit of 65535");
}

TEST_F(FakeCuda, CompilesWithNvrtcWithoutACubin) {
  if (!haveNvrtc())
    GTEST_SKIP() << "NVRTC not available";
  fake->minor = 6; // sm_86: the package has cubins for sm_80 and sm_90 only
  Problem p(2, 37, 53, 36);
  toDevice(p);
  ASSERT_EQ(launch(p), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->moduleLoads, 1);
  EXPECT_EQ(std::memcmp(fake->lastImage,
                        "\x7f"
                        "ELF",
                        4),
            0);
  // Another context on the same arch reuses the compiled cubin: the source
  // is no longer needed.
  fs::remove(dir.path + "/naive.cu");
  fake->contextId = 44;
  ASSERT_EQ(launch(p), ATTNC_OK) << attnc_last_error();
  EXPECT_EQ(fake->moduleLoads, 2);
}

TEST_F(FakeCuda, ReportsNvrtcErrors) {
  if (!haveNvrtc())
    GTEST_SKIP() << "NVRTC not available";
  reopen(baseManifest().set("cuda", cudaSection().erase("cubins").str()).str(),
         "extern \"C\" __global__ void attnc_fake_fwd(int x) { return x; }\n");
  Problem p(1, 5, 9, 37);
  toDevice(p);
  EXPECT_EQ(launch(p), ATTNC_ERROR_COMPILE);
  std::string message = attnc_last_error();
  EXPECT_TRUE(startsWith(message, "NVRTC failed to compile 'naive.cu' for "
                                  "sm_80: NVRTC_ERROR_COMPILATION\n"))
      << message;
  EXPECT_NE(message.find("error"), std::string::npos) << message;

  fs::remove(dir.path + "/naive.cu");
  EXPECT_EQ(launch(p), ATTNC_ERROR_IO);
  EXPECT_EQ(std::string(attnc_last_error()),
            "the package has no cubin for sm_80 and its CUDA source cannot be "
            "compiled: cannot read '" +
                fs::canonical(dir.path).string() +
                "/naive.cu': No such file or directory");
}

TEST(Nvrtc, FindsTheCudaHeaders) {
  if (!cudaSupportCompiledIn())
    GTEST_SKIP() << "runtime built without the CUDA headers";
  std::string source = "#include <cuda_fp16.h>\n#include <cuda_bf16.h>\n"
                       "extern \"C\" __global__ void k(float *x) {\n"
                       "  __half h = __float2half(x[0]);\n"
                       "  __nv_bfloat16 b = __float2bfloat16(x[1]);\n"
                       "  x[2] = __half2float(h) + __bfloat162float(b);\n}\n";
  std::string cubin;
  Error e = compileWithNvrtc(source, "fp16.cu", "sm_80", cubin);
  if (e.failed() &&
      (startsWith(e.message, "NVRTC not available") ||
       e.message.find("no CUDA include directory") != std::string::npos))
    GTEST_SKIP() << e.message;
  ASSERT_FALSE(e.failed()) << e.message;
  EXPECT_EQ(cubin.compare(0, 4,
                          "\x7f"
                          "ELF"),
            0);
}

TEST(Nvrtc, CompilesTheKernelAbi) {
  if (!cudaSupportCompiledIn())
    GTEST_SKIP() << "runtime built without the CUDA headers";
  std::string source = readText(ATTNC_TEST_KERNEL_ABI_H) +
                       "\nextern \"C\" __global__ void k(AttncKernelArgs a) "
                       "{ if (a.lse) a.lse[threadIdx.x] = a.q_len; }\n";
  std::string cubin;
  Error e = compileWithNvrtc(source, "abi.cu", "sm_90", cubin);
  if (e.failed() && startsWith(e.message, "NVRTC not available"))
    GTEST_SKIP() << e.message;
  ASSERT_FALSE(e.failed()) << e.message;
  ASSERT_GT(cubin.size(), 4u);
  EXPECT_EQ(cubin.compare(0, 4,
                          "\x7f"
                          "ELF"),
            0);
}

} // namespace

//===----------------------------------------------------------------------===//
// Runtime block masks (attnc_block_mask_build_cpu, attnc_run_cpu_block_mask)
//===----------------------------------------------------------------------===//

/// The fixture with a block-mask builder of `heads` rows per (b, q-block);
/// the kernel is the probe that reports the mask it receives.
JsonObject blockMaskManifest(int heads = 4) {
  return baseManifest().set(
      "cpu", R"({"library": "libnaive.cpu.so", )"
             R"("entry": "attnc_naive_block_mask_probe_cpu", )"
             R"("block_mask_entry": "attnc_naive_cpu_block_mask", )"
             R"("block_mask_heads": )" +
                 std::to_string(heads) + "}");
}

TEST(RuntimeBlockMask, ManifestFields) {
  TempDir dir;
  writePackage(dir.path, blockMaskManifest(1).str());
  Manifest m;
  ASSERT_FALSE(readManifest(dir.path, m).failed());
  ASSERT_TRUE(m.cpu.has_value());
  EXPECT_EQ(m.cpu->blockMaskEntry, "attnc_naive_cpu_block_mask");
  EXPECT_EQ(m.cpu->blockMaskHeads, 1);

  writePackage(dir.path, blockMaskManifest(3).str());
  Error e = readManifest(dir.path, m);
  EXPECT_EQ(e.code, ATTNC_ERROR_MANIFEST);
  EXPECT_EQ(e.message, "manifest.json: 'cpu.block_mask_heads' must be 1 or "
                       "'heads' (4), got 3");
  writePackage(dir.path,
               baseManifest()
                   .set("cpu", R"({"library": "libnaive.cpu.so", )"
                               R"("entry": "attnc_naive_cpu", )"
                               R"("block_mask_entry": "attnc_naive_cpu_block_mask"})")
                   .str());
  e = readManifest(dir.path, m);
  EXPECT_EQ(e.message,
            "manifest.json: missing required field 'cpu.block_mask_heads'");
}

/// The fixture builder's pattern, recomputed: per row r, the k-blocks kb
/// with (kb + r) even, full when kb % 3 == 0.
struct ExpectedMask {
  std::vector<int> rowPtr, col;
  std::vector<unsigned char> full;
  long long fullCount = 0, colSum = 0;
  ExpectedMask(long long rows, long long kBlocks) {
    rowPtr.push_back(0);
    for (long long r = 0; r < rows; ++r) {
      for (long long kb = 0; kb < kBlocks; ++kb)
        if ((kb + r) % 2 == 0) {
          col.push_back(static_cast<int>(kb));
          full.push_back(kb % 3 == 0);
          fullCount += kb % 3 == 0;
          colSum += kb;
        }
      rowPtr.push_back(static_cast<int>(col.size()));
    }
  }
};

TEST(RuntimeBlockMask, BuildInfoAndRun) {
  for (int heads : {1, 4}) {
    TempDir dir;
    writePackage(dir.path, blockMaskManifest(heads).str());
    attnc_package *pkg = nullptr;
    ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
    EXPECT_EQ(attnc_package_has_block_mask(pkg), 1);
    Problem p(2, 33, 40, 31);
    attnc_block_mask *mask = nullptr;
    ASSERT_EQ(attnc_block_mask_build_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.tdoc, 1,
                                         &mask),
              ATTNC_OK)
        << attnc_last_error();
    attnc_block_mask_info info{};
    ASSERT_EQ(attnc_block_mask_get_info(mask, &info), ATTNC_OK);
    EXPECT_EQ(info.batch, 2);
    EXPECT_EQ(info.q_len, 33);
    EXPECT_EQ(info.kv_len, 40);
    EXPECT_EQ(info.heads, heads);
    EXPECT_EQ(info.q_blocks, 3);
    EXPECT_EQ(info.k_blocks, 3);
    EXPECT_EQ(info.rows, 2 * heads * 3);
    EXPECT_EQ(info.static_tiles, info.rows * 3);
    // Compacted from rows of stride k_blocks into CSR.
    ExpectedMask want(info.rows, 3);
    EXPECT_EQ(info.nnz, static_cast<long long>(want.col.size()));
    EXPECT_EQ(info.full, want.fullCount);
    EXPECT_EQ(info.partial, info.nnz - want.fullCount);
    EXPECT_EQ(std::vector<int>(info.row_ptr, info.row_ptr + info.rows + 1),
              want.rowPtr);
    EXPECT_EQ(std::vector<int>(info.col, info.col + info.nnz), want.col);
    EXPECT_EQ(std::vector<unsigned char>(info.full_flags,
                                         info.full_flags + info.nnz),
              want.full);
    // The kernel sees the same arrays.
    ASSERT_EQ(attnc_run_cpu_block_mask(pkg, &p.tq, &p.tk, &p.tv, &p.to,
                                       nullptr, &p.tdoc, 1, mask),
              ATTNC_OK)
        << attnc_last_error();
    EXPECT_EQ(p.o[0], static_cast<float>(want.col.size()));
    EXPECT_EQ(p.o[1], static_cast<float>(want.colSum));
    EXPECT_EQ(p.o[2], static_cast<float>(want.fullCount));
    EXPECT_EQ(p.o[3], static_cast<float>(heads));
    // NULL mask: the static plan, and the plain call passes none either.
    ASSERT_EQ(attnc_run_cpu_block_mask(pkg, &p.tq, &p.tk, &p.tv, &p.to,
                                       nullptr, &p.tdoc, 1, nullptr),
              ATTNC_OK);
    EXPECT_EQ(p.o[0], -1.0f);
    p.o[0] = 0;
    ASSERT_EQ(attnc_run_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.to, nullptr, &p.tdoc,
                            1),
              ATTNC_OK);
    EXPECT_EQ(p.o[0], -1.0f);
    attnc_block_mask_free(mask);
    attnc_package_close(pkg);
  }
}

TEST(RuntimeBlockMask, Errors) {
  TempDir dir, other, plain;
  writePackage(dir.path, blockMaskManifest().str());
  writePackage(other.path, blockMaskManifest().str());
  writePackage(plain.path, baseManifest().str());
  attnc_package *pkg = nullptr, *pkg2 = nullptr, *pkg3 = nullptr;
  ASSERT_EQ(attnc_package_open(dir.path.c_str(), &pkg), ATTNC_OK);
  ASSERT_EQ(attnc_package_open(other.path.c_str(), &pkg2), ATTNC_OK);
  ASSERT_EQ(attnc_package_open(plain.path.c_str(), &pkg3), ATTNC_OK);
  Problem p(2, 20, 20, 32), small(1, 20, 20, 33);
  attnc_block_mask *mask = nullptr;

  EXPECT_EQ(attnc_package_has_block_mask(pkg3), 0);
  EXPECT_EQ(attnc_block_mask_build_cpu(pkg3, &p.tq, &p.tk, &p.tv, &p.tdoc, 1,
                                       &mask),
            ATTNC_ERROR_UNSUPPORTED);
  EXPECT_EQ(std::string(attnc_last_error()),
            "package 'naive' has no block-mask builder (softmax family only)");
  EXPECT_EQ(mask, nullptr);
  EXPECT_EQ(attnc_block_mask_build_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.tdoc, 1,
                                       nullptr),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()), "out is null");
  // The tensors are checked like a run's (o is not needed).
  EXPECT_EQ(attnc_block_mask_build_cpu(pkg, &p.tq, &p.tk, &p.tv, nullptr, 0,
                                       &mask),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()), "expected 1 param ('doc'), got 0");
  EXPECT_EQ(attnc_block_mask_get_info(nullptr, nullptr),
            ATTNC_ERROR_INVALID_ARGUMENT);

  ASSERT_EQ(attnc_block_mask_build_cpu(pkg, &p.tq, &p.tk, &p.tv, &p.tdoc, 1,
                                       &mask),
            ATTNC_OK);
  p.fillOutputs(NAN);
  EXPECT_EQ(attnc_run_cpu_block_mask(pkg, &small.tq, &small.tk, &small.tv,
                                     &small.to, nullptr, &small.tdoc, 1, mask),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()),
            "the block mask was built for B, Nq, Nk = 2, 20, 20, got 1, 20, 20");
  EXPECT_EQ(attnc_run_cpu_block_mask(pkg2, &p.tq, &p.tk, &p.tv, &p.to,
                                     nullptr, &p.tdoc, 1, mask),
            ATTNC_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(std::string(attnc_last_error()),
            "the block mask was built for another package than 'naive'");
  EXPECT_TRUE(p.outputsAreNaN());
  attnc_block_mask_free(mask);
  attnc_block_mask_free(nullptr);
  attnc_package_close(pkg);
  attnc_package_close(pkg2);
  attnc_package_close(pkg3);
}

// Automatic block masks (docs/runtime.md §3a): with `auto_block_mask` in the
// manifest, a call without a mask builds one and the kernel receives it (the
// probe reports its entries); switched off, or without the field, the
// kernel gets none (the probe writes -1).
TEST(RuntimeBlockMask, AutomaticMask) {
  TempDir dir, plain;
  JsonObject manifest = baseManifest().set(
      "cpu", R"({"library": "libnaive.cpu.so", )"
             R"("entry": "attnc_naive_block_mask_probe_cpu", )"
             R"("block_mask_entry": "attnc_naive_cpu_block_mask", )"
             R"("block_mask_heads": 4, "auto_block_mask": true})");
  writePackage(dir.path, manifest.str());
  writePackage(plain.path, blockMaskManifest().str());
  attnc::Package pkg, other;
  ASSERT_TRUE(attnc::Package::open(dir.path, pkg));
  ASSERT_TRUE(attnc::Package::open(plain.path, other));
  EXPECT_TRUE(pkg.autoBlockMask());
  EXPECT_FALSE(other.autoBlockMask());
  Problem p(1, 17, 50, 34);
  auto q = attnc::Tensor::contiguous(p.q.data(), ATTNC_F32, {1, kH, 17, kD});
  auto k = attnc::Tensor::contiguous(p.k.data(), ATTNC_F32, {1, kG, 50, kD});
  auto v = attnc::Tensor::contiguous(p.v.data(), ATTNC_F32, {1, kG, 50, kDv});
  auto o = attnc::Tensor::contiguous(p.o.data(), ATTNC_F32, {1, kH, 17, kDv});
  auto doc = attnc::Tensor::contiguous(p.doc.data(), ATTNC_I32, {1, 50});
  attnc::BlockMask byHand;
  ASSERT_TRUE(pkg.buildBlockMaskCpu(q, k, v, {doc}, byHand));
  const float entries = static_cast<float>(byHand.info().nnz);
  ASSERT_GT(entries, 0.0f);
  ASSERT_TRUE(pkg.runCpu(q, k, v, o, nullptr, {doc}));
  EXPECT_EQ(p.o[0], entries);
  ASSERT_TRUE(pkg.setAutoBlockMask(false));
  EXPECT_FALSE(pkg.autoBlockMask());
  ASSERT_TRUE(pkg.runCpu(q, k, v, o, nullptr, {doc}));
  EXPECT_EQ(p.o[0], -1.0f);
  ASSERT_TRUE(pkg.setAutoBlockMask(true));
  ASSERT_TRUE(pkg.runCpu(q, k, v, o, nullptr, {doc}));
  EXPECT_EQ(p.o[0], entries);
  ASSERT_TRUE(other.runCpu(q, k, v, o, nullptr, {doc}));
  EXPECT_EQ(p.o[0], -1.0f);
}

TEST(RuntimeBlockMask, CppWrapper) {
  TempDir dir;
  writePackage(dir.path, blockMaskManifest().str());
  attnc::Package pkg;
  ASSERT_TRUE(attnc::Package::open(dir.path, pkg));
  EXPECT_TRUE(pkg.hasBlockMask());
  Problem p(1, 17, 50, 34);
  auto q = attnc::Tensor::strided(p.q.data(), ATTNC_F32, {1, kH, 17, kD},
                                  {17 * kH * kD, kD, kH * kD, 1});
  auto k = attnc::Tensor::contiguous(p.k.data(), ATTNC_F32, {1, kG, 50, kD});
  auto v = attnc::Tensor::contiguous(p.v.data(), ATTNC_F32, {1, kG, 50, kDv});
  auto o = attnc::Tensor::strided(p.o.data(), ATTNC_F32, {1, kH, 17, kDv},
                                  {17 * kH * kDv, kDv, kH * kDv, 1});
  auto doc = attnc::Tensor::contiguous(p.doc.data(), ATTNC_I32, {1, 50});
  attnc::BlockMask mask;
  EXPECT_FALSE(mask.isBuilt());
  ASSERT_TRUE(pkg.buildBlockMaskCpu(q, k, v, {doc}, mask));
  ASSERT_TRUE(mask.isBuilt());
  attnc_block_mask_info info = mask.info();
  ExpectedMask want(info.rows, 4);
  EXPECT_EQ(info.k_blocks, 4);
  EXPECT_EQ(info.nnz, static_cast<long long>(want.col.size()));
  attnc::BlockMask moved = std::move(mask);
  EXPECT_FALSE(mask.isBuilt());
  ASSERT_TRUE(pkg.runCpu(q, k, v, o, nullptr, {doc}, moved));
  EXPECT_EQ(p.o[0], static_cast<float>(want.col.size()));
  attnc::Status bad = pkg.buildBlockMaskCpu(q, k, v, {}, mask);
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.message, "expected 1 param ('doc'), got 0");
}
