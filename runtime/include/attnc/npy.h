//===- npy.h - NumPy .npy file reading and writing --------------*- C++ -*-===//
//
// This file declares the runtime's reader and writer for NumPy's .npy format,
// the interchange format for kernel inputs, outputs and reference results.
// Only what kernels exchange is supported: little-endian float16/32/64 and
// int32/64 arrays in C order. The reader treats its input as untrusted and
// reports every problem as a one-line error instead of crashing.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_NPY_H
#define ATTNC_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace attnc {

/// Element types an .npy file may hold. All are stored little-endian.
enum class NpyDtype { F32, F16, F64, I32, I64 };

/// An n-dimensional array as stored in an .npy file.
struct NpyArray {
  NpyDtype dtype = NpyDtype::F32;
  /// Dimensions, outermost first; empty for a 0-d (scalar) array.
  std::vector<int64_t> shape;
  /// Raw little-endian element data in C (row-major) order.
  std::vector<uint8_t> bytes;

  /// Returns the product of the dimensions (1 for a 0-d array), or -1 if a
  /// dimension is negative or the product does not fit in int64_t.
  int64_t numElements() const;

  /// Converts every element to double, whatever the dtype. Reads at most as
  /// many elements as `bytes` holds, so it is safe on inconsistent arrays.
  std::vector<double> toDoubles() const;
};

/// Reads an .npy file (format versions 1.0, 2.0, 3.0). Accepts dtypes '<f4'
/// '<f2' '<f8' '<i4' '<i8' ('=' and '|' are read as little-endian on
/// little-endian hosts), C order only; Fortran order is accepted only where
/// it lays out the same bytes (at most one dimension larger than 1). Data
/// after the array is ignored, as numpy does. On failure returns false,
/// leaves `out` unchanged and sets `error` to a one-line lowercase message
/// without trailing period, e.g. "unsupported dtype '>f4'".
bool readNpy(const std::string &path, NpyArray &out, std::string &error);

/// Same as readNpy, from the `size` bytes at `data` (which may be null when
/// `size` is 0). Never reads outside that range, whatever its contents.
bool parseNpy(const uint8_t *data, size_t size, NpyArray &out,
              std::string &error);

/// Writes `arr` to `path` as a version 1.0 .npy file, loadable by np.load.
/// Fails if `bytes` does not match the shape and dtype, if the array has
/// more than 64 dimensions, or on I/O errors.
bool writeNpy(const std::string &path, const NpyArray &arr, std::string &error);

/// Encodes `arr` into `out` exactly as writeNpy would write it to a file.
bool serializeNpy(const NpyArray &arr, std::vector<uint8_t> &out,
                  std::string &error);

/// Builds a float32 array of the given shape from `values` (in C order).
/// `values` should hold exactly the product of `shape` elements; writeNpy
/// rejects the array otherwise.
NpyArray makeF32(std::vector<int64_t> shape, const std::vector<float> &values);

/// Returns the numpy name of `dtype`: "float32", "float16", "float64",
/// "int32" or "int64".
const char *npyDtypeName(NpyDtype dtype);

/// Returns the size in bytes of one element of `dtype`.
size_t npyDtypeSize(NpyDtype dtype);

/// Formats a shape for messages, e.g. "[2, 4, 128, 64]" ("[]" for 0-d).
std::string shapeToString(const std::vector<int64_t> &shape);

} // namespace attnc

#endif // ATTNC_NPY_H
