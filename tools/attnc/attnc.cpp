//===- attnc.cpp - The attnc command-line driver --------------------------===//
//
// attnc SPEC [--name N] --emit=mlir          print a stage of the pipeline
// attnc run SPEC [--name N] --backend reference (--input NAME=FILE.npy...
//           | --random B,Nq[,Nk] [--seed S] [--random-state]) [--output o.npy]
//           [--lse l.npy] [--final-state s.npy] [--final-z z.npy]
//
// Every user error ends in a diagnostic and exit code 1; --verify-diagnostics
// checks diagnostics against `expected-error` comments for lit tests.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/BackendRun.h"
#include "tools/attnc/BackwardRun.h"
#include "tools/attnc/CommandLine.h"
#include "tools/attnc/ExplainBlockMask.h"
#include "tools/attnc/Inputs.h"
#include "tools/attnc/Ragged.h"
#include "tools/attnc/OutOfMemory.h"

#include "codegen/BackwardCpuEmitter.h"
#include "codegen/CpuEmitter.h"
#include "codegen/CudaEmitter.h"
#include "dialect/AttnOps.h"
#include "dialect/AttnPasses.h"
#include "lib/Driver/Explain.h"
#include "lib/Driver/LoadSpec.h"
#include "lib/Driver/Package.h"
#include "lib/Reference/Backward.h"
#include "lib/Reference/GradientCheck.h"
#include "lib/Reference/Reference.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/ToolUtilities.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <cerrno>
#include <algorithm>
#include <chrono>
#include <cmath>

using namespace mlir;

namespace attnc {
namespace {

const char *const kUsage = R"(usage:
  attnc SPEC [--name NAME] [--emit=mlir|backward|scheduled|blocked|kernel|cpu|cuda|cuda-header] [-o FILE]
  attnc explain SPEC [--name NAME] --len Nq[,Nk] [--svg MAP.svg]
        [--block-mask [--seed S] [--mean-segment L]]
  attnc compile SPEC [--name NAME] -o DIR [--arch sm_80,sm_90]
        [--cpu-flags FLAGS] [--no-cpu] [--no-cuda-build]
  attnc run SPEC [--name NAME] [--backend reference|cpu|cuda] [--check]
        [--package DIR] [--repeat R] [--save-inputs DIR] [--block-mask]
        (--input q=Q.npy --input k=K.npy --input v=V.npy [--input PARAM=P.npy]...
           [--input state=S.npy [--input z=Z.npy]]
         | --random B,Nq[,Nk] [--seed S] [--random-state] [--mean-segment L])
        [--output O.npy] [--lse LSE.npy] [--final-state S.npy] [--final-z Z.npy]
common flags: --verify-diagnostics --split-input-file
)";

int fail(const std::string &message) {
  llvm::errs() << "attnc: error: " << message << "\n";
  return 1;
}

/// Runs the default pipeline (attnc-pipeline) on `module`, up to `upTo`.
LogicalResult schedule(ModuleOp module,
                       attn::PipelineStage upTo = attn::PipelineStage::Kernel,
                       bool backward = false) {
  PassManager pm(module.getContext());
  // --mlir-print-ir-after-all, --mlir-timing and the rest of MLIR's options.
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  attn::buildAttncPipeline(pm, upTo, backward);
  return pm.run(module);
}

/// Runs attn-differentiate on `module`: the derivative regions of the
/// backward pass (`--emit=backward`, `attnc run --backward`).
/// With `allowUnsupported`, blocks without a backward only get a warning
/// (the caller checks the block it runs).
LogicalResult differentiate(ModuleOp module, bool allowUnsupported = false) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  if (allowUnsupported)
    pm.addPass(attn::createAttnDifferentiatePass({/*allowUnsupported=*/true}));
  else
    attn::buildBackwardPipeline(pm);
  return pm.run(module);
}

/// `attnc SPEC --emit=STAGE`: prints one stage of the pipeline.
LogicalResult emitCommand(const CommandLine &cl, MLIRContext &context,
                          const llvm::MemoryBuffer &buffer,
                          llvm::raw_ostream &os) {
  OwningOpRef<ModuleOp> module = loadSpec(&context, buffer);
  if (!module)
    return failure();
  // parseCommandLine accepts only the stages listed with --emit.
  std::string emit = cl.get("emit", "mlir");
  const attn::PipelineStage upTo = emit == "scheduled"
                                       ? attn::PipelineStage::Scheduled
                                   : emit == "blocked"
                                       ? attn::PipelineStage::Blocked
                                       : attn::PipelineStage::Kernel;
  if (emit == "backward") {
    if (failed(differentiate(*module)))
      return failure();
  } else if (emit != "mlir" &&
             failed(schedule(*module, upTo, cl.has("backward")))) {
    return failure();
  }
  if (emit == "cpu" || emit == "cuda" || emit == "cuda-header") {
    Operation *op = selectAttention(*module, cl.get("name"));
    if (!op)
      return failure();
    if (emit == "cpu")
      return emitCpu(op, os);
    return emit == "cuda" ? emitCuda(op, os) : emitCudaHeader(op, os);
  }
  if (cl.has("name")) {
    Operation *op = selectAttention(*module, cl.get("name"));
    if (!op)
      return failure();
    op->print(os);
    os << "\n";
    return success();
  }
  module->print(os);
  os << "\n";
  return success();
}

/// `attnc compile SPEC -o DIR`: writes a package (docs/runtime.md).
LogicalResult compileCommand(const CommandLine &cl, MLIRContext &context,
                             const llvm::MemoryBuffer &buffer) {
  OwningOpRef<ModuleOp> module = loadSpec(&context, buffer);
  if (!module || failed(schedule(*module, attn::PipelineStage::Kernel,
                                 cl.has("backward"))))
    return failure();
  Operation *op = selectAttention(*module, cl.get("name"));
  if (!op)
    return failure();
  if (cl.has("backward") && cpuBackwardEntryName(op).empty()) {
    op->emitError() << "--backward: this spec has no backward pass yet (the "
                       "linear family and sparse + linear hybrids)";
    return failure();
  }
  PackageOptions options;
  options.outDir = cl.get("o");
  if (options.outDir.empty() || options.outDir == "-") {
    op->emitError() << "attnc compile needs an output directory: -o DIR";
    return failure();
  }
  if (cl.has("arch")) {
    options.archs.clear();
    llvm::SmallVector<llvm::StringRef> archs;
    llvm::StringRef(cl.get("arch")).split(archs, ',', -1, false);
    for (llvm::StringRef arch : archs) {
      if (!arch.starts_with("sm_") || arch.size() < 5 ||
          !llvm::all_of(arch.drop_front(3), llvm::isDigit)) {
        op->emitError() << "--arch '" << arch
                        << "': expected a list like sm_80,sm_90";
        return failure();
      }
      options.archs.push_back(arch.str());
    }
  }
  if (cl.has("cpu-flags"))
    options.cpuFlags = cl.get("cpu-flags");
  options.buildCpu = !cl.flags.count("no-cpu");
  options.buildCuda = !cl.flags.count("no-cuda-build");
  return writePackage(op, buffer.getBuffer(), options);
}

/// Parses "N" or "Nq,Nk" into positive lengths.
bool parseLengths(const std::string &text, int64_t &nq, int64_t &nk) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(text).split(parts, ',');
  if (parts.empty() || parts.size() > 2)
    return false;
  if (parts[0].getAsInteger(10, nq) || nq <= 0)
    return false;
  nk = nq;
  if (parts.size() == 2 && (parts[1].getAsInteger(10, nk) || nk <= 0))
    return false;
  return nq <= (int64_t(1) << 40) && nk <= (int64_t(1) << 40);
}

/// `attnc explain SPEC --len Nq[,Nk] [--svg map.svg]`.
LogicalResult explainCommand(const CommandLine &cl, MLIRContext &context,
                             const llvm::MemoryBuffer &buffer,
                             llvm::raw_ostream &os) {
  OwningOpRef<ModuleOp> module = loadSpec(&context, buffer);
  if (!module || failed(schedule(*module)))
    return failure();
  Operation *op = selectAttention(*module, cl.get("name"));
  if (!op)
    return failure();
  int64_t nq, nk;
  if (!parseLengths(cl.get("len", "4096"), nq, nk)) {
    fail("--len '" + cl.get("len") +
         "': expected N or Nq,Nk with positive integers");
    return failure();
  }
  if (failed(explainText(op, nq, nk, os)))
    return failure();
  if (cl.has("block-mask")) {
    RuntimeMaskRequest request;
    request.nq = nq;
    request.nk = nk;
    request.svgPath = cl.get("svg");
    if (llvm::StringRef(cl.get("seed", "0")).getAsInteger(10, request.seed)) {
      fail("--seed '" + cl.get("seed") + "': expected a non-negative integer");
      return failure();
    }
    if (llvm::StringRef(cl.get("mean-segment", "32"))
            .getAsInteger(10, request.meanSegment) ||
        request.meanSegment < 1 || request.meanSegment > 1000000) {
      fail("--mean-segment '" + cl.get("mean-segment") +
           "': expected an integer in [1, 1000000]");
      return failure();
    }
    return explainRuntimeBlockMask(op, buffer.getBuffer(), request, os);
  }
  if (cl.has("seed") || cl.has("mean-segment")) {
    fail("--seed and --mean-segment go with --block-mask");
    return failure();
  }
  if (!cl.has("svg"))
    return success();
  // Drawn in memory first: a spec the map cannot show leaves no file.
  std::string picture;
  llvm::raw_string_ostream svg(picture);
  if (failed(explainSvg(op, nq, nk, svg)))
    return failure();
  std::error_code ec;
  llvm::raw_fd_ostream file(cl.get("svg"), ec);
  if (ec) {
    fail("cannot write '" + cl.get("svg") + "': " + ec.message());
    return failure();
  }
  file << picture;
  return success();
}

/// Prints a one-line summary of a tensor for runs without --output.
void summarize(llvm::raw_ostream &os, const char *name,
               const reference::Tensor &t) {
  double sum = 0, absMax = 0;
  for (double x : t.data) {
    if (std::isfinite(x)) {
      sum += x;
      absMax = std::max(absMax, std::fabs(x));
    }
  }
  os << name << ": shape [";
  for (size_t i = 0; i < t.shape.size(); ++i)
    os << (i ? ", " : "") << t.shape[i];
  os << "] sum " << llvm::format("%.6g", sum) << " max|x| "
     << llvm::format("%.6g", absMax) << "\n";
}

/// Writes --output and --lse of a run.
LogicalResult writeForwardOutputs(const CommandLine &cl,
                                  const reference::Outputs &outputs) {
  for (auto [option, tensor] :
       {std::pair<const char *, const reference::Tensor *>{"output",
                                                           &outputs.o},
        {"lse", &outputs.lse}}) {
    if (!cl.has(option))
      continue;
    if (std::string e = writeTensor(cl.get(option), *tensor); !e.empty()) {
      // A file that cannot be written: not the spec's problem.
      fail(e);
      return failure();
    }
  }
  return success();
}

/// The backward half of `attnc run --backward`: the reference gradients,
/// checked against finite differences with --check, written with
/// --grad NAME=FILE (q, k, v, each differentiable parameter) or summarized.
bool runBackwardCommand(const CommandLine &cl, Operation *op,
                        const reference::Inputs &inputs,
                        const reference::Tensor &dO,
                        const reference::Gradients *backendGrads,
                        llvm::raw_ostream &os) {
  auto fail = [&](const std::string &message) {
    op->emitError() << message;
    return false;
  };
  // A compiled backend's gradients, or the reference's.
  reference::Gradients reference;
  std::string error;
  if ((!backendGrads || cl.has("check")) &&
      failed(reference::runBackward(op, inputs, dO, reference, error)))
    return error.empty() ? false : fail(error);
  const reference::Gradients &grads = backendGrads ? *backendGrads : reference;

  // The tensors --grad may name.
  std::vector<std::pair<std::string, reference::Tensor>> named = {
      {"q", grads.dq}, {"k", grads.dk}, {"v", grads.dv}};
  for (const std::string &name : reference::differentiableParams(op)) {
    const reference::ParamValues &g = grads.params.find(name)->second;
    named.push_back({name, {g.shape, g.values}});
  }
  std::set<std::string> written;
  auto it = cl.options.find("grad");
  for (const std::string &assignment :
       it == cl.options.end() ? std::vector<std::string>{} : it->second) {
    size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == assignment.size())
      return fail("--grad '" + assignment + "': expected NAME=FILE.npy");
    std::string name = assignment.substr(0, eq);
    auto found = llvm::find_if(named, [&](auto &n) { return n.first == name; });
    if (found == named.end()) {
      std::string known;
      for (auto &n : named)
        known += (known.empty() ? "" : ", ") + n.first;
      auto attention = cast<attn::AttentionOp>(op);
      if (attn::ParamAttr param = attention.lookupParam(name))
        return fail("--grad '" + name + "': parameter '" + name + "' is " +
                    (param.getFrozen() ? "frozen" : "i32") +
                    " and has no gradient");
      return fail("--grad '" + name + "': expected one of " + known);
    }
    if (!written.insert(name).second)
      return fail("--grad '" + name + "' is given twice");
    if (std::string e = writeTensor(assignment.substr(eq + 1), found->second);
        !e.empty())
      return fail(e);
  }
  if (cl.has("check") && backendGrads) {
    if (!compareGradients(op, grads, reference, os))
      return fail("the " + cl.get("backend") +
                  " backward disagrees with the reference backward");
  } else if (cl.has("check")) {
    FailureOr<bool> ok =
        reference::checkGradients(op, inputs, dO, grads, os, error);
    if (failed(ok))
      return error.empty() ? false : fail(error);
    if (!*ok)
      return fail("the reference backward disagrees with finite "
                  "differences of the reference forward");
  } else if (written.empty()) {
    for (auto &[name, tensor] : named)
      summarize(os, ("d" + name).c_str(), tensor);
  }
  return true;
}

/// `attnc run`: evaluates one attention op on given or random inputs with
/// the reference executor or a compiled backend.
LogicalResult runCommand(const CommandLine &cl, MLIRContext &context,
                         const llvm::MemoryBuffer &buffer,
                         llvm::raw_ostream &os) {
  OwningOpRef<ModuleOp> module = loadSpec(&context, buffer);
  if (!module)
    return failure();
  Operation *op = selectAttention(*module, cl.get("name"));
  if (!op)
    return failure();
  auto inputError = [&](const std::string &message) {
    // Tensor problems have no place in the spec: report them against the
    // spec's attention op so the user also sees which variant was run.
    op->emitError() << message;
    return failure();
  };
  // A mistake on the command line alone (options that do not go together,
  // a malformed value) has nothing to do with the spec's text: a plain
  // `attnc: error:` line, not one drawn under the attention statement.
  auto optionError = [&](const std::string &message) {
    llvm::errs() << "attnc: error: " << message << "\n";
    return failure();
  };

  // `select` chooses tiles of the schedule, so every backend (the reference
  // included) needs the scheduled op; the pipeline runs once.
  bool scheduled = false;
  if (auto softmax = dyn_cast<attn::AttentionOp>(op);
      softmax && softmax.getSelect()) {
    // A compiled backend's backward needs its backward kernel too.
    const bool compiledBackward =
        cl.has("backward") && cl.get("backend", "reference") != "reference";
    if (failed(schedule(*module, attn::PipelineStage::Kernel,
                        compiledBackward)))
      return failure();
    scheduled = true;
  }

  // One of reference, cpu, cuda (the command line checks the value).
  std::string backend = cl.get("backend", "reference");
  // --backend cuda runs on device 0 through the runtime (NVRTC compiles the
  // package's .cu); timing belongs to bench/, which synchronizes properly.
  if (backend == "cuda" && cl.has("repeat"))
    return optionError("--repeat times the reference and cpu backends; time "
                      "CUDA kernels with bench/");
  // --backward: the gradients of loss = sum(o * dO). On the reference
  // backend --check compares them with finite differences of the forward.
  const bool backward = cl.has("backward");
  if (cl.has("grad") && !backward)
    return optionError("--grad needs --backward");
  if (backward && !isa<attn::AttentionOp>(op))
    return inputError("--backward: the linear family has no backward pass "
                      "yet");
  if (backward && (cl.has("block-mask") || cl.has("repeat")))
    return optionError("--block-mask and --repeat do not apply to --backward");
  if (backend == "reference" && cl.has("package"))
    return optionError("--package applies to compiled backends");
  if (backend == "reference" && cl.has("check") && !backward)
    return optionError("--check applies to compiled backends, or to "
                      "--backward on the reference backend (finite "
                      "differences)");
  // The derivative regions the backward evaluates (attn-differentiate).
  if (backward && isa<attn::AttentionOp>(op) &&
      cast<attn::AttentionOp>(op).getHybridFeature())
    return inputError("--backward: sparse + linear hybrids have no backward "
                      "pass yet");
  if (backward && failed(differentiate(*module, /*allowUnsupported=*/true)))
    return failure();
  bool wantLse = cl.has("lse") || (cl.has("check") && isa<attn::AttentionOp>(op) &&
                                   cast<attn::AttentionOp>(op).getNormalize() ==
                                       attn::Normalize::softmax);
  if (cl.has("lse") && !isa<attn::AttentionOp>(op))
    return inputError("--lse is defined for the softmax family only");
  if (cl.has("lse") && isa<attn::AttentionOp>(op) &&
      cast<attn::AttentionOp>(op).getNormalize() != attn::Normalize::softmax)
    return inputError("--lse needs 'normalize softmax'");
  // The causal linear family's final state S (and z with normalize sum);
  // --check compares it whenever the spec has one.
  for (const char *option : {"final-state", "final-z"})
    if (cl.has(option) && !reference::hasState(op))
      return inputError(std::string("--") + option +
                        " is defined for the causal linear family only");
  if (cl.has("final-z") && !reference::hasNormalizerState(op))
    return inputError("--final-z needs 'normalize sum'");
  bool wantState =
      reference::hasState(op) &&
      (cl.has("check") || cl.has("final-state") || cl.has("final-z"));
  if (cl.has("random-state") && !cl.has("random"))
    return optionError("--random-state goes with --random; give a state file "
                      "with --input state=FILE.npy");

  // A packed (ragged) batch: q, k, v as [tokens, heads, dim] with
  // cu_seqlens (docs/runtime.md §3e), softmax forward only.
  const bool ragged = cl.has("cu-seqlens-q") || cl.has("cu-seqlens-k");
  RaggedBatch raggedBatch;
  if (ragged) {
    if (!cl.has("cu-seqlens-q") || !cl.has("cu-seqlens-k"))
      return inputError("--cu-seqlens-q and --cu-seqlens-k go together");
    if (!isa<attn::AttentionOp>(op))
      return inputError("ragged batches (--cu-seqlens-q/k) are supported for "
                        "the softmax family only");
    for (const char *option : {"random", "backward", "block-mask"})
      if (cl.has(option))
        return inputError(std::string("--") + option +
                          " does not apply to a ragged batch (--cu-seqlens-q/k)");
    if (std::string e = loadRaggedBatch(cl.get("cu-seqlens-q"),
                                        cl.get("cu-seqlens-k"), raggedBatch);
        !e.empty())
      return inputError(e);
  }

  // A paged KV cache (docs/runtime.md §3f): the same inputs, k and v
  // scattered into shuffled pages, through the paged entry points.
  const bool paged = cl.has("page-size");
  PagingOptions paging;
  if (cl.has("page-layout") && !paged)
    return optionError("--page-layout goes with --page-size");
  if (paged) {
    if (llvm::StringRef(cl.get("page-size")).getAsInteger(10, paging.pageSize) ||
        paging.pageSize < 1 || paging.pageSize > 65536)
      return optionError("--page-size '" + cl.get("page-size") +
                         "': expected an integer in [1, 65536]");
    if (cl.has("page-layout"))
      if (std::string e = parsePageLayout(cl.get("page-layout"), paging.layout);
          !e.empty())
        return optionError(e);
    if (backend == "reference")
      return optionError("--page-size runs a compiled package's paged entry "
                         "points: give --backend cpu or cuda (the reference "
                         "has no pages)");
    if (!isa<attn::AttentionOp>(op))
      return inputError("paged KV caches (--page-size) are supported for the "
                        "softmax family only");
    for (const char *option : {"backward", "block-mask"})
      if (cl.has(option))
        return inputError(std::string("--") + option +
                          " does not apply to a paged call (--page-size)");
  }

  // Split-KV decode's splits (docs/runtime.md §3g), compiled backends.
  int kvSplits = 0;
  if (cl.has("kv-splits")) {
    if (llvm::StringRef(cl.get("kv-splits")).getAsInteger(10, kvSplits) ||
        kvSplits < 0 || kvSplits > 256)
      return optionError("--kv-splits '" + cl.get("kv-splits") +
                         "': expected an integer in [0, 256]");
    if (backend == "reference")
      return optionError("--kv-splits applies to --backend cpu or cuda "
                         "(split-KV decode)");
  }

  reference::Inputs inputs;
  reference::Tensor outputGradient; // dO, with --backward
  uint64_t seed = 0;
  std::string error;
  if (cl.has("random")) {
    if (cl.has("input"))
      return optionError("give either --input or --random, not both");
    std::string seedText = cl.get("seed", "0");
    char *end = nullptr;
    errno = 0;
    seed = std::strtoull(seedText.c_str(), &end, 10);
    // strtoull would take "-3" (wrapping it) and leading blanks or '+'.
    if (seedText.empty() ||
        !std::isdigit(static_cast<unsigned char>(seedText[0])) ||
        *end != '\0' || errno == ERANGE)
      return optionError("--seed '" + seedText +
                        "': expected a non-negative integer");
    int meanSegment = 32;
    if (cl.has("mean-segment") &&
        (llvm::StringRef(cl.get("mean-segment"))
             .getAsInteger(10, meanSegment) ||
         meanSegment < 1 || meanSegment > 1000000))
      return optionError("--mean-segment '" + cl.get("mean-segment") +
                        "': expected an integer in [1, 1000000]");
    error = makeRandomInputs(op, cl.get("random"), seed, cl.has("random-state"),
                             inputs, meanSegment);
  } else {
    auto it = cl.options.find("input");
    error = loadInputs(op, it == cl.options.end() ? std::vector<std::string>{}
                                                  : it->second,
                       inputs, backward ? &outputGradient : nullptr);
  }
  paging.seed = seed; // the pages' shuffle follows --seed
  // The compiled backends' runtime checks the offsets too (its messages
  // are the same); the reference needs them checked before it unpacks.
  if (error.empty() && ragged)
    error = checkRaggedBatch(raggedBatch);
  if (error.empty() && ragged)
    error = unpackInputs(raggedBatch, inputs);
  reference::Problem problem;
  if (error.empty())
    error = reference::checkInputs(op, inputs, problem);
  if (!error.empty())
    return inputError(error);
  if (backward) {
    if (cl.has("random"))
      outputGradient = randomOutputGradient(problem, seed);
    else if (outputGradient.shape.empty())
      return inputError("--backward needs the gradient of o: give --input "
                        "do=FILE.npy");
    if (std::string e =
            reference::checkOutputGradient(op, problem, outputGradient);
        !e.empty())
      return inputError(e);
  }
  roundToStorageDtype(op, inputs);
  if (cl.has("save-inputs")) {
    if (std::error_code ec =
            llvm::sys::fs::create_directories(cl.get("save-inputs")))
      return optionError("--save-inputs: cannot create directory '" +
                         cl.get("save-inputs") + "': " + ec.message());
    if (std::string e = saveInputs(op, inputs, cl.get("save-inputs"));
        !e.empty())
      return optionError(e);
    // With --backward the gradient of o is an input too (do.npy).
    if (backward)
      if (std::string e = writeTensor(cl.get("save-inputs") + "/do.npy",
                                      outputGradient);
          !e.empty())
        return optionError(e);
  }

  // --repeat R times the backend R times (after one warm-up run for a
  // compiled backend) and prints the median: benchmarks, not tests.
  int repeat = 1;
  if (cl.has("repeat") &&
      (llvm::StringRef(cl.get("repeat")).getAsInteger(10, repeat) ||
       repeat < 1 || repeat > 10000))
    return optionError("--repeat '" + cl.get("repeat") +
                      "': expected an integer in [1, 10000]");
  std::vector<double> times;
  auto timed = [&](auto fn) {
    auto start = std::chrono::steady_clock::now();
    auto result = fn();
    times.push_back(std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count());
    return result;
  };

  if (cl.has("block-mask") &&
      (backend != "cpu" || !isa<attn::AttentionOp>(op)))
    return inputError("--block-mask needs --backend cpu and a softmax-family "
                      "spec");
  BlockMaskReport blockMask;
  reference::Outputs outputs;
  reference::Gradients backendGrads; // --backward on a compiled backend
  if (backend == "reference") {
    for (int i = 0; i < repeat; ++i)
      if (failed(timed([&] { return reference::run(op, inputs, outputs, error); })))
        return error.empty() ? failure() : inputError(error);
  } else {
    std::string dir = cl.get("package");
    // A package built here is removed on every way out, errors included.
    std::string temporary;
    auto removeTemporary = llvm::make_scope_exit([&] {
      if (!temporary.empty())
        (void)llvm::sys::fs::remove_directories(temporary);
    });
    if (!dir.empty()) {
      if (std::string e = checkPackageSpec(dir, buffer.getBuffer());
          !e.empty())
        return inputError(e);
    } else {
      if (!scheduled && failed(schedule(*module, attn::PipelineStage::Kernel,
                                        backward)))
        return failure();
      dir = temporary = temporaryPackageDir();
      if (dir.empty())
        return inputError("cannot create a temporary package directory");
      PackageOptions options;
      options.outDir = dir;
      options.buildCuda = false; // the runtime compiles the .cu (NVRTC)
      options.buildCpu = backend == "cpu";
      if (failed(writePackage(op, buffer.getBuffer(), options)))
        return failure();
    }
    if (backward) {
      error = runPackageBackward(op, dir, inputs, outputGradient, outputs,
                                 backendGrads,
                                 backend == "cuda" ? CompiledBackend::Cuda
                                                   : CompiledBackend::Cpu);
    } else if (ragged || paged) {
      error = runRaggedPackage(op, dir, ragged ? &raggedBatch : nullptr,
                               paged ? &paging : nullptr, inputs, wantLse,
                               backend == "cuda", outputs, kvSplits);
    } else if (backend == "cuda") {
      error = runPackageOnCuda(op, dir, inputs, wantLse, wantState, outputs,
                               kvSplits);
    } else if (cl.has("block-mask")) {
      blockMask.repeat = cl.has("repeat") ? repeat : 0;
      error = runPackageOnCpu(op, dir, inputs, wantLse, wantState, outputs,
                              &blockMask);
    } else {
      error = runPackageOnCpu(op, dir, inputs, wantLse, wantState, outputs,
                              nullptr, kvSplits);
    }
    for (int i = 0; i < repeat && cl.has("repeat") && !cl.has("block-mask") &&
                    error.empty();
         ++i)
      error = timed([&] {
        return ragged || paged
                   ? runRaggedPackage(op, dir, ragged ? &raggedBatch : nullptr,
                                      paged ? &paging : nullptr, inputs,
                                      wantLse, /*cuda=*/false, outputs,
                                      kvSplits)
                      : runPackageOnCpu(op, dir, inputs, wantLse, wantState,
                                        outputs, nullptr, kvSplits);
      });
    if (!error.empty())
      return inputError(error);
  }

  if (cl.has("block-mask")) {
    os << "block mask: " << blockMask.nnz << " tiles visited ("
       << blockMask.full << " full, " << blockMask.partial
       << " partial); static plan: " << blockMask.staticTiles << " tiles ("
       << blockMask.rows << " rows, heads " << blockMask.heads << ")\n";
    if (cl.has("repeat"))
      os << "time: block mask build "
         << llvm::format("%.3f", blockMask.buildMs) << " ms, attention "
         << llvm::format("%.3f", blockMask.runMs)
         << " ms (static plan: " << llvm::format("%.3f", blockMask.staticMs)
         << " ms), medians of " << blockMask.repeat << " (cpu backend)\n";
  } else if (cl.has("repeat")) {
    std::sort(times.begin(), times.end());
    os << "time: " << llvm::format("%.3f", times[times.size() / 2])
       << " ms median of " << times.size() << " (" << backend
       << " backend, excluding compilation and I/O)\n";
  }
  if (backward)
    return runBackwardCommand(cl, op, inputs, outputGradient,
                              backend == "reference" ? nullptr : &backendGrads,
                              os)
               ? (cl.has("output") || cl.has("lse")
                      ? writeForwardOutputs(cl, outputs)
                      : success())
               : failure();
  if (cl.has("check")) {
    reference::Outputs expected;
    if (failed(reference::run(op, inputs, expected, error)))
      return error.empty() ? failure() : inputError(error);
    if (!compareToReference(op, outputs, expected, wantLse, wantState,
                            backend == "cuda", os))
      return inputError("the " + backend +
                        " backend disagrees with the reference executor");
  }
  // A ragged batch's outputs are packed again: o [total_q, H, Dv], lse
  // [H, total_q].
  if (ragged) {
    outputs.o = packRows(outputs.o, raggedBatch.cuQ);
    if (cl.has("lse"))
      outputs.lse = packLse(outputs.lse, raggedBatch.cuQ);
  }
  // A file that cannot be written is the command line's problem, not the
  // spec's.
  if (cl.has("output")) {
    if (std::string e = writeTensor(cl.get("output"), outputs.o); !e.empty())
      return optionError(e);
  } else if (!cl.has("check")) {
    summarize(os, "o", outputs.o);
  }
  if (cl.has("lse")) {
    if (std::string e = writeTensor(cl.get("lse"), outputs.lse); !e.empty())
      return optionError(e);
  }
  if (cl.has("final-state")) {
    if (std::string e = writeTensor(cl.get("final-state"), outputs.state);
        !e.empty())
      return optionError(e);
  }
  if (cl.has("final-z")) {
    if (std::string e = writeTensor(cl.get("final-z"), outputs.z); !e.empty())
      return optionError(e);
  }
  return success();
}

} // namespace
} // namespace attnc

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  attnc::installOutOfMemoryHandler();
  using namespace attnc;
  CommandLine cl;
  std::string error;
  if (!parseCommandLine(argc, argv, cl, error)) {
    llvm::errs() << "attnc: error: " << error << "\n" << kUsage;
    return 1;
  }

  std::string readError;
  auto file = openInputFile(cl.spec, &readError);
  if (!file)
    return fail(readError);
  // For `compile`, -o names the package directory, not an output file.
  std::unique_ptr<llvm::ToolOutputFile> output = openOutputFile(
      cl.command == "compile" ? "-" : cl.get("o", "-"), &readError);
  if (!output)
    return fail(readError);

  auto processBuffer = [&](std::unique_ptr<llvm::MemoryBuffer> buffer,
                           llvm::raw_ostream &os) -> LogicalResult {
    MLIRContext context;
    context.printOpOnDiagnostic(false);
    llvm::SourceMgr sourceMgr;
    const llvm::MemoryBuffer &ref = *buffer;
    sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
    auto run = [&]() {
      if (cl.command == "run")
        return runCommand(cl, context, ref, os);
      if (cl.command == "explain")
        return explainCommand(cl, context, ref, os);
      if (cl.command == "compile")
        return compileCommand(cl, context, ref);
      return emitCommand(cl, context, ref, os);
    };
    if (cl.flags.count("verify-diagnostics")) {
      SourceMgrDiagnosticVerifierHandler handler(sourceMgr, &context);
      (void)run();
      return handler.verify();
    }
    SourceMgrDiagnosticHandler handler(sourceMgr, &context);
    return run();
  };
  LogicalResult result =
      cl.flags.count("split-input-file")
          ? splitAndProcessBuffer(std::move(file), processBuffer,
                                  output->os(), "# -----", "// -----")
          : processBuffer(std::move(file), output->os());
  if (failed(result))
    return 1;
  output->keep();
  return 0;
}
