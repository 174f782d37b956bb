//===- KernelPrelude.cpp - Text every emitted kernel starts with ----------===//
//
// This file implements the shared prelude of emitted kernels. Everything
// printed here is plain C that compiles as C++ and as CUDA C++.
//
//===----------------------------------------------------------------------===//

#include "codegen/KernelPrelude.h"
#include "codegen/DeviceSources.h"

#include "codegen/ExprEmitter.h"
#include "dialect/AttnOps.h"

using namespace mlir;

namespace attnc {

/// runtime/include/attnc/kernel_abi.h, embedded at build time.
static const char *const kKernelAbiText =
#include "codegen/KernelAbiText.inc"
    ;

void emitCpuVectorHelpers(raw_ostream &os) {
  os << kCpuVectorHelpers;
}

void emitKernelAbi(raw_ostream &os) {
  os << "// ---- kernel ABI (runtime/include/attnc/kernel_abi.h) ----\n"
     << kKernelAbiText << "\n";
}

void emitPrelude(raw_ostream &os, Target target, StringRef dtype) {
  emitKernelAbi(os);
  os << kScalarHelpers;
  os << "// ---- storage dtype: " << dtype << " ----\n";
  if (dtype == "f32") {
    os << "typedef float storage_t;\n"
          "ATTNC_HD float attnc_load(const storage_t *p) { return *p; }\n"
          "ATTNC_HD void attnc_store(storage_t *p, float v) { *p = v; }\n";
    return;
  }
  if (target == Target::Cuda) {
    if (dtype == "f16")
      os << "typedef __half storage_t;\n"
            "ATTNC_HD float attnc_load(const storage_t *p) { return "
            "__half2float(*p); }\n"
            "ATTNC_HD void attnc_store(storage_t *p, float v) { *p = "
            "__float2half_rn(v); }\n";
    else
      os << "typedef __nv_bfloat16 storage_t;\n"
            "ATTNC_HD float attnc_load(const storage_t *p) { return "
            "__bfloat162float(*p); }\n"
            "ATTNC_HD void attnc_store(storage_t *p, float v) { *p = "
            "__float2bfloat16_rn(v); }\n";
    return;
  }
  // CPU: bit-exact round-to-nearest-even conversions.
  os << "typedef unsigned short storage_t;\n"
        "static inline float attnc_bits_to_float(unsigned int u) { float f; "
        "memcpy(&f, &u, 4); return f; }\n"
        "static inline unsigned int attnc_float_to_bits(float f) { unsigned "
        "int u; memcpy(&u, &f, 4); return u; }\n";
  if (dtype == "bf16") {
    os << kCpuStorageBf16;
  } else {
    os << kCpuStorageF16;
  }
}

void emitBlockPlan(raw_ostream &out, const std::vector<MaskClause> &clauses,
                   int64_t blockQ, int64_t blockK, StringRef name) {
  std::string text;
  llvm::raw_string_ostream os(text);
  size_t n = std::max<size_t>(clauses.size(), 1);
  // Per clause, the k-block range to visit and the range of full blocks.
  // Kernels walk the union in ascending order with attnc_plan_next instead
  // of sorting segments: fixed-index loops over a compile-time clause count
  // keep the plan in registers on the GPU (no local memory).
  os << "// ---- block plan (attn-classify-blocks); the same arithmetic as "
        "lib/Analysis/BlockPlan.h ----\n"
     << "#define ATTNC_NUM_CLAUSES " << n << "\n"
     << "typedef struct AttncPlan {\n"
     << "  long long lo[ATTNC_NUM_CLAUSES], hi[ATTNC_NUM_CLAUSES];   // "
        "visited k-blocks (empty: lo > hi)\n"
     << "  long long flo[ATTNC_NUM_CLAUSES], fhi[ATTNC_NUM_CLAUSES]; // full "
        "k-blocks (empty: flo > fhi)\n"
     << "} AttncPlan;\n"
     << "ATTNC_HD AttncPlan attnc_plan_qblock(long long qb, long long Nq, long "
        "long Nk) {\n"
     << "  const long long qlo = qb * " << blockQ << "LL + (Nk - Nq);\n"
     << "  const long long qhi = attnc_mini(qb * " << blockQ << "LL + "
     << blockQ - 1 << "LL, Nq - 1) + (Nk - Nq);\n"
     << "  AttncPlan p;\n  (void)qlo; (void)qhi;\n";
  auto boundAt = [](const LinearBound &b, const char *q) {
    std::string s = std::to_string(b.c) + "LL";
    if (b.q)
      s += " + " + std::to_string(b.q) + "LL * " + q;
    if (b.nq)
      s += " + " + std::to_string(b.nq) + "LL * Nq";
    if (b.nk)
      s += " + " + std::to_string(b.nk) + "LL * Nk";
    return s;
  };
  if (clauses.empty())
    os << "  p.lo[0] = 1; p.hi[0] = 0; p.flo[0] = 1; p.fhi[0] = 0; // nothing "
          "visible\n";
  for (auto [i, clause] : llvm::enumerate(clauses)) {
    os << "  { // clause " << i << (clause.exact ? " (exact)" : " (masked)")
       << "\n    long long lo = 0, hi = Nk - 1, flo = 0, fhi = Nk - 1;\n";
    for (const LinearBound &b : clause.lower)
      os << "    { const long long a = " << boundAt(b, "qlo")
         << ", z = " << boundAt(b, "qhi") << ";\n"
         << "      lo = attnc_maxi(lo, attnc_mini(a, z)); flo = "
            "attnc_maxi(flo, attnc_maxi(a, z)); }\n";
    for (const LinearBound &b : clause.upper)
      os << "    { const long long a = " << boundAt(b, "qlo")
         << ", z = " << boundAt(b, "qhi") << ";\n"
         << "      hi = attnc_mini(hi, attnc_maxi(a, z)); fhi = "
            "attnc_mini(fhi, attnc_mini(a, z)); }\n";
    os << "    p.lo[" << i << "] = lo <= hi ? lo / " << blockK << "LL : 1;\n"
       << "    p.hi[" << i << "] = lo <= hi ? hi / " << blockK << "LL : 0;\n";
    if (clause.exact)
      os << "    p.flo[" << i << "] = (flo <= fhi && lo <= hi) ? (flo + "
         << blockK - 1 << "LL) / " << blockK << "LL : 1;\n"
         << "    p.fhi[" << i << "] = (flo <= fhi && lo <= hi) ? "
            "attnc_floordiv(fhi + 1, "
         << blockK << "LL) - 1 : 0;\n";
    else
      os << "    p.flo[" << i << "] = 1; p.fhi[" << i
         << "] = 0; // never full\n";
    os << "  }\n";
  }
  os << R"(  return p;
}
// The first visited k-block after kb (kb = -1 for the first), or -1.
ATTNC_HD long long attnc_plan_next(const AttncPlan &p, long long kb) {
  long long next = -1;
#ifdef __CUDACC__
#pragma unroll
#endif
  for (int c = 0; c < ATTNC_NUM_CLAUSES; ++c) {
    const long long cand = kb + 1 >= p.lo[c] ? kb + 1 : p.lo[c];
    if (cand <= p.hi[c] && (next < 0 || cand < next)) next = cand;
  }
  return next;
}
// Whether every element of k-block kb is visible for every row of the q-block.
ATTNC_HD bool attnc_plan_full(const AttncPlan &p, long long kb) {
  bool full = false;
#ifdef __CUDACC__
#pragma unroll
#endif
  for (int c = 0; c < ATTNC_NUM_CLAUSES; ++c)
    full |= p.flo[c] <= kb && kb <= p.fhi[c];
  return full;
}
)";
  if (name.empty()) {
    out << text;
    return;
  }
  // A second plan in one kernel (a hybrid's complement): the same text with
  // its own names.
  std::string upper = name.upper(), camel = name.str();
  camel[0] = llvm::toUpper(camel[0]);
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"attnc_plan_",
                                            "attnc_" + name.str() + "_plan_"},
        {"AttncPlan", "Attnc" + camel + "Plan"},
        {"ATTNC_NUM_CLAUSES", "ATTNC_" + upper + "_NUM_CLAUSES"}}) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
      text.replace(at, from.size(), to);
  }
  out << text;
}

void emitParamReaders(raw_ostream &os, ArrayAttr params, int64_t heads,
                      int64_t headDim) {
  if (params.empty())
    return;
  os << "// ---- parameter readers: 0 outside the array ----\n";
  for (auto [i, p] : llvm::enumerate(params.getAsRange<attn::ParamAttr>())) {
    const char *type = p.getElementType().isInteger(32) ? "int" : "float";
    std::vector<attnc::rt::ParamDim> dims = attn::paramDims(p);
    os << "ATTNC_HD " << type << " attnc_param_" << p.getName()
       << "(const AttncKernelArgs &args";
    for (size_t d = 0; d < dims.size(); ++d)
      os << ", long long i" << d;
    os << ") {\n  (void)args;\n  long long flat = 0;\n";
    for (size_t d = 0; d < dims.size(); ++d) {
      std::string size = attn::paramDimExtentText(
          dims[d], "args.batch", std::to_string(heads) + "LL", "args.kv_len",
          std::to_string(headDim) + "LL");
      os << "  if (i" << d << " < 0 || i" << d << " >= " << size
         << ") return 0;\n  flat = flat * " << size << " + i" << d << ";\n";
    }
    os << "  return ((const " << type << " *)args.params[" << i
       << "])[flat];\n}\n";
  }
}

std::string paramReadExpr(StringRef name,
                          const std::vector<std::string> &indices) {
  std::string s = "attnc_param_" + name.str() + "(args";
  for (const std::string &i : indices)
    s += ", " + i;
  return s + ")";
}

LogicalResult emitMaskAndScore(attn::AttentionOp op, raw_ostream &os) {
  std::vector<std::string> args = {"b", "h", "q", "k", "Nq", "Nk", "s"};
  auto reader = [](StringRef name, const std::vector<std::string> &indices) {
    return paramReadExpr(name, indices);
  };
  os << "// ---- mask (spec: " << attn::statementLoc(op) << ") ----\n"
     << "ATTNC_HD bool attnc_mask(const AttncKernelArgs &args, long "
        "long b, long long h,\n    long long q, long long k, long long Nq, "
        "long long Nk) {\n"
     << "  (void)args; (void)b; (void)h; (void)q; (void)k; (void)Nq; "
        "(void)Nk;\n";
  FailureOr<std::string> mask = emitRegionAsC(
      op.getMask().front(), ArrayRef(args).take_front(6), reader, "m", "  ",
      os);
  if (failed(mask))
    return failure();
  os << "  return " << *mask << ";\n}\n";
  os << "// ---- score ----\n"
     << "ATTNC_HD float attnc_score(const AttncKernelArgs &args, long "
        "long b, long long h,\n    long long q, long long k, long long Nq, "
        "long long Nk, float s) {\n"
     << "  (void)args; (void)b; (void)h; (void)q; (void)k; (void)Nq; "
        "(void)Nk;\n";
  FailureOr<std::string> score =
      emitRegionAsC(op.getScore().front(), args, reader, "t", "  ", os);
  if (failed(score))
    return failure();
  os << "  return " << *score << ";\n}\n";
  if (op.getKeep().empty())
    return success();
  os << "// ---- keep (blocks always selected) ----\n"
     << "ATTNC_HD bool attnc_keep(const AttncKernelArgs &args, long "
        "long b, long long h,\n    long long q, long long k, long long Nq, "
        "long long Nk) {\n"
     << "  (void)args; (void)b; (void)h; (void)q; (void)k; (void)Nq; "
        "(void)Nk;\n";
  FailureOr<std::string> keep = emitRegionAsC(
      op.getKeep().front(), ArrayRef(args).take_front(6), reader, "p", "  ",
      os);
  if (failed(keep))
    return failure();
  os << "  return " << *keep << ";\n}\n";
  return success();
}

} // namespace attnc
