//===- Manifest.cpp - Reading a package's manifest.json -------------------===//
//
// This file implements the manifest reader declared in Manifest.h. The JSON
// is parsed first (Json.h); then each field is looked up, type-checked and
// range-checked by small helpers that produce the same message shape for
// every field, so a user who edits a manifest by hand learns exactly which
// field is wrong and what was expected.
//
//===----------------------------------------------------------------------===//

#include "Manifest.h"

#include "Json.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <sys/stat.h>

using namespace attnc::rt;

namespace {

constexpr size_t kMaxManifestBytes = size_t(1) << 20;

/// Renders a JSON value for "got ..." in messages.
std::string describe(const JsonValue &v) {
  switch (v.kind) {
  case JsonValue::Kind::Null:
    return "null";
  case JsonValue::Kind::Bool:
    return v.boolean ? "true" : "false";
  case JsonValue::Kind::Number: {
    if (v.isInteger)
      return std::to_string(v.integer);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.17g", v.number);
    return buf;
  }
  case JsonValue::Kind::String:
    return "\"" + sanitize(v.string) + "\"";
  case JsonValue::Kind::Array:
    return "an array";
  case JsonValue::Kind::Object:
    return "an object";
  }
  return "a value";
}

bool isIdentifier(std::string_view s) {
  if (s.empty())
    return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0))
      return false;
  }
  return true;
}

/// A plain file name: no directory part, so that a manifest can only name
/// files inside its own package.
bool isPlainFileName(std::string_view s) {
  if (s.empty() || s.size() > 255 || s == "." || s == "..")
    return false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f)
      return false;
  }
  return true;
}

/// "sm_80", "sm_90a", "sm_100f": the arch names NVRTC and the driver use.
bool isArchName(std::string_view s) {
  if (s.size() < 5 || s.substr(0, 3) != "sm_")
    return false;
  size_t i = 3;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i;
  if (i - 3 < 2 || i - 3 > 4)
    return false;
  if (i == s.size())
    return true;
  return i + 1 == s.size() && (s[i] == 'a' || s[i] == 'f');
}

/// Looks fields up in one JSON object and checks them; the first failure is
/// kept in `error` and makes every later call a no-op returning false.
class FieldReader {
public:
  FieldReader(Error &error, const JsonValue &object, std::string path)
      : error(error), object(object), path(std::move(path)) {}

  /// The dotted name of `key` for messages, e.g. "cuda.kernel".
  std::string name(std::string_view key) const {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  bool fail(const std::string &message) {
    if (!error.failed())
      error = makeError(ATTNC_ERROR_MANIFEST, "manifest.json: " + message);
    return false;
  }

  const JsonValue *get(std::string_view key, bool required) {
    if (error.failed())
      return nullptr;
    const JsonValue *v = object.find(key);
    if (!v && required)
      fail("missing required field '" + name(key) + "'");
    return v;
  }

  bool getInt(std::string_view key, long long min, long long max, int &out,
              bool required = true) {
    const JsonValue *v = get(key, required);
    if (!v)
      return false;
    if (!v->isNumber() || !v->isInteger || v->integer < min) {
      std::string what = min == 0   ? "a non-negative integer"
                         : min == 1 ? "a positive integer"
                                    : "an integer";
      return fail("'" + name(key) + "' must be " + what + ", got " +
                  describe(*v));
    }
    if (v->integer > max)
      return fail("'" + name(key) + "' must be at most " + std::to_string(max) +
                  ", got " + describe(*v));
    out = static_cast<int>(v->integer);
    return true;
  }

  bool getBool(std::string_view key, bool &out, bool required = true) {
    const JsonValue *v = get(key, required);
    if (!v)
      return false;
    if (!v->isBool())
      return fail("'" + name(key) + "' must be true or false, got " +
                  describe(*v));
    out = v->boolean;
    return true;
  }

  bool getString(std::string_view key, std::string &out, bool required = true) {
    const JsonValue *v = get(key, required);
    if (!v)
      return false;
    if (!v->isString() || v->string.empty())
      return fail("'" + name(key) + "' must be a non-empty string, got " +
                  describe(*v));
    out = v->string;
    return true;
  }

  /// Reads a string that must be one of `choices` (given as "a", "b").
  bool getChoice(std::string_view key,
                 std::initializer_list<const char *> choices,
                 std::string &out) {
    const JsonValue *v = get(key, true);
    if (!v)
      return false;
    if (v->isString())
      for (const char *c : choices)
        if (v->string == c) {
          out = v->string;
          return true;
        }
    std::string list;
    size_t i = 0;
    for (const char *c : choices) {
      if (i > 0)
        list += (i + 1 == choices.size()) ? " or " : ", ";
      list += "\"" + std::string(c) + "\"";
      ++i;
    }
    return fail("'" + name(key) + "' must be " + list + ", got " +
                describe(*v));
  }

  bool getIdentifier(std::string_view key, std::string &out,
                     bool required = true) {
    const JsonValue *v = get(key, required);
    if (!v)
      return false;
    if (!v->isString() || !isIdentifier(v->string))
      return fail("'" + name(key) + "' must be a C identifier, got " +
                  describe(*v));
    out = v->string;
    return true;
  }

  bool getFileName(std::string_view key, std::string &out,
                   bool required = true) {
    const JsonValue *v = get(key, required);
    if (!v)
      return false;
    if (!v->isString() || !isPlainFileName(v->string))
      return fail("'" + name(key) +
                  "' must be a file name inside the package, got " +
                  describe(*v));
    out = v->string;
    return true;
  }

  /// A kernel entry point or CUDA kernel: a C identifier with attnc's
  /// prefix, so that a manifest cannot name an arbitrary function (such as
  /// "abort") for the runtime to call.
  bool getEntryName(std::string_view key, std::string &out,
                    bool required = true) {
    if (!getIdentifier(key, out, required))
      return false;
    if (out.compare(0, 6, "attnc_") != 0 || out.size() == 6)
      return fail("'" + name(key) +
                  "' must be an attnc kernel name (starting with \"attnc_\"), "
                  "got \"" +
                  out + "\"");
    return true;
  }

  const JsonValue *getObject(std::string_view key, bool required) {
    const JsonValue *v = get(key, required);
    if (!v)
      return nullptr;
    if (!v->isObject()) {
      fail("'" + name(key) + "' must be an object, got " + describe(*v));
      return nullptr;
    }
    return v;
  }

  const JsonValue *getArray(std::string_view key, bool required) {
    const JsonValue *v = get(key, required);
    if (!v)
      return nullptr;
    if (!v->isArray()) {
      fail("'" + name(key) + "' must be an array, got " + describe(*v));
      return nullptr;
    }
    return v;
  }

private:
  Error &error;
  const JsonValue &object;
  std::string path;
};

bool parseDtype(const std::string &s, attnc_dtype &out) {
  if (s == "f32")
    out = ATTNC_F32;
  else if (s == "f16")
    out = ATTNC_F16;
  else if (s == "bf16")
    out = ATTNC_BF16;
  else if (s == "i32")
    out = ATTNC_I32;
  else
    return false;
  return true;
}

/// "requires": [{"text": ..., "line": N, "program": "Nk,64,mod,0,eq"}].
void readRequirements(Error &error, const JsonValue &array, Manifest &m) {
  FieldReader top(error, array, "");
  constexpr size_t kMaxRequirements = 64;
  if (array.array.size() > kMaxRequirements) {
    top.fail("at most " + std::to_string(kMaxRequirements) +
             " requires are supported, got " +
             std::to_string(array.array.size()));
    return;
  }
  for (size_t i = 0; i < array.array.size() && !error.failed(); ++i) {
    const JsonValue &item = array.array[i];
    std::string path = "requires[" + std::to_string(i) + "]";
    if (!item.isObject()) {
      top.fail("'" + path + "' must be an object, got " + describe(item));
      return;
    }
    FieldReader r(error, item, path);
    ManifestRequirement req;
    r.getString("text", req.text);
    r.getInt("line", 1, INT_MAX, req.line);
    r.getString("program", req.programText);
    if (error.failed())
      return;
    std::string why;
    if (!parseRequirementProgram(req.programText, req.program, why)) {
      r.fail("'" + r.name("program") + "' is not a valid program: " +
             sanitize(why, 128));
      return;
    }
    m.requirements.push_back(std::move(req));
  }
}

void readParams(Error &error, const JsonValue &array, Manifest &m) {
  FieldReader top(error, array, "");
  if (array.array.size() > ATTNC_MAX_PARAMS) {
    top.fail("at most " + std::to_string(ATTNC_MAX_PARAMS) +
             " params are supported, got " +
             std::to_string(array.array.size()));
    return;
  }
  for (size_t i = 0; i < array.array.size() && !error.failed(); ++i) {
    const JsonValue &item = array.array[i];
    std::string path = "params[" + std::to_string(i) + "]";
    if (!item.isObject()) {
      top.fail("'" + path + "' must be an object, got " + describe(item));
      return;
    }
    FieldReader r(error, item, path);
    ManifestParam p;
    std::string dtype;
    r.getIdentifier("name", p.name);
    r.getChoice("dtype", {"i32", "f32"}, dtype);
    if (const JsonValue *dims = r.get("dims", true)) {
      std::string why;
      if (!dims->isString() || !parseParamDims(dims->string, p.shape, why)) {
        r.fail("'" + r.name("dims") +
               "' must be up to 4 dimensions among b, h, n, d and [N], got " +
               describe(*dims));
        return;
      }
      p.dims = dims->string;
    }
    if (const JsonValue *grad = r.get("grad", false)) {
      if (!grad->isBool())
        r.fail("'" + r.name("grad") + "' must be true or false, got " +
               describe(*grad));
      else if (grad->boolean && dtype != "f32")
        r.fail("'" + r.name("grad") + "' is true for an i32 parameter");
      else
        p.grad = grad->boolean;
    }
    if (error.failed())
      return;
    parseDtype(dtype, p.dtype);
    for (const ManifestParam &q : m.params)
      if (q.name == p.name) {
        r.fail("duplicate param name '" + p.name + "'");
        return;
      }
    m.params.push_back(std::move(p));
  }
}

void readCuda(Error &error, const JsonValue &object, Manifest &m) {
  FieldReader r(error, object, "cuda");
  ManifestCuda c;
  r.getFileName("source", c.source);
  r.getFileName("header", c.header, /*required=*/false);
  r.getEntryName("kernel", c.kernel);
  r.getInt("block_threads", 1, 1024, c.blockThreads);
  r.getInt("shared_bytes", 0, INT_MAX, c.sharedBytes);
  if (r.getEntryName("block_mask_kernel", c.blockMaskKernel,
                      /*required=*/false)) {
    r.getEntryName("block_mask_csr_kernel", c.blockMaskCsrKernel);
    r.getInt("block_mask_heads", 1, INT_MAX, c.blockMaskHeads);
    r.getInt("prologue_threads", 1, 1024, c.prologueThreads);
    if (!error.failed() && c.blockMaskHeads != 1 &&
        c.blockMaskHeads != m.heads)
      r.fail("'cuda.block_mask_heads' must be 1 or 'heads' (" +
             std::to_string(m.heads) + "), got " +
             std::to_string(c.blockMaskHeads));
    r.getBool("auto_block_mask", c.autoBlockMask, /*required=*/false);
  }
  if (r.getEntryName("select_kernel", c.selectKernel, /*required=*/false))
    r.getEntryName("select_kmean_kernel", c.selectKMeanKernel);
  if (r.getEntryName("hybrid_states_kernel", c.hybridStatesKernel,
                      /*required=*/false)) {
    r.getEntryName("hybrid_scan_kernel", c.hybridScanKernel);
    r.getInt("hybrid_feature_dim", 1, INT_MAX, c.hybridFeatureDim);
  }
  if (r.getBool("ragged", c.ragged, /*required=*/false) && c.ragged &&
      m.family != "softmax")
    r.fail("'cuda.ragged' is defined for the softmax family only");
  if (r.getEntryName("merge_kernel", c.mergeKernel, /*required=*/false)) {
    if (m.family != "softmax")
      r.fail("'cuda.merge_kernel' is defined for the softmax family only");
    r.getInt("merge_threads", 32, 1024, c.mergeThreads);
    if (!error.failed() && c.mergeThreads % 32 != 0)
      r.fail("'cuda.merge_threads' must be whole warps, got " +
             std::to_string(c.mergeThreads));
  }
  if (r.getEntryName("split_merge_kernel", c.splitMergeKernel,
                     /*required=*/false)) {
    if (!c.ragged || c.mergeKernel.empty())
      r.fail("'cuda.split_merge_kernel' needs a ragged softmax kernel with "
             "'cuda.merge_kernel' (its threads)");
    r.getInt("max_kv_splits", 2, 256, c.maxKvSplits);
  }
  if (r.getEntryName("backward_rows_kernel", c.backwardRowsKernel,
                     /*required=*/false)) {
    if (m.family != "softmax")
      r.fail("'cuda.backward_rows_kernel' is defined for the softmax family "
             "only");
    r.getEntryName("backward_dkdv_kernel", c.backwardKeyMajorKernel);
    r.getEntryName("backward_dq_kernel", c.backwardQueryMajorKernel);
    r.getEntryName("backward_params_kernel", c.backwardParamsKernel);
    r.getInt("backward_block_q", 1, 1024, c.backwardBlockQ);
    r.getInt("backward_block_k", 1, 1024, c.backwardBlockK);
    r.getInt("backward_threads", 32, 1024, c.backwardThreads);
    // Above 48 KiB the launch sets the opt-in attribute (the tensor-core
    // backward at head_dim 128); the bound is sm_80's, as the forward's.
    r.getInt("backward_shared_bytes", 0, 163 * 1024, c.backwardSharedBytes);
    r.getBool("backward_block_mask", c.backwardBlockMask, /*required=*/false);
    if (!error.failed() && c.backwardBlockMask && c.blockMaskKernel.empty())
      r.fail("'cuda.backward_block_mask' needs the package's block-mask "
             "builder ('block_mask_kernel')");
    if (!error.failed() && c.backwardThreads % 32 != 0)
      r.fail("'cuda.backward_threads' must be whole warps, got " +
             std::to_string(c.backwardThreads));
  }
  if (!error.failed() &&
      (!c.selectKernel.empty() || !c.hybridStatesKernel.empty()) &&
      c.blockMaskKernel.empty())
    r.fail("'cuda.select_kernel' and 'cuda.hybrid_states_kernel' need "
           "'cuda.block_mask_kernel' and 'cuda.prologue_threads'");
  if (const JsonValue *archs = r.getArray("archs", true)) {
    for (const JsonValue &a : archs->array) {
      if (!a.isString() || !isArchName(a.string)) {
        r.fail("'cuda.archs' must hold arch names like \"sm_80\", got " +
               describe(a));
        return;
      }
      c.archs.push_back(a.string);
    }
  }
  if (const JsonValue *cubins = r.getObject("cubins", false)) {
    FieldReader cr(error, *cubins, "cuda.cubins");
    for (const JsonMember &member : cubins->members) {
      if (!isArchName(member.key)) {
        r.fail("'cuda.cubins' keys must be arch names like \"sm_80\", got \"" +
               sanitize(member.key) + "\"");
        return;
      }
      std::string file;
      if (!cr.getFileName(member.key, file))
        return;
      c.cubins.emplace_back(member.key, file);
    }
  }
  // The grid's x dimension: q-blocks of block_q rows (the softmax family;
  // also when absent, as in packages from before the field), or a fixed
  // number of value tiles (the linear family).
  if (r.get("grid", false))
    r.getChoice("grid", {"q_blocks", "value_tiles"}, c.grid);
  if (c.grid == "value_tiles")
    r.getInt("value_tiles", 1, 65535, c.valueTiles);
  if (r.get("q_tiles", false))
    r.getInt("q_tiles", 1, INT_MAX, c.qTiles);
  const char *expected = m.family == "linear" ? "value_tiles" : "q_blocks";
  if (!error.failed() && c.grid != expected)
    r.fail("'cuda.grid' must be \"" + std::string(expected) + "\" for the " +
           m.family + " family, got \"" + c.grid + "\"");
  if (!error.failed() && c.grid == "q_blocks" && m.schedule.block_q < 1)
    r.fail("'schedule.block_q' must be a positive integer when the package "
           "has CUDA code, got 0");
  if (!error.failed())
    m.cuda = std::move(c);
}

void readCpu(Error &error, const JsonValue &object, Manifest &m) {
  FieldReader r(error, object, "cpu");
  ManifestCpu c;
  r.getFileName("source", c.source, /*required=*/false);
  r.getFileName("library", c.library);
  r.getEntryName("entry", c.entry);
  // The runtime block-mask builder (softmax family) and the heads of its
  // rows: 1 (shared by every head) or 'heads' (the mask reads h).
  if (r.getEntryName("block_mask_entry", c.blockMaskEntry,
                      /*required=*/false)) {
    r.getInt("block_mask_heads", 1, INT_MAX, c.blockMaskHeads);
    if (!error.failed() && c.blockMaskHeads != 1 &&
        c.blockMaskHeads != m.heads)
      r.fail("'cpu.block_mask_heads' must be 1 or 'heads' (" +
             std::to_string(m.heads) + "), got " +
             std::to_string(c.blockMaskHeads));
    r.getBool("auto_block_mask", c.autoBlockMask, /*required=*/false);
  }
  // The backward (softmax family): AttncBackwardArgs after the forward's
  // arguments.
  if (r.getEntryName("backward_entry", c.backwardEntry, /*required=*/false) &&
      m.family != "softmax")
    r.fail("'cpu.backward_entry' is defined for the softmax family only");
  // Packed variable-length batches (ABI 6, §3e).
  if (r.getBool("ragged", c.ragged, /*required=*/false) && c.ragged &&
      m.family != "softmax")
    r.fail("'cpu.ragged' is defined for the softmax family only");
  if (!error.failed())
    m.cpu = std::move(c);
}

Error checkFileExists(const std::string &dir, const std::string &field,
                      const std::string &file) {
  std::string path = dir + "/" + file;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return makeError(ATTNC_ERROR_IO,
                     "manifest.json: '" + field + "' names '" + sanitize(file) +
                         "', which cannot be found in '" + sanitize(dir, 512) +
                         "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return makeError(ATTNC_ERROR_IO, "manifest.json: '" + field + "' names '" +
                                         sanitize(file) +
                                         "', which is not a regular file");
  return success();
}

} // namespace

const std::string *ManifestCuda::findCubin(std::string_view arch) const {
  for (const auto &entry : cubins)
    if (entry.first == arch)
      return &entry.second;
  return nullptr;
}

Error attnc::rt::parseManifest(std::string_view text, Manifest &out) {
  JsonValue root;
  std::string jsonError;
  JsonLimits limits;
  limits.maxBytes = kMaxManifestBytes;
  limits.maxDepth = 16;
  if (!parseJson(text, root, jsonError, limits))
    return makeError(ATTNC_ERROR_MANIFEST, "manifest.json: " + jsonError);
  if (!root.isObject())
    return makeError(ATTNC_ERROR_MANIFEST,
                     std::string("manifest.json: expected an object at the "
                                 "top level, got ") +
                         jsonKindName(root.kind));

  Error error;
  Manifest m;
  FieldReader r(error, root, "");

  // 'format' and 'abi_version' first: with a different format, the other
  // fields may mean something else, so their messages would mislead.
  if (!r.getInt("format", 1, INT_MAX, m.format))
    return error;
  if (m.format != kManifestFormat)
    return makeError(ATTNC_ERROR_MANIFEST,
                     "manifest.json: unsupported format " +
                         std::to_string(m.format) +
                         " (this runtime reads format " +
                         std::to_string(kManifestFormat) + ")");
  if (!r.getInt("abi_version", 1, INT_MAX, m.abiVersion))
    return error;
  if (m.abiVersion != ATTNC_ABI_VERSION)
    return makeError(ATTNC_ERROR_MANIFEST,
                     "manifest.json: 'abi_version' is " +
                         std::to_string(m.abiVersion) +
                         ", but this runtime implements kernel ABI " +
                         std::to_string(ATTNC_ABI_VERSION) +
                         " (recompile the package with an attnc of the same "
                         "ABI)");

  r.getString("attnc_version", m.attncVersion);
  // Both go into the kernel signature's "key=value;" text, so they are
  // held to what the compiler writes: 16 hex digits (the FNV-1a hash) and
  // the spec's identifier.
  if (r.getString("spec_hash", m.specHash) &&
      (m.specHash.size() != 16 ||
       m.specHash.find_first_not_of("0123456789abcdef") != std::string::npos))
    r.fail("'spec_hash' must be 16 lowercase hex digits (the FNV-1a hash "
           "attnc compile writes)");
  r.getIdentifier("name", m.name);
  r.getChoice("family", {"softmax", "linear"}, m.family);
  std::string dtype;
  if (r.getChoice("dtype", {"f32", "f16", "bf16"}, dtype))
    parseDtype(dtype, m.dtype);
  r.getInt("heads", 1, INT_MAX, m.heads);
  r.getInt("kv_heads", 1, INT_MAX, m.kvHeads);
  r.getInt("head_dim", 1, INT_MAX, m.headDim);
  r.getInt("value_dim", 1, INT_MAX, m.valueDim);
  if (!error.failed() && m.heads % m.kvHeads != 0)
    r.fail("'kv_heads' (" + std::to_string(m.kvHeads) +
           ") must divide 'heads' (" + std::to_string(m.heads) + ")");
  if (m.family == "linear")
    r.getChoice("normalize", {"sum", "none"}, m.normalize);
  else
    r.getChoice("normalize", {"softmax", "sum", "none"}, m.normalize);
  if (r.getBool("has_lse", m.hasLse) && m.hasLse && m.normalize != "softmax")
    r.fail("'has_lse' is true, but lse exists only with 'normalize' "
           "\"softmax\", got \"" +
           m.normalize + "\"");

  if (m.family == "linear")
    r.getInt("feature_dim", 1, INT_MAX, m.featureDim);
  if (r.getBool("has_state", m.hasState) && m.hasState && m.family != "linear")
    r.fail("'has_state' is true, but only the linear family has a recurrent "
           "state, got family \"" +
           m.family + "\"");

  if (const JsonValue *params = r.getArray("params", true))
    readParams(error, *params, m);
  if (const JsonValue *requirements = r.getArray("requires", false))
    readRequirements(error, *requirements, m);

  if (const JsonValue *schedule = r.getObject("schedule", true)) {
    FieldReader s(error, *schedule, "schedule");
    s.getInt("block_q", 0, INT_MAX, m.schedule.block_q);
    s.getInt("block_k", 0, INT_MAX, m.schedule.block_k);
    s.getInt("warps", 0, INT_MAX, m.schedule.warps);
    s.getInt("stages", 0, INT_MAX, m.schedule.stages);
    s.getInt("chunk", 0, INT_MAX, m.schedule.chunk);
  }

  if (const JsonValue *cpu = r.getObject("cpu", false))
    readCpu(error, *cpu, m);
  if (const JsonValue *cuda = r.getObject("cuda", false))
    readCuda(error, *cuda, m);
  if (!error.failed() && !m.cpu && !m.cuda)
    r.fail("the package has neither 'cpu' nor 'cuda' code");

  if (error.failed())
    return error;
  out = std::move(m);
  return success();
}

Error attnc::rt::readFile(const std::string &path, size_t maxBytes,
                          std::string &out) {
  std::FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return makeError(ATTNC_ERROR_IO, "cannot read '" + sanitize(path, 512) +
                                         "': " + std::strerror(errno));
  std::string data;
  char buf[65536];
  bool tooLarge = false, readError = false;
  for (;;) {
    size_t n = std::fread(buf, 1, sizeof(buf), f);
    if (n > 0) {
      if (data.size() + n > maxBytes) {
        tooLarge = true;
        break;
      }
      data.append(buf, n);
    }
    if (n < sizeof(buf)) {
      readError = std::ferror(f) != 0;
      break;
    }
  }
  std::fclose(f);
  if (tooLarge)
    return makeError(ATTNC_ERROR_IO, "'" + sanitize(path, 512) +
                                         "' is larger than " +
                                         std::to_string(maxBytes) + " bytes");
  if (readError)
    return makeError(ATTNC_ERROR_IO,
                     "error while reading '" + sanitize(path, 512) + "'");
  out = std::move(data);
  return success();
}

Error attnc::rt::realPathInPackage(const std::string &dir,
                                   const std::string &field,
                                   const std::string &file, std::string &out) {
  // How the file is named in messages: by its manifest field, or by itself
  // (manifest.json).
  const std::string named =
      field.empty() ? "'" + sanitize(file) + "'"
                    : "manifest.json: '" + field + "' names '" +
                          sanitize(file) + "', which";
  const std::string joined = dir + "/" + file;
  char *resolved = ::realpath(joined.c_str(), nullptr);
  if (!resolved)
    return makeError(ATTNC_ERROR_IO, "cannot read '" + sanitize(joined, 512) +
                                         "': " + std::strerror(errno));
  std::string real = resolved;
  std::free(resolved);
  // `dir` is itself a real path (attnc_package_open resolves it).
  if (real.size() <= dir.size() + 1 || real.compare(0, dir.size(), dir) != 0 ||
      real[dir.size()] != '/')
    return makeError(ATTNC_ERROR_IO,
                     named + " resolves to '" + sanitize(real, 256) +
                         "', outside the package directory '" +
                         sanitize(dir, 256) + "'");
  out = std::move(real);
  return success();
}

Error attnc::rt::readManifest(const std::string &dir, Manifest &out) {
  std::string text, manifestPath;
  Error e = realPathInPackage(dir, "", "manifest.json", manifestPath);
  if (!e.failed())
    e = readFile(manifestPath, kMaxManifestBytes, text);
  if (e.failed())
    return e;
  Manifest m;
  e = parseManifest(text, m);
  if (e.failed())
    return e;
  // Every file the runtime will open must exist and, symlinks resolved,
  // lie inside the package (the .cu is checked when NVRTC needs it).
  std::string real;
  if (m.cpu) {
    e = checkFileExists(dir, "cpu.library", m.cpu->library);
    if (!e.failed())
      e = realPathInPackage(dir, "cpu.library", m.cpu->library, real);
    if (e.failed())
      return e;
  }
  if (m.cuda) {
    for (const auto &[arch, file] : m.cuda->cubins) {
      e = checkFileExists(dir, "cuda.cubins." + arch, file);
      if (!e.failed())
        e = realPathInPackage(dir, "cuda.cubins." + arch, file, real);
      if (e.failed())
        return e;
    }
  }
  out = std::move(m);
  return success();
}
