//===- EmuScheduler.h - Fibers, barriers and warp rendezvous ----*- C++ -*-===//
//
// The private interface between the emulator's scheduler and its warp
// operations. A block's threads are fibers on one OS thread; they switch
// only where CUDA threads synchronize (barriers, warp collectives), so every
// stretch between two synchronization points runs without interleaving,
// which is one of the schedules a GPU may choose.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CUDA_EMU_EMUSCHEDULER_H
#define ATTNC_CUDA_EMU_EMUSCHEDULER_H

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace attnc_emu {

constexpr int kWarpSize = 32;

/// One lane's operands or results in a warp collective.
struct Slot {
  uint32_t w[16];
  const void *ptr;
};

/// What every lane of a warp brought to one collective.
struct WarpRound {
  int kind;      ///< a CollectiveKind; every lane must bring the same
  int variant;   ///< kind-specific (ldmatrix count/trans, shuffle mode...)
  unsigned mask; ///< participating lanes
  Slot in[kWarpSize], out[kWarpSize];
};

enum CollectiveKind { kShuffle = 1, kSyncWarp, kLdmatrix, kMma };

/// Deposits `in` for the calling lane, waits until every lane of `mask` has
/// arrived at a collective of the same kind and variant, lets the last one
/// run `combine` over the round, and returns the caller's result.
Slot warpCollective(int kind, int variant, unsigned mask, const Slot &in,
                    void (*combine)(WarpRound &));

/// Ends the launch with an error (from inside a fiber; never returns).
[[noreturn]] void fail(const char *format, ...)
    __attribute__((format(printf, 1, 2)));

/// The calling thread's lane and its linear index in the block.
int currentLane();
int currentThread();

/// The shared memory of the launch: [sharedBase(), sharedBase() +
/// sharedBytes()).
unsigned char *sharedBase();
size_t sharedBytes();
/// Whether [p, p + bytes) lies in the launch's shared memory.
bool inShared(const void *p, size_t bytes);
/// Whether [p, p + bytes) lies in a global range the driver registered
/// (always true when it registered none).
bool inGlobal(const void *p, size_t bytes);

/// One cp.async: copied when its group completes.
struct AsyncCopy {
  unsigned char *dst;
  const unsigned char *src;
  int bytes, srcBytes;
};
/// A thread's cp.async state: the open (uncommitted) copies and the
/// committed groups, oldest first.
struct AsyncQueue {
  std::vector<AsyncCopy> open;
  std::deque<std::vector<AsyncCopy>> groups;
};
AsyncQueue &currentAsyncQueue();
/// Performs (and forgets) every copy of `queue`, committed or not.
void drainAsync(AsyncQueue &queue);
void performCopy(const AsyncCopy &c);

/// The byte shared memory is filled with before each block: 0xff makes f32,
/// f16 and bf16 NaN, so a read of memory no one wrote poisons the result.
constexpr unsigned char kPoison = 0xff;

} // namespace attnc_emu

#endif // ATTNC_CUDA_EMU_EMUSCHEDULER_H
