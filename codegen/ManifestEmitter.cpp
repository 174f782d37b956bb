//===- ManifestEmitter.cpp - The package manifest as JSON -----------------===//
//
// This file implements manifest.json emission. Field meanings are documented
// in docs/runtime.md; the runtime's reader (runtime/lib/Manifest.cpp)
// validates every one of them.
//
//===----------------------------------------------------------------------===//

#include "codegen/ManifestEmitter.h"
#include "codegen/CudaEmitter.h"

#include "codegen/EmitterSupport.h"
#include "dialect/AttnOps.h"
#include "runtime/include/attnc/kernel_abi.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

using namespace mlir;

namespace attnc {

/// Keep in step with project(attnc VERSION ...) in CMakeLists.txt.
const char *const kAttncVersion = "0.1.0";

std::string hashText(StringRef text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::format_hex_no_prefix(h, 16);
  return out;
}

/// `attr` as MLIR prints it.
static std::string printAttr(Attribute attr) {
  std::string out;
  llvm::raw_string_ostream os(out);
  attr.print(os);
  return out;
}

void emitManifest(Operation *op, const PackageContents &c, raw_ostream &os) {
  llvm::json::OStream j(os, 2);
  auto softmax = dyn_cast<attn::AttentionOp>(op);
  auto linear = dyn_cast<attn::LinearAttentionOp>(op);
  auto get = [&](auto fn) { return softmax ? fn(softmax) : fn(linear); };
  attn::ScheduleAttr schedule =
      get([](auto o) { return o.getScheduleAttr(); });
  attn::Normalize normalize = get([](auto o) { return o.getNormalize(); });
  j.object([&] {
    j.attribute("format", 1);
    // The emitted kernels paste this same header, so they take this ABI.
    j.attribute("abi_version", ATTNC_ABI_VERSION);
    j.attribute("attnc_version", kAttncVersion);
    j.attribute("spec_hash", c.specHash);
    j.attribute("name", SymbolTable::getSymbolName(op).getValue());
    j.attribute("family", softmax ? "softmax" : "linear");
    j.attribute("dtype",
                dtypeShortName(get([](auto o) { return o.getDtype(); })));
    j.attribute("heads", get([](auto o) { return o.getHeads(); }));
    j.attribute("kv_heads", get([](auto o) { return o.getKvHeads(); }));
    j.attribute("head_dim", get([](auto o) { return o.getHeadDim(); }));
    j.attribute("value_dim", get([](auto o) { return o.getValueDim(); }));
    j.attribute("normalize", attn::stringifyNormalize(normalize));
    j.attribute("has_lse", softmax && normalize == attn::Normalize::softmax);
    // The recurrent state S [B, H, F, Dv] (and z [B, H, F] with normalize
    // sum) that a causal linear kernel takes in and hands out.
    if (linear)
      j.attribute("feature_dim", linear.getFeatureDim());
    j.attribute("has_state", linear && !linear.getBidirectional());
    j.attributeArray("params", [&] {
      ArrayAttr params = get([](auto o) { return o.getParams(); });
      for (auto p : params.getAsRange<attn::ParamAttr>())
        j.object([&] {
          j.attribute("name", p.getName());
          j.attribute("dtype",
                      p.getElementType().isInteger(32) ? "i32" : "f32");
          j.attribute("dims", p.getDims());
          // Whether the backward writes this parameter's gradient.
          if (!c.cpuBackwardEntry.empty() || c.cudaBackward)
            j.attribute("grad",
                        p.getElementType().isF32() && !p.getFrozen());
        });
    });
    // The spec's `require` conditions (docs/language.md §3a), checked by
    // the runtime before every launch.
    if (ArrayAttr requirements =
            get([](auto o) { return o.getRequirementsAttr(); }))
      j.attributeArray("requires", [&] {
        for (auto r : requirements.getAsRange<attn::RequireAttr>())
          j.object([&] {
            j.attribute("text", r.getText());
            j.attribute("line", r.getLine());
            j.attribute("program", r.getProgram());
          });
      });
    j.attributeObject("schedule", [&] {
      j.attribute("block_q", schedule ? schedule.getBlockQ() : 0);
      j.attribute("block_k", schedule ? schedule.getBlockK() : 0);
      j.attribute("warps", schedule ? schedule.getWarps() : 0);
      j.attribute("stages", schedule ? schedule.getStages() : 0);
      j.attribute("chunk", schedule ? schedule.getChunk() : 0);
    });
    if (!c.cpuEntry.empty())
      j.attributeObject("cpu", [&] {
        j.attribute("source", c.cpuSource);
        j.attribute("library", c.cpuLibrary);
        j.attribute("entry", c.cpuEntry);
        // The plan the kernel was printed from, for readers (the runtime
        // uses the fields above).
        if (auto plan = op->getAttrOfType<attn::CpuPlanAttr>("cpu_plan")) {
          j.attribute("plan", printAttr(plan));
          if (plan.getRagged())
            j.attribute("ragged", true);
        }
        if (!c.cpuBackwardEntry.empty())
          j.attribute("backward_entry", c.cpuBackwardEntry);
        if (!c.cpuBlockMaskEntry.empty()) {
          j.attribute("block_mask_entry", c.cpuBlockMaskEntry);
          j.attribute("block_mask_heads", c.blockMaskHeads);
          if (c.autoBlockMask)
            j.attribute("auto_block_mask", true);
        }
      });
    if (!c.cudaKernel.empty())
      j.attributeObject("cuda", [&] {
        j.attribute("source", c.cudaSource);
        j.attribute("header", c.cudaHeader);
        j.attribute("kernel", c.cudaKernel);
        j.attribute("block_threads", c.cudaBlockThreads);
        j.attribute("shared_bytes", c.cudaSharedBytes);
        if (!c.cudaBlockMaskKernel.empty()) {
          j.attribute("prologue_threads", c.cudaPrologueThreads);
          j.attribute("block_mask_kernel", c.cudaBlockMaskKernel);
          j.attribute("block_mask_csr_kernel", c.cudaBlockMaskCsrKernel);
          j.attribute("block_mask_heads", c.blockMaskHeads);
          if (c.autoBlockMask)
            j.attribute("auto_block_mask", true);
        }
        if (!c.cudaSelectKernel.empty()) {
          j.attribute("select_kmean_kernel", c.cudaSelectKMeanKernel);
          j.attribute("select_kernel", c.cudaSelectKernel);
        }
        if (!c.cudaHybridStatesKernel.empty()) {
          j.attribute("hybrid_states_kernel", c.cudaHybridStatesKernel);
          j.attribute("hybrid_scan_kernel", c.cudaHybridScanKernel);
          j.attribute("hybrid_feature_dim", c.hybridFeatureDim);
        }
        if (!c.cudaMergeKernel.empty()) {
          j.attribute("merge_kernel", c.cudaMergeKernel);
          j.attribute("merge_threads", c.cudaMergeThreads);
        }
        if (c.cudaBackward) {
          const CudaBackwardInfo &bw = *c.cudaBackward;
          j.attribute("backward_rows_kernel", bw.rowsKernel);
          j.attribute("backward_dkdv_kernel", bw.keyMajorKernel);
          j.attribute("backward_dq_kernel", bw.queryMajorKernel);
          j.attribute("backward_params_kernel", bw.paramsKernel);
          j.attribute("backward_block_q", bw.blockQ);
          j.attribute("backward_block_k", bw.blockK);
          j.attribute("backward_threads", bw.threads);
          j.attribute("backward_shared_bytes", bw.sharedBytes);
          if (bw.blockMask)
            j.attribute("backward_block_mask", true);
        }
        j.attribute("grid", c.cudaGrid);
        if (c.cudaGrid == "value_tiles")
          j.attribute("value_tiles", c.cudaValueTiles);
        if (c.cudaQTiles)
          j.attribute("q_tiles", c.cudaQTiles);
        // The plan the kernel was printed from, for readers (the runtime
        // uses the fields above).
        if (auto plan = op->getAttrOfType<attn::CudaPlanAttr>("cuda_plan")) {
          j.attribute("plan", printAttr(plan));
          if (plan.getRagged())
            j.attribute("ragged", true);
          // Split-KV decode (docs/runtime.md §3g): the merge kernel of the
          // partial results and the most splits the kernel takes.
          if (plan.getKvSplits()) {
            j.attribute("split_merge_kernel", cudaSplitMergeKernelName(op));
            j.attribute("max_kv_splits", plan.getKvSplits());
          }
        }
        j.attributeArray("archs", [&] {
          for (const std::string &a : c.archs)
            j.value(a);
        });
        j.attributeObject("cubins", [&] {
          for (auto &[arch, file] : c.cubins)
            j.attribute(arch, file);
        });
      });
  });
  os << "\n";
}

std::string kernelSignature(Operation *op, const PackageContents &c,
                            KernelTarget target) {
  // The same values as the manifest above, in the order and form that
  // runtime/lib/Signature.cpp renders from a manifest.
  auto softmax = dyn_cast<attn::AttentionOp>(op);
  auto linear = dyn_cast<attn::LinearAttentionOp>(op);
  auto get = [&](auto fn) { return softmax ? fn(softmax) : fn(linear); };
  attn::ScheduleAttr schedule =
      get([](auto o) { return o.getScheduleAttr(); });
  attn::Normalize normalize = get([](auto o) { return o.getNormalize(); });
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "attnc-signature 1";
  os << ";abi_version=" << ATTNC_ABI_VERSION;
  os << ";name=" << SymbolTable::getSymbolName(op).getValue();
  os << ";family=" << (softmax ? "softmax" : "linear");
  os << ";dtype=" << dtypeShortName(get([](auto o) { return o.getDtype(); }));
  os << ";heads=" << get([](auto o) { return o.getHeads(); });
  os << ";kv_heads=" << get([](auto o) { return o.getKvHeads(); });
  os << ";head_dim=" << get([](auto o) { return o.getHeadDim(); });
  os << ";value_dim=" << get([](auto o) { return o.getValueDim(); });
  os << ";normalize=" << attn::stringifyNormalize(normalize);
  os << ";has_lse="
     << (softmax && normalize == attn::Normalize::softmax ? 1 : 0);
  os << ";feature_dim=" << (linear ? linear.getFeatureDim() : 0);
  os << ";has_state=" << (linear && !linear.getBidirectional() ? 1 : 0);
  os << ";params=";
  ArrayAttr params = get([](auto o) { return o.getParams(); });
  llvm::interleave(
      params.getAsRange<attn::ParamAttr>(), os,
      [&](attn::ParamAttr p) {
        os << p.getName() << ":"
           << (p.getElementType().isInteger(32) ? "i32" : "f32") << ":"
           << p.getDims();
      },
      ",");
  os << ";schedule=";
  if (schedule)
    os << schedule.getBlockQ() << "," << schedule.getBlockK() << ","
       << schedule.getWarps() << "," << schedule.getStages() << ","
       << schedule.getChunk();
  else
    os << "0,0,0,0,0";
  const bool hasMask = target == KernelTarget::Cpu
                           ? !c.cpuBlockMaskEntry.empty()
                           : !c.cudaBlockMaskKernel.empty();
  os << ";block_mask_heads=" << (hasMask ? c.blockMaskHeads : 0);
  // Whether the target has a backward and which parameters it writes
  // gradients of: "1:" and one 0/1 per parameter, or "0".
  os << ";backward=";
  if (target == KernelTarget::Cpu ? !c.cpuBackwardEntry.empty()
                                  : c.cudaBackward.has_value()) {
    os << "1:";
    for (auto p : params.getAsRange<attn::ParamAttr>())
      os << (p.getElementType().isF32() && !p.getFrozen() ? 1 : 0);
  } else {
    os << "0";
  }
  // The `require` programs, '|' between them: a manifest cannot drop one.
  os << ";requires=";
  if (ArrayAttr requirements =
          get([](auto o) { return o.getRequirementsAttr(); }))
    llvm::interleave(
        requirements.getAsRange<attn::RequireAttr>(), os,
        [&](attn::RequireAttr r) { os << r.getProgram(); }, "|");
  os << ";spec_hash=" << c.specHash;
  // Packed variable-length batches (the target plan's `ragged`).
  bool ragged = false;
  if (auto cpu = op->getAttrOfType<attn::CpuPlanAttr>("cpu_plan");
      cpu && target == KernelTarget::Cpu)
    ragged = cpu.getRagged();
  if (auto cuda = op->getAttrOfType<attn::CudaPlanAttr>("cuda_plan");
      cuda && target == KernelTarget::Cuda)
    ragged = cuda.getRagged();
  if (ragged)
    os << ";ragged=1";
  return out;
}

void emitKernelSignature(Operation *op, const PackageContents &c,
                         KernelTarget target, raw_ostream &os) {
  const bool cpu = target == KernelTarget::Cpu;
  os << "\n// The kernel's signature: the runtime compares it with "
        "manifest.json before\n// the first launch (docs/runtime.md, "
        "\"Kernel signatures\").\n";
  os << (cpu ? "extern \"C\" __attribute__((visibility(\"default\"))) const "
               "char "
             : "extern \"C\" __constant__ char ")
     << (cpu ? c.cpuEntry : c.cudaKernel) << "_signature[] =\n    \"";
  // The signature holds identifiers, digits and punctuation only; escape
  // anyway so that the literal can never end early.
  os.write_escaped(kernelSignature(op, c, target));
  os << "\";\n";
}

} // namespace attnc
