// run_kernel.cpp - runs a generated linear-family CUDA kernel on the host
// (simt_host.h) over .npy inputs and writes its outputs as raw float32.
//
// build: c++ -std=c++20 -include simt_host.h -D__CUDACC_RTC__ -I<this dir>
//        -DKERNEL_CU='"k.cu"' run_kernel.cpp
// usage: run_kernel DIR NUM_PARAMS forward|reverse
// DIR holds q.npy k.npy v.npy, p0.npy .. (parameters in spec order) and
// optionally state.npy / z.npy; writes o.bin, state_out.bin, z_out.bin.
#include KERNEL_CU

#include <fstream>
#include <string>
#include <vector>

namespace {

struct Npy {
  std::vector<long long> shape;
  std::vector<char> data; // raw little-endian elements
  bool ok = false;
};

Npy readNpy(const std::string &path) {
  Npy n;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return n;
  char magic[8];
  in.read(magic, 8);
  unsigned short len = 0;
  in.read((char *)&len, 2);
  std::string header(len, ' ');
  in.read(&header[0], len);
  size_t s = header.find("shape"), open = header.find('(', s), close = header.find(')', open);
  std::string dims = header.substr(open + 1, close - open - 1);
  long long count = 1;
  for (size_t at = 0; at < dims.size();) {
    size_t comma = dims.find(',', at);
    std::string d = dims.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    if (d.find_first_of("0123456789") != std::string::npos) {
      n.shape.push_back(std::stoll(d));
      count *= n.shape.back();
    }
    if (comma == std::string::npos)
      break;
    at = comma + 1;
  }
  n.data.resize(count * 4); // every input here has 4-byte elements
  in.read(n.data.data(), n.data.size());
  n.ok = (bool)in;
  return n;
}

// Converts float32 data to the kernel's storage dtype.
std::vector<storage_t> toStorage(const Npy &n) {
  std::vector<storage_t> out(n.data.size() / 4);
  for (size_t i = 0; i < out.size(); ++i) {
    float f;
    std::memcpy(&f, &n.data[4 * i], 4);
    attnc_store(&out[i], f);
  }
  return out;
}

AttncStrides4 contiguous(const std::vector<long long> &s) {
  return {{s[1] * s[2] * s[3], s[2] * s[3], s[3], 1}};
}

AttncKernelArgs gArgs;
void block() { ATTNC_KERNEL(gArgs); }

void writeRaw(const std::string &path, const float *p, size_t n) {
  std::ofstream(path, std::ios::binary).write((const char *)p, n * 4);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4)
    return 2;
  const std::string dir = argv[1];
  const int numParams = std::atoi(argv[2]);
  const bool reverse = std::string(argv[3]) == "reverse";
  Npy q = readNpy(dir + "/q.npy"), k = readNpy(dir + "/k.npy"), v = readNpy(dir + "/v.npy");
  if (!q.ok || !k.ok || !v.ok) {
    std::fprintf(stderr, "cannot read q/k/v in %s\n", dir.c_str());
    return 2;
  }
  std::vector<storage_t> qs = toStorage(q), ks = toStorage(k), vs = toStorage(v);
  const long long B = q.shape[0], Nq = q.shape[2], Nk = k.shape[2];
  std::vector<storage_t> os(B * H * Nq * DV);
  std::vector<Npy> params(numParams);
  AttncKernelArgs &a = gArgs;
  std::memset(&a, 0, sizeof a);
  a.q = qs.data();
  a.k = ks.data();
  a.v = vs.data();
  a.o = os.data();
  for (int i = 0; i < numParams; ++i) {
    params[i] = readNpy(dir + "/p" + std::to_string(i) + ".npy");
    a.params[i] = params[i].data.data();
  }
  a.batch = B;
  a.q_len = Nq;
  a.kv_len = Nk;
  a.q_strides = contiguous(q.shape);
  a.k_strides = contiguous(k.shape);
  a.v_strides = contiguous(v.shape);
  a.o_strides = contiguous({B, H, Nq, DV});
  Npy state = readNpy(dir + "/state.npy"), z = readNpy(dir + "/z.npy");
  std::vector<float> stateOut(B * H * F * DV, NAN), zOut(B * H * F, NAN);
  if (state.ok)
    a.state_in = (const float *)state.data.data();
  if (z.ok)
    a.z_in = (const float *)z.data.data();
  a.state_out = stateOut.data();
  a.z_out = zOut.data();

  gridDim.x = (DV + DVT - 1) / DVT;
  gridDim.y = H;
  gridDim.z = (unsigned)B;
  for (unsigned bz = 0; bz < gridDim.z; ++bz)
    for (unsigned by = 0; by < gridDim.y; ++by)
      for (unsigned bx = 0; bx < gridDim.x; ++bx) {
        blockIdx.x = bx;
        blockIdx.y = by;
        blockIdx.z = bz;
        std::memset(attnc_smem, 0xff, sizeof attnc_smem); // NaN: reads before writes show
        if (!simt_run_block(NT, block, reverse))
          return 1;
      }
  std::vector<float> o(os.size());
  for (size_t i = 0; i < os.size(); ++i)
    o[i] = attnc_load(&os[i]);
  writeRaw(dir + "/o.bin", o.data(), o.size());
  writeRaw(dir + "/state_out.bin", stateOut.data(), stateOut.size());
  writeRaw(dir + "/z_out.bin", zOut.data(), zOut.size());
  return 0;
}
