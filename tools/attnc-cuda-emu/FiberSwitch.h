//===- FiberSwitch.h - Switching between fiber stacks -----------*- C++ -*-===//
//
// The one machine-dependent piece of the emulator. On x86-64 a switch saves
// the callee-saved registers on the old stack and pops them from the new one
// (no system call; glibc's swapcontext also saves the signal mask with one,
// which made it most of the emulator's run time); elsewhere it falls back
// to ucontext (as it does on x86-64 with -DATTNC_EMU_UCONTEXT).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CUDA_EMU_FIBERSWITCH_H
#define ATTNC_CUDA_EMU_FIBERSWITCH_H

#include <cstddef>

#if !defined(__x86_64__) || defined(ATTNC_EMU_UCONTEXT)
#include <ucontext.h>
#endif

namespace attnc_emu {

struct FiberContext {
#if defined(__x86_64__) && !defined(ATTNC_EMU_UCONTEXT)
  void *sp = nullptr;
#else
  ucontext_t context;
#endif
};

/// Prepares `c` to start `entry` (which must never return) on `stack`.
void fiberInit(FiberContext &c, unsigned char *stack, size_t bytes,
               void (*entry)());

/// Saves the running context into `from` and resumes `to`.
void fiberSwitch(FiberContext &from, FiberContext &to);

} // namespace attnc_emu

#endif // ATTNC_CUDA_EMU_FIBERSWITCH_H
