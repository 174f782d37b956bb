//===- HostTensors.cpp - Host buffers for runtime calls -------------------===//

#include "tools/attnc/HostTensors.h"

#include "attnc/half.h"

#include <cstring>

using namespace mlir;

namespace attnc {

int64_t elements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

void describe(Buffer &buf, attnc_dtype dtype, const std::vector<int64_t> &shape,
              size_t elemSize) {
  buf.bytes.assign(elements(shape) * elemSize, 0);
  buf.view.data = buf.bytes.data();
  buf.view.dtype = dtype;
  buf.view.rank = static_cast<int>(shape.size());
  long long stride = 1;
  for (int i = buf.view.rank - 1; i >= 0; --i) {
    buf.view.shape[i] = shape[i];
    buf.view.strides[i] = stride;
    stride *= shape[i];
  }
}

void fill(Buffer &buf, attn::Dtype dtype, const reference::Tensor &t) {
  attnc_dtype d = dtype == attn::Dtype::f16    ? ATTNC_F16
                  : dtype == attn::Dtype::bf16 ? ATTNC_BF16
                                               : ATTNC_F32;
  describe(buf, d, t.shape, dtype == attn::Dtype::f32 ? 4 : 2);
  for (size_t i = 0; i < t.data.size(); ++i) {
    float f = static_cast<float>(t.data[i]);
    if (dtype == attn::Dtype::f32) {
      std::memcpy(&buf.bytes[4 * i], &f, 4);
    } else {
      uint16_t h = dtype == attn::Dtype::f16 ? floatToHalf(f) : floatToBf16(f);
      std::memcpy(&buf.bytes[2 * i], &h, 2);
    }
  }
}

reference::Tensor readBack(const Buffer &buf, attn::Dtype dtype,
                           const std::vector<int64_t> &shape) {
  reference::Tensor t{shape, std::vector<double>(elements(shape))};
  for (size_t i = 0; i < t.data.size(); ++i) {
    if (dtype == attn::Dtype::f32) {
      float f;
      std::memcpy(&f, &buf.bytes[4 * i], 4);
      t.data[i] = f;
    } else {
      uint16_t h;
      std::memcpy(&h, &buf.bytes[2 * i], 2);
      t.data[i] = dtype == attn::Dtype::f16 ? halfToFloat(h) : bf16ToFloat(h);
    }
  }
  return t;
}

void fillParam(Buffer &buf, attnc_dtype dtype,
               const reference::ParamValues &values) {
  describe(buf, dtype, values.shape, 4);
  for (size_t j = 0; j < values.values.size(); ++j) {
    if (dtype == ATTNC_I32) {
      int32_t x = static_cast<int32_t>(values.values[j]);
      std::memcpy(&buf.bytes[4 * j], &x, 4);
    } else {
      float x = static_cast<float>(values.values[j]);
      std::memcpy(&buf.bytes[4 * j], &x, 4);
    }
  }
}

} // namespace attnc
