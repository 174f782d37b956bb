//===- OutOfMemory.cpp - Allocation failures as clean errors --------------===//
//
// This file implements the out-of-memory handler of the attnc CLI. The
// handler runs when an allocation has failed, so it allocates nothing: the
// note's text was formatted when the note was made, and it is written with
// write(2).
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/OutOfMemory.h"

#include "llvm/Support/ErrorHandling.h"

#include <cstdlib>
#include <cstring>

#include <unistd.h>

namespace attnc {
namespace {

thread_local AllocationNote *tInnermost = nullptr;

void writeAll(const char *text, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(2, text, size);
    if (n <= 0)
      return;
    text += n;
    size -= static_cast<size_t>(n);
  }
}

void onOutOfMemory(void *, const char *, bool) {
  const char *head = "attnc: error: out of memory";
  writeAll(head, std::strlen(head));
  if (tInnermost) {
    const std::string &note = tInnermost->text();
    writeAll(" allocating ", 12);
    writeAll(note.data(), note.size());
  }
  writeAll("\n", 1);
  // No destructors, no atexit handlers: they may allocate.
  std::_Exit(1);
}

} // namespace

void installOutOfMemoryHandler() {
  llvm::install_bad_alloc_error_handler(onOutOfMemory);
}

AllocationNote::AllocationNote(const std::string &what,
                               const std::vector<int64_t> &shape,
                               size_t elementBytes, const char *elementType)
    : outer(tInnermost) {
  // The size in floating point: the product may not fit in 64 bits.
  double bytes = static_cast<double>(elementBytes);
  message = what + " [";
  for (size_t i = 0; i < shape.size(); ++i) {
    message += (i ? ", " : "") + std::to_string(shape[i]);
    bytes *= static_cast<double>(shape[i]);
  }
  char size[64];
  std::snprintf(size, sizeof size, "%.0f", bytes);
  message += std::string("] of ") + elementType + " (" + size + " bytes)";
  tInnermost = this;
}

AllocationNote::~AllocationNote() { tInnermost = outer; }

} // namespace attnc
