//===- OutOfMemory.h - Allocation failures as clean errors ------*- C++ -*-===//
//
// attnc is built without exceptions, so a failed allocation reaches LLVM's
// new-handler, which prints "LLVM ERROR: out of memory" and aborts (exit
// status 134). The CLI installs a handler that reports the failure as an
// ordinary error instead, exit status 1, naming what was being allocated
// when the code marked it with an AllocationNote (the large tensors: inputs
// of --random, the reference's outputs, the backend's buffers).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_OUTOFMEMORY_H
#define ATTNC_TOOLS_ATTNC_OUTOFMEMORY_H

#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

/// Makes allocation failures print "attnc: error: out of memory ..." and
/// exit with status 1. Call once, after llvm::InitLLVM.
void installOutOfMemoryHandler();

/// While alive, an allocation failure names `what`, its shape and its size:
/// "out of memory allocating input 'q' [1, 4, 8388608, 64] of double
/// (17179869184 bytes)". Notes nest; the innermost one is reported.
class AllocationNote {
public:
  AllocationNote(const std::string &what, const std::vector<int64_t> &shape,
                 size_t elementBytes, const char *elementType);
  ~AllocationNote();
  AllocationNote(const AllocationNote &) = delete;
  AllocationNote &operator=(const AllocationNote &) = delete;

  /// The text the handler prints for this note.
  const std::string &text() const { return message; }

private:
  std::string message;
  AllocationNote *outer;
};

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_OUTOFMEMORY_H
