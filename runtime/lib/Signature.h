//===- Signature.h - A kernel's own description of itself -------*- C++ -*-===//
//
// A package's manifest is untrusted input, and so is the pairing of a
// manifest with the kernel beside it: a manifest that says heads 8 next to a
// kernel compiled for heads 4 would make the runtime size and check every
// tensor wrongly, and the kernel would read and write past them. So every
// compiled kernel carries its signature, a string the compiler writes into
// the kernel itself (a data symbol ENTRY_signature in the CPU library, a
// __constant__ KERNEL_signature in the CUDA module): the ABI version and
// everything of the manifest that fixes memory layout or meaning. The
// runtime renders the same string from the manifest and compares the two,
// field by field, before the first launch.
//
// The text (docs/runtime.md, "Kernel signatures"):
//   attnc-signature 1;abi_version=4;name=causal;family=softmax;dtype=bf16;
//   heads=8;kv_heads=2;head_dim=64;value_dim=64;normalize=softmax;
//   has_lse=1;feature_dim=0;has_state=0;params=doc:i32:bn;
//   schedule=64,64,4,2,0;block_mask_heads=1;backward=0;requires=;
//   spec_hash=9f2c0a1b3d4e5f60
// (one line, no spaces). codegen/ManifestEmitter.cpp writes it from the IR;
// this file reads it from the manifest; the lit tests in test/Runtime show
// that the two agree for every example.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_SIGNATURE_H
#define ATTNC_RUNTIME_SIGNATURE_H

#include "Error.h"
#include "Manifest.h"

#include <string>
#include <string_view>

namespace attnc {
namespace rt {

/// The first field of every signature; a change of the text's meaning bumps
/// its number.
constexpr std::string_view kSignatureMagic = "attnc-signature 1";

/// The most bytes of a signature the runtime reads.
constexpr size_t kMaxSignatureBytes = 4096;

/// Which code a signature belongs to: the CPU library's block-mask heads
/// are cpu.block_mask_heads, the CUDA module's cuda.block_mask_heads.
enum class SignatureTarget { Cpu, Cuda };

/// The signature a kernel compiled for `m` carries.
std::string expectedSignature(const Manifest &m, SignatureTarget target);

/// Compares `kernel` (the signature read from the compiled code, `what`
/// naming it in messages, e.g. "the CPU library 'libcausal.cpu.so'") with
/// the manifest. The first disagreement is an ATTNC_ERROR_SIGNATURE error:
/// "package 'causal': manifest.json says heads 8, but the CPU library
/// 'libcausal.cpu.so' was compiled for heads 4 (the manifest does not
/// belong to this kernel; recompile the package)".
Error checkSignature(const Manifest &m, SignatureTarget target,
                     std::string_view kernel, const std::string &what);

/// The symbol holding the signature of the CPU entry or CUDA kernel `name`.
inline std::string signatureSymbol(const std::string &name) {
  return name + "_signature";
}

} // namespace rt
} // namespace attnc

#endif // ATTNC_RUNTIME_SIGNATURE_H
