//===- Package.cpp - Write a compiled package to a directory --------------===//
//
// This file implements package writing: emit each backend's source, build
// it with the host compiler (CPU) or nvcc (one cubin per arch), then write
// the manifest listing what was produced.
//
//===----------------------------------------------------------------------===//

#include "lib/Driver/Package.h"

#include "codegen/BackwardCpuEmitter.h"
#include "codegen/CpuEmitter.h"
#include "codegen/CudaEmitter.h"
#include "codegen/EmitterSupport.h"
#include "codegen/GridTilesEmitter.h"
#include "codegen/LinearCudaEmitter.h"
#include "codegen/ManifestEmitter.h"
#include "dialect/AttnOps.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <sstream>

using namespace mlir;

namespace attnc {
namespace {

std::string join(StringRef dir, StringRef file) {
  SmallString<256> path(dir);
  llvm::sys::path::append(path, file);
  return path.str().str();
}

LogicalResult writeFile(Operation *op, const std::string &path,
                        StringRef text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return op->emitError() << "cannot write '" << path << "': "
                           << ec.message();
  os << text;
  return success();
}

std::vector<std::string> splitFlags(const std::string &flags) {
  std::vector<std::string> out;
  std::istringstream in(flags);
  for (std::string word; in >> word;)
    out.push_back(word);
  return out;
}

/// Runs `program args...`, sending its output to `logPath`; reports the
/// failure with the log's location.
LogicalResult runTool(Operation *op, const std::string &program,
                      const std::vector<std::string> &args,
                      const std::string &logPath, StringRef what) {
  std::vector<StringRef> argv = {program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logPath),
                                          StringRef(logPath)};
  std::string errMsg;
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects,
                                     0, 0, &errMsg);
  if (rc != 0)
    return op->emitError() << what << " failed (" << program << ", exit "
                           << rc << (errMsg.empty() ? "" : ": " + errMsg)
                           << "); see '" << logPath << "'";
  return success();
}

/// Emits the .cu and its header and, where nvcc is found, one cubin per
/// arch, for both families. An op that attn-plan-kernel marked
/// `cuda_unsupported` (no kernel design fits it) gets no CUDA backend (with
/// a warning: its CPU backend covers it); the package then holds only the
/// CPU one (the runtime says so if asked for CUDA).
LogicalResult writeCuda(Operation *op, const PackageOptions &options,
                        const std::string &base, PackageContents &contents) {
  auto softmax = dyn_cast<attn::AttentionOp>(op);
  if (auto why = op->getAttrOfType<StringAttr>("cuda_unsupported");
      why && options.buildCpu) {
    emitWarning(attn::cudaUnsupportedLoc(op))
        << "the package has no CUDA backend: " << why.getValue();
    return success();
  }
  FailureOr<CudaLaunchInfo> info = cudaLaunchInfo(op);
  if (failed(info))
    return failure();
  std::string source, header;
  llvm::raw_string_ostream sourceOs(source), headerOs(header);
  if (failed(emitCuda(op, sourceOs)) || failed(emitCudaHeader(op, headerOs)))
    return failure();
  contents.cudaSource = base + ".cu";
  contents.cudaHeader = base + ".h";
  contents.cudaKernel = info->kernelName;
  contents.cudaBlockThreads = info->blockThreads;
  contents.cudaSharedBytes = info->sharedBytes;
  // The prologue kernels in the same module (docs/runtime.md §3b).
  if (softmax) {
    contents.cudaPrologueThreads = kCudaPrologueThreads;
    contents.cudaBlockMaskKernel = cudaBlockMaskKernelName(op);
    contents.cudaBlockMaskCsrKernel = cudaBlockMaskCsrKernelName(op);
    contents.blockMaskHeads = blockMaskHeads(op);
    contents.autoBlockMask = autoBlockMask(op);
    contents.cudaMergeKernel = cudaMergeKernelName(op);
    contents.cudaMergeThreads = kCudaMergeThreads;
  }
  if (softmax && softmax.getSelect()) {
    contents.cudaSelectKMeanKernel = cudaSelectKMeanKernelName(op);
    contents.cudaSelectKernel = cudaSelectKernelName(op);
  }
  if (softmax && softmax.getHybridFeature()) {
    contents.cudaHybridStatesKernel = cudaHybridStatesKernelName(op);
    contents.cudaHybridScanKernel = cudaHybridScanKernelName(op);
    contents.hybridFeatureDim = softmax.getHybridFeatureDim();
  }
  contents.cudaBackward = cudaBackwardInfo(op);
  contents.cudaGrid =
      info->grid == CudaGrid::ValueTiles ? "value_tiles" : "q_blocks";
  contents.cudaValueTiles = info->valueTiles;
  // A token grid's boxes: grid x counts them (the far ones hold padding).
  if (softmax && !cudaGridBox(softmax).empty()) {
    ArrayRef<int64_t> sizes = *softmax.getGrid(), box = cudaGridBox(softmax);
    contents.cudaQTiles = 1;
    for (size_t a = 0; a < sizes.size(); ++a)
      contents.cudaQTiles *= (sizes[a] + box[a] - 1) / box[a];
  }
  contents.archs = options.archs;
  // The module carries its own signature (a __constant__ string), which the
  // runtime reads back and checks against the manifest after loading it.
  emitKernelSignature(op, contents, KernelTarget::Cuda, sourceOs);
  std::string sourcePath = join(options.outDir, contents.cudaSource);
  if (failed(writeFile(op, sourcePath, source)) ||
      failed(writeFile(op, join(options.outDir, contents.cudaHeader), header)))
    return failure();
  if (!options.buildCuda)
    return success();
  auto nvcc = llvm::sys::findProgramByName("nvcc");
  if (!nvcc)
    nvcc = llvm::sys::findProgramByName("nvcc", {"/usr/local/cuda/bin"});
  if (!nvcc)
    return success(); // the runtime compiles the .cu with NVRTC instead
  for (const std::string &arch : options.archs) {
    std::string cubin = base + "." + arch + ".cubin";
    std::vector<std::string> args = {"-cubin", "-arch=" + arch, "-O3",
                                     "-std=c++17", "-Xptxas", "-v", "-o",
                                     join(options.outDir, cubin), sourcePath};
    if (failed(runTool(op, *nvcc, args,
                       join(options.outDir, base + "." + arch + ".log"),
                       "building the CUDA backend for " + arch)))
      return failure();
    contents.cubins[arch] = cubin;
  }
  return success();
}

} // namespace

LogicalResult writePackage(Operation *op, StringRef specText,
                           const PackageOptions &options) {
  if (std::error_code ec = llvm::sys::fs::create_directories(options.outDir))
    return op->emitError() << "cannot create '" << options.outDir
                           << "': " << ec.message();
  PackageContents contents;
  contents.specHash = hashText(specText);
  const std::string base = kernelBaseName(op);

  if (options.buildCpu) {
    std::string source;
    llvm::raw_string_ostream os(source);
    if (failed(emitCpu(op, os)))
      return failure();
    contents.cpuSource = base + ".cpu.cpp";
    contents.cpuLibrary = "lib" + base + ".cpu.so";
    contents.cpuEntry = cpuEntryName(op);
    contents.cpuBackwardEntry = cpuBackwardEntryName(op);
    contents.cpuBlockMaskEntry = cpuBlockMaskEntryName(op);
    contents.blockMaskHeads = blockMaskHeads(op);
    contents.autoBlockMask = autoBlockMask(op);
    // The library carries its own signature, which the runtime checks
    // against the manifest before the first call.
    emitKernelSignature(op, contents, KernelTarget::Cpu, os);
    std::string sourcePath = join(options.outDir, contents.cpuSource);
    if (failed(writeFile(op, sourcePath, source)))
      return failure();
    auto compiler = llvm::sys::findProgramByName(options.hostCompiler);
    if (!compiler)
      return op->emitError() << "host compiler '" << options.hostCompiler
                             << "' not found (needed for the CPU backend)";
    std::vector<std::string> args = splitFlags(options.cpuFlags);
    for (const char *a : {"-std=c++17", "-shared", "-fPIC", "-o"})
      args.push_back(a);
    args.push_back(join(options.outDir, contents.cpuLibrary));
    args.push_back(sourcePath);
    if (failed(runTool(op, *compiler, args,
                       join(options.outDir, base + ".cpu.log"),
                       "building the CPU backend")))
      return failure();
  }

  if (failed(writeCuda(op, options, base, contents)))
    return failure();

  std::string manifest;
  llvm::raw_string_ostream os(manifest);
  emitManifest(op, contents, os);
  return writeFile(op, join(options.outDir, "manifest.json"), manifest);
}

} // namespace attnc
