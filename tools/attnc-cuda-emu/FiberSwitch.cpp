//===- FiberSwitch.cpp - Switching between fiber stacks -------------------===//
//
// This file implements fiberInit and fiberSwitch (see FiberSwitch.h).
//
//===----------------------------------------------------------------------===//

#include "FiberSwitch.h"

#include <cstdint>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace {

/// A fiber abandoned by a failed launch leaves its frames' redzones on the
/// stack the next launch reuses; under AddressSanitizer, clear them.
void clearStack(unsigned char *stack, size_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
  __asan_unpoison_memory_region(stack, bytes);
#else
  (void)stack;
  (void)bytes;
#endif
}

} // namespace

#if defined(__x86_64__) && !defined(ATTNC_EMU_UCONTEXT)

// attnc_emu_switch(void **save, void *load): pushes the System V callee-saved
// registers, stores the stack pointer in *save, switches to `load` and pops
// the same registers from there. The x87 and SSE control words are left
// alone: device code does not change them.
asm(R"(
  .text
  .globl attnc_emu_switch
  .hidden attnc_emu_switch
  .type attnc_emu_switch, @function
attnc_emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size attnc_emu_switch, .-attnc_emu_switch
)");

extern "C" void attnc_emu_switch(void **save, void *load);

namespace attnc_emu {

void fiberInit(FiberContext &c, unsigned char *stack, size_t bytes,
               void (*entry)()) {
  // The first switch pops six zero registers and returns into `entry` with
  // the stack as after a call: 8 mod 16, above it a null return address.
  clearStack(stack, bytes);
  uintptr_t top = reinterpret_cast<uintptr_t>(stack + bytes) & ~uintptr_t(15);
  void **sp = reinterpret_cast<void **>(top);
  *--sp = nullptr;
  *--sp = reinterpret_cast<void *>(entry);
  for (int i = 0; i < 6; ++i)
    *--sp = nullptr;
  c.sp = sp;
}

void fiberSwitch(FiberContext &from, FiberContext &to) {
  attnc_emu_switch(&from.sp, to.sp);
}

} // namespace attnc_emu

#else

namespace attnc_emu {

void fiberInit(FiberContext &c, unsigned char *stack, size_t bytes,
               void (*entry)()) {
  clearStack(stack, bytes);
  getcontext(&c.context);
  c.context.uc_stack.ss_sp = stack;
  c.context.uc_stack.ss_size = bytes;
  c.context.uc_link = nullptr;
  makecontext(&c.context, entry, 0);
}

void fiberSwitch(FiberContext &from, FiberContext &to) {
  swapcontext(&from.context, &to.context);
}

} // namespace attnc_emu

#endif
