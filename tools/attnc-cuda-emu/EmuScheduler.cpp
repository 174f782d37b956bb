//===- EmuScheduler.cpp - Blocks of CUDA threads as fibers ----------------===//
//
// This file implements the emulator's execution model: a grid runs one
// block at a time; a block's threads are fibers (FiberSwitch.h) on the calling
// OS thread, each running until it reaches a barrier, a warp collective or its
// end, one warp as far ahead of the others as the barriers allow. __syncthreads
// parks a fiber until every thread of the block has arrived; a warp collective
// parks it until every lane of the collective's mask has arrived, and the last
// one computes the results of all. A launch fails (instead of hanging) when no
// fiber can run, when lanes of a warp meet at different collectives, or when a
// thread exits while others wait at a barrier: all undefined behaviour in CUDA.
//
//===----------------------------------------------------------------------===//

#include "EmuScheduler.h"
#include "EmuDevice.h"
#include "FiberSwitch.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

extern "C" {
AttncEmuDim3 attnc_emu_threadIdx, attnc_emu_blockIdx, attnc_emu_blockDim,
    attnc_emu_gridDim;
}

namespace {

/// The largest dynamic shared memory of any GPU the kernels target (227 KiB
/// on sm_90), rounded to whole pages so that the pages past a launch's size
/// can be made inaccessible.
constexpr size_t kSmemCapacity = 232 * 1024;
/// Fiber stacks: kernels keep their register arrays (accumulators,
/// fragments) on it; the lowest page is a guard.
constexpr size_t kStackBytes = 256 * 1024;

} // namespace

extern "C" {
alignas(4096) unsigned char attnc_emu_dynamic_smem[kSmemCapacity];
}

namespace attnc_emu {
namespace {

enum class State { Runnable, AtBarrier, AtWarp, Done };

struct Fiber {
  FiberContext context;
  AttncEmuDim3 index;
  int linear = 0;
  State state = State::Runnable;
  Slot result; ///< this lane's result of its last warp collective
  AsyncQueue async;
  unsigned char *stack = nullptr;
};

struct WarpState {
  WarpRound round;
  unsigned arrived = 0; ///< lanes of the open round that have arrived
};

struct Launch {
  const AttncEmuLaunch *config = nullptr;
  std::vector<Fiber> fibers;
  std::vector<WarpState> warps;
  FiberContext scheduler;
  Fiber *current = nullptr;
  int atBarrier = 0, done = 0;
  bool failed = false;
  std::string error;
};

Launch *gLaunch = nullptr;
std::mutex gLaunchMutex;
/// Fiber stacks, kept between launches (mmap'd lazily, so untouched stack
/// pages cost nothing).
std::vector<unsigned char *> gStacks;

const char *kindName(int kind) {
  switch (kind) {
  case kShuffle:
    return "__shfl_sync";
  case kSyncWarp:
    return "__syncwarp";
  case kLdmatrix:
    return "ldmatrix";
  case kMma:
    return "mma.sync";
  }
  return "?";
}

void setError(Launch &l, const std::string &message) {
  if (l.failed)
    return;
  l.failed = true;
  char where[160];
  std::snprintf(where, sizeof where, "block (%u, %u, %u)", attnc_emu_blockIdx.x,
                attnc_emu_blockIdx.y, attnc_emu_blockIdx.z);
  l.error = std::string(where) + ": " + message;
}

/// Returns control to the scheduler; the fiber continues when something
/// sets it Runnable again.
void park(State state) {
  Launch &l = *gLaunch;
  Fiber &f = *l.current;
  f.state = state;
  fiberSwitch(f.context, l.scheduler);
}

void fiberMain() {
  Launch &l = *gLaunch;
  l.config->body(l.config->ctx);
  Fiber &f = *l.current;
  // Copies in flight still land (the hardware finishes them); nobody can
  // wait for them any more.
  drainAsync(f.async);
  if (l.atBarrier > 0)
    fail("thread %d exited while %d threads wait at __syncthreads "
         "(undefined behaviour in CUDA)",
         f.linear, l.atBarrier);
  f.state = State::Done;
  ++l.done;
  fiberSwitch(f.context, l.scheduler);
  std::abort(); // a finished fiber is never resumed
}

unsigned char *stackFor(size_t i) {
  while (gStacks.size() <= i) {
    void *p = mmap(nullptr, kStackBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
      return nullptr;
    mprotect(p, static_cast<size_t>(getpagesize()), PROT_NONE);
    gStacks.push_back(static_cast<unsigned char *>(p));
  }
  return gStacks[i];
}

std::string describeDeadlock(Launch &l) {
  int barrier = 0, warp = 0;
  for (Fiber &f : l.fibers) {
    barrier += f.state == State::AtBarrier;
    warp += f.state == State::AtWarp;
  }
  char buf[400];
  int n = std::snprintf(buf, sizeof buf,
                        "deadlock: %d threads at __syncthreads, %d at warp "
                        "collectives, %d exited",
                        barrier, warp, l.done);
  for (size_t w = 0; w < l.warps.size(); ++w) {
    const WarpState &ws = l.warps[w];
    if (ws.arrived && n > 0 && static_cast<size_t>(n) < sizeof buf) {
      std::snprintf(buf + n, sizeof buf - n,
                    "; warp %zu: lanes %#x of mask %#x at %s", w, ws.arrived,
                    ws.round.mask, kindName(ws.round.kind));
      break;
    }
  }
  return buf;
}

/// Runs one block to completion (or failure).
void runBlock(Launch &l) {
  const size_t n = l.fibers.size();
  for (size_t i = 0; i < n; ++i) {
    Fiber &f = l.fibers[i];
    f.state = State::Runnable;
    f.async = AsyncQueue();
    fiberInit(f.context, f.stack, kStackBytes, fiberMain);
  }
  for (WarpState &w : l.warps)
    w.arrived = 0;
  l.atBarrier = l.done = 0;
  std::memset(attnc_emu_dynamic_smem, kPoison, l.config->shared_bytes);

  // Warps run as far apart as the barriers allow: the first warp with a
  // runnable lane always goes next, so one warp reaches the next barrier
  // before the following one starts. Odd blocks prefer the last warp
  // instead. Both are schedules a GPU may pick, and they expose a missing
  // barrier in either direction (one warp overwriting shared memory that a
  // later or an earlier warp still reads).
  const size_t warps = l.warps.size();
  const bool lastWarpFirst =
      (attnc_emu_blockIdx.x + attnc_emu_blockIdx.y + attnc_emu_blockIdx.z) % 2;
  for (;;) {
    Fiber *next = nullptr;
    for (size_t k = 0; k < warps && !next; ++k) {
      const size_t w = lastWarpFirst ? warps - 1 - k : k;
      for (size_t i = w * kWarpSize; i < n && i < (w + 1) * kWarpSize; ++i)
        if (l.fibers[i].state == State::Runnable) {
          next = &l.fibers[i];
          break;
        }
    }
    if (!next) {
      if (static_cast<size_t>(l.done) < n)
        setError(l, describeDeadlock(l));
      return;
    }
    l.current = next;
    attnc_emu_threadIdx = next->index;
    fiberSwitch(l.scheduler, next->context);
    l.current = nullptr;
    if (l.failed)
      return;
  }
}

} // namespace

Slot warpCollective(int kind, int variant, unsigned mask, const Slot &in,
                    void (*combine)(WarpRound &)) {
  Launch &l = *gLaunch;
  Fiber &me = *l.current;
  const int lane = me.linear % kWarpSize;
  const unsigned bit = 1u << lane;
  if (!(mask & bit))
    fail("thread %d calls %s with mask %#x, which excludes its lane %d",
         me.linear, kindName(kind), mask, lane);
  WarpState &ws = l.warps[me.linear / kWarpSize];
  if (ws.arrived == 0) {
    ws.round.kind = kind;
    ws.round.variant = variant;
    ws.round.mask = mask;
  } else if (ws.round.kind != kind || ws.round.variant != variant ||
             ws.round.mask != mask) {
    fail("warp %d: lane %d reaches %s (variant %d, mask %#x) while lanes %#x "
         "wait at %s (variant %d, mask %#x)",
         me.linear / kWarpSize, lane, kindName(kind), variant, mask, ws.arrived,
         kindName(ws.round.kind), ws.round.variant, ws.round.mask);
  }
  ws.round.in[lane] = in;
  ws.arrived |= bit;
  if (ws.arrived == mask) {
    combine(ws.round);
    ws.arrived = 0;
    // Results go to each lane's fiber at once: another round of this warp
    // may complete before a woken lane runs again.
    Fiber *first = &l.fibers[me.linear - lane];
    for (int i = 0; i < kWarpSize; ++i) {
      if (!(mask & (1u << i)))
        continue;
      first[i].result = ws.round.out[i];
      if (first[i].state == State::AtWarp)
        first[i].state = State::Runnable;
    }
    return me.result;
  }
  park(State::AtWarp);
  return me.result;
}

void fail(const char *format, ...) {
  Launch &l = *gLaunch;
  char buf[512];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  setError(l, buf);
  // Back to the scheduler, which ends the launch; this fiber is abandoned.
  fiberSwitch(l.current->context, l.scheduler);
  std::abort();
}

int currentLane() { return gLaunch->current->linear % kWarpSize; }
int currentThread() { return gLaunch->current->linear; }
AsyncQueue &currentAsyncQueue() { return gLaunch->current->async; }

unsigned char *sharedBase() { return attnc_emu_dynamic_smem; }
size_t sharedBytes() { return gLaunch->config->shared_bytes; }

bool inShared(const void *p, size_t bytes) {
  const unsigned char *c = static_cast<const unsigned char *>(p);
  return c >= sharedBase() && bytes <= sharedBytes() &&
         c - sharedBase() <= static_cast<ptrdiff_t>(sharedBytes() - bytes);
}

bool inGlobal(const void *p, size_t bytes) {
  const AttncEmuLaunch &c = *gLaunch->config;
  if (!c.ranges)
    return true;
  const char *q = static_cast<const char *>(p);
  for (size_t i = 0; i < c.num_ranges; ++i) {
    const char *b = static_cast<const char *>(c.ranges[i].begin);
    if (q >= b && bytes <= c.ranges[i].bytes &&
        q - b <= static_cast<ptrdiff_t>(c.ranges[i].bytes - bytes))
      return true;
  }
  return false;
}

} // namespace attnc_emu

using namespace attnc_emu;

extern "C" void attnc_emu_syncthreads(void) {
  Launch &l = *gLaunch;
  if (l.done > 0)
    fail("thread %d reaches __syncthreads after %d threads exited "
         "(undefined behaviour in CUDA)",
         l.current->linear, l.done);
  if (++l.atBarrier == static_cast<int>(l.fibers.size())) {
    l.atBarrier = 0;
    for (Fiber &f : l.fibers)
      if (f.state == State::AtBarrier)
        f.state = State::Runnable;
    return;
  }
  park(State::AtBarrier);
}

extern "C" unsigned attnc_emu_smem_offset(const void *p) {
  if (!inShared(p, 1))
    fail("thread %d converts %p, outside the %zu bytes of shared memory, to "
         "a shared address",
         currentThread(), p, sharedBytes());
  return static_cast<unsigned>(static_cast<const unsigned char *>(p) -
                               sharedBase());
}

extern "C" int attnc_emu_launch(const AttncEmuLaunch *config, char *error,
                                size_t errorBytes) {
  std::lock_guard<std::mutex> lock(gLaunchMutex);
  auto report = [&](const std::string &message) {
    if (error && errorBytes)
      std::snprintf(error, errorBytes, "%s", message.c_str());
    return message.empty() ? 0 : 1;
  };
  const unsigned long long threads =
      1ull * config->block[0] * config->block[1] * config->block[2];
  if (threads == 0 || threads > 1024)
    return report("block of " + std::to_string(threads) +
                  " threads (1 to 1024 allowed)");
  if (config->shared_bytes > kSmemCapacity)
    return report(std::to_string(config->shared_bytes) +
                  " bytes of dynamic shared memory (the emulator has " +
                  std::to_string(kSmemCapacity) + ")");

  Launch l;
  l.config = config;
  l.fibers.resize(threads);
  l.warps.resize((threads + kWarpSize - 1) / kWarpSize);
  for (size_t i = 0; i < threads; ++i) {
    Fiber &f = l.fibers[i];
    f.linear = static_cast<int>(i);
    f.index.x = static_cast<unsigned>(i % config->block[0]);
    f.index.y = static_cast<unsigned>(i / config->block[0] % config->block[1]);
    f.index.z = static_cast<unsigned>(i / config->block[0] / config->block[1]);
    f.stack = stackFor(i);
    if (!f.stack)
      return report("cannot allocate fiber stacks");
  }
  attnc_emu_blockDim = {config->block[0], config->block[1], config->block[2]};
  attnc_emu_gridDim = {config->grid[0], config->grid[1], config->grid[2]};

  // Pages past the launch's shared memory fault on access: a kernel that
  // indexes beyond its dynamic shared memory crashes instead of reading
  // the emulator's spare bytes. (Overruns within the last page go unseen.)
  const size_t page = static_cast<size_t>(getpagesize());
  const size_t usable = (config->shared_bytes + page - 1) / page * page;
  if (usable < kSmemCapacity)
    mprotect(attnc_emu_dynamic_smem + usable, kSmemCapacity - usable,
             PROT_NONE);

  gLaunch = &l;
  for (unsigned z = 0; z < config->grid[2] && !l.failed; ++z)
    for (unsigned y = 0; y < config->grid[1] && !l.failed; ++y)
      for (unsigned x = 0; x < config->grid[0] && !l.failed; ++x) {
        attnc_emu_blockIdx = {x, y, z};
        runBlock(l);
      }
  gLaunch = nullptr;
  if (usable < kSmemCapacity)
    mprotect(attnc_emu_dynamic_smem + usable, kSmemCapacity - usable,
             PROT_READ | PROT_WRITE);
  return report(l.failed ? l.error : std::string());
}
