/* EmuTestHarness.h - what the emulator's unit tests share: PASS/FAIL lines
 * with a failure count, and one block of threads run on the emulator. */
#ifndef ATTNC_EMU_TEST_HARNESS_H
#define ATTNC_EMU_TEST_HARNESS_H

#include "EmuDevice.h"

#include <cstdio>
#include <functional>
#include <string>

namespace attnc_emu_test {

/// Failed checks so far; main returns nonzero when any failed.
inline int gFailures = 0;

/// Prints "PASS name" or "FAIL name: detail" and counts failures.
inline void check(bool ok, const std::string &name,
                  const std::string &detail = "") {
  std::printf("%s %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(),
              detail.empty() ? "" : ": ", detail.c_str());
  gFailures += !ok;
}

/// Runs `body` as every thread of one block of `threads` threads with
/// `shared` bytes of dynamic shared memory; returns the launch's error text
/// ("" on success).
inline std::string launch(int threads, size_t shared,
                          std::function<void()> body) {
  AttncEmuLaunch l = {
      {1, 1, 1}, {static_cast<unsigned>(threads), 1, 1},
      shared,    [](void *f) { (*static_cast<std::function<void()> *>(f))(); },
      &body,     nullptr,
      0};
  char error[600] = "";
  attnc_emu_launch(&l, error, sizeof error);
  return error;
}

} // namespace attnc_emu_test

#endif
