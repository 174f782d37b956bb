//===- HostTensors.h - Host buffers for runtime calls -----------*- C++ -*-===//
//
// `attnc run --backend cpu` hands the runtime tensors in the kernel's
// storage dtype and reads results back as doubles: one owning buffer per
// tensor with its attnc_tensor view (contiguous, C order).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_HOSTTENSORS_H
#define ATTNC_TOOLS_ATTNC_HOSTTENSORS_H

#include "lib/Reference/Reference.h"

#include "dialect/AttnOps.h"

#include "attnc/runtime.h"

#include <cstdint>
#include <vector>

namespace attnc {

/// Host storage for one tensor in the kernel's dtype.
struct Buffer {
  std::vector<uint8_t> bytes;
  attnc_tensor view{};
};

int64_t elements(const std::vector<int64_t> &shape);

/// Zero-filled contiguous storage of `shape` elements of `elemSize` bytes.
void describe(Buffer &buf, attnc_dtype dtype, const std::vector<int64_t> &shape,
              size_t elemSize);

/// `t` converted to the storage dtype `dtype` (round to nearest even).
void fill(Buffer &buf, mlir::attn::Dtype dtype, const reference::Tensor &t);

/// A parameter's values as int32 or float32 (`dtype`), its shape.
void fillParam(Buffer &buf, attnc_dtype dtype,
               const reference::ParamValues &values);

/// The buffer's values (storage dtype `dtype`) as doubles.
reference::Tensor readBack(const Buffer &buf, mlir::attn::Dtype dtype,
                           const std::vector<int64_t> &shape);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_HOSTTENSORS_H
