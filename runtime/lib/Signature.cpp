//===- Signature.cpp - A kernel's own description of itself ---------------===//
//
// This file implements rendering a manifest as a kernel signature and the
// field-by-field comparison with the one a kernel carries (Signature.h).
//
//===----------------------------------------------------------------------===//

#include "Signature.h"

#include <utility>
#include <vector>

using namespace attnc::rt;

namespace {

const char *dtypeText(attnc_dtype d) {
  // The manifest's spelling (attnc_dtype_name is the C API's, and this file
  // does not depend on it).
  if (d == ATTNC_F32)
    return "f32";
  if (d == ATTNC_F16)
    return "f16";
  if (d == ATTNC_BF16)
    return "bf16";
  if (d == ATTNC_I32)
    return "i32";
  return "?";
}

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields manifestFields(const Manifest &m, SignatureTarget target) {
  std::string params;
  for (size_t i = 0; i < m.params.size(); ++i)
    params += (i ? "," : "") + m.params[i].name + ":" +
              dtypeText(m.params[i].dtype) + ":" + m.params[i].dims;
  const attnc_schedule &s = m.schedule;
  std::string schedule =
      std::to_string(s.block_q) + "," + std::to_string(s.block_k) + "," +
      std::to_string(s.warps) + "," + std::to_string(s.stages) + "," +
      std::to_string(s.chunk);
  int maskHeads = 0;
  if (target == SignatureTarget::Cpu && m.cpu)
    maskHeads = m.cpu->blockMaskEntry.empty() ? 0 : m.cpu->blockMaskHeads;
  if (target == SignatureTarget::Cuda && m.cuda)
    maskHeads = m.cuda->blockMaskKernel.empty() ? 0 : m.cuda->blockMaskHeads;
  std::string backward = "0";
  const bool hasBackward =
      target == SignatureTarget::Cpu
          ? m.cpu && !m.cpu->backwardEntry.empty()
          : m.cuda && !m.cuda->backwardRowsKernel.empty();
  if (hasBackward) {
    backward = "1:";
    for (const ManifestParam &p : m.params)
      backward += p.grad ? "1" : "0";
  }
  std::string requirements;
  for (const ManifestRequirement &r : m.requirements)
    requirements += (requirements.empty() ? "" : "|") + r.programText;
  Fields fields = {{"abi_version", std::to_string(m.abiVersion)},
          {"name", m.name},
          {"family", m.family},
          {"dtype", dtypeText(m.dtype)},
          {"heads", std::to_string(m.heads)},
          {"kv_heads", std::to_string(m.kvHeads)},
          {"head_dim", std::to_string(m.headDim)},
          {"value_dim", std::to_string(m.valueDim)},
          {"normalize", m.normalize},
          {"has_lse", m.hasLse ? "1" : "0"},
          {"feature_dim", std::to_string(m.featureDim)},
          {"has_state", m.hasState ? "1" : "0"},
          {"params", params},
          {"schedule", schedule},
          {"block_mask_heads", std::to_string(maskHeads)},
          {"backward", backward},
          {"requires", requirements},
          {"spec_hash", m.specHash}};
  // Only a ragged kernel carries the field: a manifest claiming it for a
  // kernel without it fails as a missing field.
  const bool ragged = target == SignatureTarget::Cpu ? m.cpu && m.cpu->ragged
                                                     : m.cuda && m.cuda->ragged;
  if (ragged)
    fields.emplace_back("ragged", "1");
  return fields;
}

/// Splits "magic;k=v;k=v" into its fields; false when it is not of that
/// form (no magic, a field without '=', a key twice).
bool parseSignature(std::string_view text, Fields &out) {
  if (text.substr(0, kSignatureMagic.size()) != kSignatureMagic)
    return false;
  text.remove_prefix(kSignatureMagic.size());
  while (!text.empty()) {
    if (text[0] != ';')
      return false;
    text.remove_prefix(1);
    size_t end = text.find(';');
    std::string_view field = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
    size_t eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return false;
    std::string key(field.substr(0, eq));
    for (const auto &f : out)
      if (f.first == key)
        return false;
    out.emplace_back(std::move(key), std::string(field.substr(eq + 1)));
  }
  return true;
}

/// How a field reads in a message: "heads 4", "params doc:i32:bn",
/// "params (none)".
std::string show(const std::string &key, const std::string &value) {
  return key + " " + (value.empty() ? "(none)" : sanitize(value, 128));
}

} // namespace

std::string attnc::rt::expectedSignature(const Manifest &m,
                                         SignatureTarget target) {
  std::string out(kSignatureMagic);
  for (const auto &[key, value] : manifestFields(m, target))
    out += ";" + key + "=" + value;
  return out;
}

Error attnc::rt::checkSignature(const Manifest &m, SignatureTarget target,
                                std::string_view kernel,
                                const std::string &what) {
  const std::string prefix = "package '" + m.name + "': ";
  Fields got;
  if (!parseSignature(kernel, got))
    return makeError(ATTNC_ERROR_SIGNATURE,
                     prefix + what +
                         " carries no valid attnc signature, got \"" +
                         sanitize(kernel, 96) +
                         "\" (compiled by another tool or another attnc; "
                         "recompile the package)");
  auto find = [&](const std::string &key) -> const std::string * {
    for (const auto &f : got)
      if (f.first == key)
        return &f.second;
    return nullptr;
  };
  for (const auto &[key, want] : manifestFields(m, target)) {
    const std::string *have = find(key);
    if (!have)
      return makeError(ATTNC_ERROR_SIGNATURE,
                       prefix + what + " has no '" + key +
                           "' in its signature (recompile the package)");
    if (*have != want)
      return makeError(ATTNC_ERROR_SIGNATURE,
                       prefix + "manifest.json says " + show(key, want) +
                           ", but " + what + " was compiled for " +
                           show(key, *have) +
                           " (the manifest does not belong to this kernel; "
                           "recompile the package)");
  }
  return success();
}
