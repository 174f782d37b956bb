//===- AttnDialect.cpp - attn dialect, attributes and op verifiers --------===//
//
// This file implements the attn dialect: registration, the verifiers that
// keep hand-written or transformed IR within the language's rules (region
// signatures, head configuration, parameter declarations), and the block
// argument names that make printed IR read like the spec.
//
//===----------------------------------------------------------------------===//

#include "dialect/AttnOps.h"

#include "lib/Dialect/TargetPlans.h"
#include "runtime/include/attnc/kernel_abi.h"
#include "runtime/lib/Requirements.h"

#include "mlir/IR/DialectImplementation.h"

#include <cmath>

#include "llvm/ADT/SmallSet.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn;

#include "dialect/AttnDialect.cpp.inc"
#include "dialect/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/AttnAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "dialect/AttnOps.cpp.inc"

void AttnDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/AttnAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "dialect/AttnOps.cpp.inc"
      >();
  registerKernelLevel();
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

LogicalResult
RequireAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                    StringRef text, StringRef program, int64_t line) {
  attnc::rt::RequirementProgram parsed;
  std::string why;
  if (!attnc::rt::parseRequirementProgram(
          std::string_view(program.data(), program.size()), parsed, why))
    return emitError() << "invalid program of requirement '" << text
                       << "': " << why;
  if (line < 1)
    return emitError() << "requirement '" << text
                       << "' needs a positive line, got " << line;
  return success();
}

std::vector<attnc::rt::ParamDim> mlir::attn::paramDims(ParamAttr param) {
  std::vector<attnc::rt::ParamDim> dims;
  std::string why;
  StringRef text = param.getDims();
  // The attribute's verifier accepted the text.
  (void)attnc::rt::parseParamDims(std::string_view(text.data(), text.size()),
                                  dims, why);
  return dims;
}

std::string mlir::attn::paramDimExtentText(const attnc::rt::ParamDim &dim,
                                           const std::string &batch,
                                           const std::string &heads,
                                           const std::string &positions,
                                           const std::string &headDim) {
  switch (dim.kind) {
  case 'b':
    return batch;
  case 'h':
    return heads;
  case 'n':
    return positions;
  case 'd':
    return headDim;
  default:
    return std::to_string(dim.size) + "LL";
  }
}

LogicalResult ParamAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                StringRef name, Type elementType,
                                StringRef dims, bool frozen) {
  if (frozen && !elementType.isF32())
    return emitError() << "only f32 parameters can be frozen; '" << name
                       << "' is " << elementType << " and never has a "
                       << "gradient";
  if (name.empty())
    return emitError() << "expected a non-empty parameter name";
  if (!elementType.isInteger(32) && !elementType.isF32())
    return emitError() << "expected parameter '" << name
                       << "' to have element type i32 or f32, got "
                       << elementType;
  std::vector<attnc::rt::ParamDim> parsed;
  std::string why;
  if (!attnc::rt::parseParamDims(std::string_view(dims.data(), dims.size()),
                                 parsed, why))
    return emitError() << "expected dimensions of parameter '" << name
                       << "' among b, h, n, d and [N], got '" << dims
                       << "': " << why;
  // As in the language: b and h once; n repeats in pairwise tables, d in
  // hedgehog's D x D weight per head.
  for (char c : StringRef("bh"))
    if (dims.count(c) > 1)
      return emitError() << "expected dimension '" << c
                         << "' at most once in parameter '" << name
                         << "', got '" << dims << "'";
  return success();
}

LogicalResult
ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     int64_t blockQ, int64_t blockK, int64_t warps,
                     int64_t stages, int64_t chunk) {
  if (blockQ < 0 || blockK < 0 || warps < 0 || stages < 0 || chunk < 0)
    return emitError() << "expected non-negative schedule values";
  return success();
}

namespace {
/// The gate an inter-chunk rule carries.
DecayClass decayClassOf(Inter inter) {
  switch (inter) {
  case Inter::state_add:
  case Inter::delta_wy:
    return DecayClass::none;
  case Inter::scalar_decay:
  case Inter::gated_delta_wy:
    return DecayClass::scalar;
  case Inter::vector_decay:
  case Inter::vector_gated_delta_wy:
    return DecayClass::per_channel;
  }
  return DecayClass::none;
}

bool isDeltaRule(Inter inter) {
  return inter == Inter::delta_wy || inter == Inter::gated_delta_wy ||
         inter == Inter::vector_gated_delta_wy;
}

/// The intra-chunk products the emitters implement next to each inter rule.
bool isImplementedPair(Intra intra, Inter inter) {
  switch (intra) {
  case Intra::none:
    return inter == Inter::state_add || inter == Inter::scalar_decay ||
           inter == Inter::vector_decay;
  case Intra::masked:
    return inter == Inter::state_add || inter == Inter::delta_wy;
  case Intra::decay_masked:
    return inter == Inter::scalar_decay || inter == Inter::gated_delta_wy;
  case Intra::channel_decay_masked:
    return inter == Inter::vector_decay;
  case Intra::channel_pair_masked:
    return inter == Inter::vector_gated_delta_wy;
  }
  return false;
}
} // namespace

LogicalResult
ChunkPlanAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      int64_t chunk, Intra intra, Inter inter,
                      int64_t subChunk, ArrayRef<ChunkForm> forms) {
  if (chunk < 16 || chunk > 256 || (chunk & (chunk - 1)) != 0)
    return emitError() << "expected chunk to be a power of two in [16, 256], "
                          "got "
                       << chunk;
  if (!isImplementedPair(intra, inter))
    return emitError() << "intra '" << stringifyIntra(intra)
                       << "' does not go with inter '"
                       << stringifyInter(inter) << "'";
  if (intra == Intra::channel_decay_masked) {
    if (subChunk <= 0 || subChunk > chunk || chunk % subChunk != 0)
      return emitError() << "expected sub_chunk to divide the chunk (" << chunk
                         << "), got " << subChunk;
  } else if (subChunk != 0) {
    return emitError() << "expected sub_chunk = 0 without intra "
                          "'channel_decay_masked', got "
                       << subChunk;
  }
  if (forms.empty())
    return emitError() << "expected at least one kernel form";
  for (size_t i = 1; i < forms.size(); ++i)
    if (forms[i] <= forms[i - 1])
      return emitError() << "expected kernel forms sorted and distinct, got '"
                         << stringifyChunkForm(forms[i]) << "' after '"
                         << stringifyChunkForm(forms[i - 1]) << "'";
  if (!llvm::is_contained(forms, ChunkForm::sequential) &&
      !llvm::is_contained(forms, ChunkForm::chunk_parallel))
    return emitError() << "expected a chunked form (sequential or "
                          "chunk_parallel)";
  // The chunk-parallel scan composes the chunks' carries of the causal
  // state; a bidirectional op has none.
  if (llvm::is_contained(forms, ChunkForm::chunk_parallel) &&
      intra == Intra::none)
    return emitError() << "form 'chunk_parallel' is not implemented for inter '"
                       << stringifyInter(inter) << "' with intra '"
                       << stringifyIntra(intra) << "'";
  if (llvm::is_contained(forms, ChunkForm::recurrent_step) &&
      intra == Intra::none)
    return emitError() << "form 'recurrent_step' needs a causal recurrence "
                          "(intra 'none' is bidirectional)";
  return success();
}

bool ChunkPlanAttr::hasForm(ChunkForm form) const {
  return llvm::is_contained(getForms(), form);
}

/// `<lower = [<bound>, ...], upper = [...], exact = true>`.
Attribute ClauseAttr::parse(AsmParser &parser, Type) {
  SmallVector<BoundAttr> lower, upper;
  auto parseBounds = [&](StringRef keyword, SmallVector<BoundAttr> &out) {
    auto parseOne = [&]() -> ParseResult {
      auto bound = llvm::dyn_cast_or_null<BoundAttr>(BoundAttr::parse(parser, {}));
      if (!bound)
        return failure();
      out.push_back(bound);
      return success();
    };
    return failure(
        parser.parseKeyword(keyword) || parser.parseEqual() ||
        parser.parseCommaSeparatedList(AsmParser::Delimiter::Square,
                                       parseOne));
  };
  bool exact = false;
  if (parser.parseLess() || failed(parseBounds("lower", lower)) ||
      parser.parseComma() || failed(parseBounds("upper", upper)) ||
      parser.parseComma() || parser.parseKeyword("exact") ||
      parser.parseEqual())
    return {};
  if (succeeded(parser.parseOptionalKeyword("true")))
    exact = true;
  else if (parser.parseKeyword("false"))
    return {};
  if (parser.parseGreater())
    return {};
  return ClauseAttr::get(parser.getContext(), lower, upper, exact);
}

void ClauseAttr::print(AsmPrinter &printer) const {
  auto printBounds = [&](ArrayRef<BoundAttr> bounds) {
    printer << "[";
    llvm::interleaveComma(bounds, printer, [&](BoundAttr b) {
      printer.printStrippedAttrOrType(b);
    });
    printer << "]";
  };
  printer << "<lower = ";
  printBounds(getLower());
  printer << ", upper = ";
  printBounds(getUpper());
  printer << ", exact = " << (getExact() ? "true" : "false") << ">";
}

//===----------------------------------------------------------------------===//
// Shared verification of the attention ops
//===----------------------------------------------------------------------===//

/// Checks a region's block arguments (`numIndices` i64 values, then
/// `trailingFloats` f32 values) and the type its attn.yield returns.
static LogicalResult verifyRegionSignature(Operation *op, Region &region,
                                           StringRef name, unsigned numIndices,
                                           unsigned trailingFloats,
                                           Type resultType) {
  Block &block = region.front();
  unsigned expected = numIndices + trailingFloats;
  if (block.getNumArguments() != expected)
    return op->emitOpError() << "expected the " << name << " region to take "
                             << expected << " arguments, got "
                             << block.getNumArguments();
  for (unsigned i = 0; i < numIndices; ++i)
    if (!block.getArgument(i).getType().isInteger(64))
      return op->emitOpError() << "expected argument #" << i << " of the "
                               << name << " region to be i64";
  for (unsigned i = numIndices; i < expected; ++i)
    if (!block.getArgument(i).getType().isF32())
      return op->emitOpError() << "expected argument #" << i << " of the "
                               << name << " region to be f32";
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return op->emitOpError() << "expected the " << name
                             << " region to end in attn.yield";
  if (yield.getValue().getType() != resultType)
    return yield.emitOpError() << "expected the " << name << " to yield "
                               << resultType << ", got "
                               << yield.getValue().getType();
  return success();
}

static LogicalResult verifyHeads(Operation *op, int64_t heads,
                                 int64_t kvHeads, int64_t headDim,
                                 int64_t valueDim, ArrayAttr params) {
  if (heads <= 0 || kvHeads <= 0 || headDim <= 0 || valueDim <= 0)
    return op->emitOpError()
           << "expected positive heads, kv_heads, head_dim and value_dim";
  if (heads % kvHeads != 0)
    return op->emitOpError() << "expected kv_heads to divide heads ("
                             << heads << "), got " << kvHeads;
  llvm::SmallSet<StringRef, 8> names;
  for (auto param : params.getAsRange<ParamAttr>())
    if (!names.insert(param.getName()).second)
      return op->emitOpError()
             << "parameter '" << param.getName() << "' is declared twice";
  // The kernel ABI's limits (runtime/include/attnc/kernel_abi.h, and the
  // manifest reader's dims check), reported at the declaration that passes
  // them rather than by the runtime when it opens the package.
  if (params.size() > ATTNC_MAX_PARAMS) {
    auto extra = cast<ParamAttr>(params[ATTNC_MAX_PARAMS]);
    return emitError(clauseLoc(op, ("param " + extra.getName()).str()))
           << "expected at most " << ATTNC_MAX_PARAMS
           << " parameters (the kernel ABI passes no more), got "
           << params.size();
  }
  // ParamAttr's verifier bounds each parameter's rank (runtime/lib/
  // ParamDims.h) as the kernel ABI's tensors do.
  return success();
}

static ParamAttr lookupParamIn(ArrayAttr params, StringRef name) {
  for (auto param : params.getAsRange<ParamAttr>())
    if (param.getName() == name)
      return param;
  return {};
}

/// A parameter named by a builtin (hedgehog weight, delta-rule beta) must be
/// declared f32 over exactly `dims`.
static LogicalResult verifyNamedParam(Operation *op, ArrayAttr params,
                                      std::optional<StringRef> name,
                                      StringRef role, StringRef dims) {
  if (!name)
    return op->emitOpError() << "expected a " << role << " parameter";
  ParamAttr param = lookupParamIn(params, *name);
  if (!param)
    return op->emitOpError() << "unknown " << role << " parameter '" << *name
                             << "'";
  if (!param.getElementType().isF32() || param.getDims() != dims)
    return op->emitOpError() << "expected " << role << " parameter '"
                             << *name << "' to be f32 over '" << dims << "'";
  return success();
}

static void nameBlockArguments(Region &region, ArrayRef<StringRef> names,
                               OpAsmSetValueNameFn setNameFn) {
  if (region.empty())
    return;
  for (auto [arg, name] : llvm::zip(region.front().getArguments(), names))
    setNameFn(arg, name);
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

int64_t mlir::attn::featureDimOf(Feature feature, int64_t headDim) {
  switch (feature) {
  case Feature::taylor2:
    return 1 + headDim + headDim * headDim;
  case Feature::hedgehog:
    return 2 * headDim;
  default:
    return headDim;
  }
}

Location mlir::attn::clauseLoc(Operation *op, StringRef clause) {
  if (auto fused = dyn_cast<FusedLoc>(op->getLoc()))
    for (Location part : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(part); name && name.getName() == clause)
        return name.getChildLoc();
  return op->getLoc();
}

Location mlir::attn::statementLoc(Operation *op) {
  if (auto fused = dyn_cast<FusedLoc>(op->getLoc());
      fused && !fused.getLocations().empty())
    return fused.getLocations().front();
  return op->getLoc();
}

Location mlir::attn::cudaUnsupportedLoc(Operation *op) {
  if (auto clause = op->getAttrOfType<StringAttr>("cuda_unsupported_clause"))
    return clauseLoc(op, clause.getValue());
  return op->getLoc();
}

ParamAttr AttentionOp::lookupParam(StringRef name) {
  return lookupParamIn(getParams(), name);
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyHeads(*this, getHeads(), getKvHeads(), getHeadDim(),
                         getValueDim(), getParams())))
    return failure();
  Builder b(getContext());
  if (failed(verifyRegionSignature(*this, getMask(), "mask", 6, false,
                                   b.getI1Type())) ||
      failed(verifyRegionSignature(*this, getScore(), "score", 6, true,
                                   b.getF32Type())))
    return failure();
  if (getSelect().has_value() != getSelectValue().has_value())
    return emitOpError() << "expected 'select' and 'select_value' together";
  if (!getKeep().empty()) {
    if (!getSelect())
      return emitOpError() << "a 'keep' region needs 'select'";
    if (failed(verifyRegionSignature(*this, getKeep(), "keep", 6, false,
                                     b.getI1Type())))
      return failure();
  }
  if (auto rule = getSelect()) {
    double v = getSelectValue()->convertToDouble();
    if (*rule == SelectRule::topk && (v < 0 || v != std::floor(v)))
      return emitOpError() << "expected a non-negative integer select_value "
                              "for topk, got "
                           << v;
    if (*rule == SelectRule::cumulative && !(v >= 0 && v <= 1))
      return emitOpError() << "expected select_value in [0, 1] for "
                              "cumulative, got "
                           << v;
  }
  if (!getScoreVjp().empty() &&
      failed(verifyRegionSignature(*this, getScoreVjp(), "score_vjp", 6, 2,
                                   b.getF32Type())))
    return failure();
  if (failed(verifyHybrid()))
    return failure();
  return verifyTargetPlans(*this);
}

/// The hybrid attributes and regions come together: a feature map, the
/// three regions, the combine rule; the hedgehog weight exactly with
/// hedgehog; softmax normalization for the softmax branch.
LogicalResult AttentionOp::verifyHybrid() {
  const bool hybrid = getHybridFeature().has_value();
  const bool anyPart = !getHybridPhi().empty() || !getComplement().empty() ||
                       !getCombineWeight().empty() || getCombine() ||
                       getComplementMap() || getHybridFeatureParam();
  if (!hybrid) {
    if (anyPart)
      return emitOpError() << "hybrid regions and attributes need "
                              "'hybrid_feature'";
    return success();
  }
  if (getHybridPhi().empty() || getComplement().empty() ||
      getCombineWeight().empty() || !getCombine())
    return emitOpError() << "a hybrid op needs the hybrid_phi, complement "
                            "and combine_weight regions and 'combine'";
  if (getNormalize() != Normalize::softmax)
    return emitOpError() << "a hybrid op needs normalize softmax";
  Builder b(getContext());
  if (failed(verifyRegionSignature(*this, getHybridPhi(), "hybrid_phi", 6,
                                   true, b.getF32Type())) ||
      failed(verifyRegionSignature(*this, getComplement(), "complement", 6,
                                   false, b.getI1Type())) ||
      failed(verifyRegionSignature(*this, getCombineWeight(),
                                   "combine_weight", 5, false,
                                   b.getF32Type())))
    return failure();
  if (*getHybridFeature() == Feature::hedgehog)
    return verifyNamedParam(*this, getParams(), getHybridFeatureParam(),
                            "hedgehog weight", "hdd");
  if (getHybridFeatureParam())
    return emitOpError() << "'hybrid_feature_param' is only for the hedgehog "
                            "feature";
  return success();
}

int64_t AttentionOp::getHybridFeatureDim() {
  if (!getHybridFeature())
    return 0;
  return featureDimOf(*getHybridFeature(), getHeadDim());
}

void AttentionOp::getAsmBlockArgumentNames(Region &region,
                                           OpAsmSetValueNameFn setNameFn) {
  if (&region == &getHybridPhi())
    nameBlockArguments(region, {"b", "h", "n", "d", "Nq", "Nk", "x"},
                       setNameFn);
  else if (&region == &getCombineWeight())
    nameBlockArguments(region, {"b", "h", "q", "Nq", "Nk"}, setNameFn);
  else
    nameBlockArguments(region, {"b", "h", "q", "k", "Nq", "Nk", "s", "dt"},
                       setNameFn);
}

//===----------------------------------------------------------------------===//
// LinearAttentionOp
//===----------------------------------------------------------------------===//

ParamAttr LinearAttentionOp::lookupParam(StringRef name) {
  return lookupParamIn(getParams(), name);
}

int64_t LinearAttentionOp::getFeatureDim() {
  return featureDimOf(getFeature(), getHeadDim());
}

bool LinearAttentionOp::hasVectorDecay() {
  return !getDecay().front().getArgument(3).use_empty();
}

bool LinearAttentionOp::hasUnitDecay() {
  Value yielded =
      cast<YieldOp>(getDecay().front().getTerminator()).getValue();
  if (auto c = yielded.getDefiningOp<arith::ConstantOp>())
    if (auto f = dyn_cast<FloatAttr>(c.getValue()))
      return f.getValueAsDouble() == 1.0;
  return false;
}

DecayClass LinearAttentionOp::getDecayClass() {
  return hasVectorDecay() ? DecayClass::per_channel
         : hasUnitDecay() ? DecayClass::none
                          : DecayClass::scalar;
}

/// The chunk plan must describe this op: its gate, update rule, direction,
/// schedule chunk and forced form.
static LogicalResult verifyChunkPlan(LinearAttentionOp op) {
  if (auto form = op.getChunkForm())
    if (*form == ChunkForm::recurrent_step)
      return op.emitOpError() << "expected chunk_form sequential or "
                                 "chunk_parallel, got recurrent_step";
  ChunkPlanAttr plan = op.getChunkPlanAttr();
  if (!plan)
    return success();
  ScheduleAttr schedule = op.getScheduleAttr();
  if (!schedule || schedule.getChunk() != plan.getChunk())
    return op.emitOpError() << "expected the chunk plan's chunk ("
                            << plan.getChunk()
                            << ") to equal the schedule's, got "
                            << (schedule ? schedule.getChunk() : 0);
  const DecayClass gate = op.getDecayClass();
  static const char *const kGates[] = {"no gate", "a scalar gate",
                                       "a per-channel gate"};
  if (decayClassOf(plan.getInter()) != gate)
    return op.emitOpError() << "chunk plan inter '"
                            << stringifyInter(plan.getInter())
                            << "' does not match the decay ("
                            << kGates[static_cast<int>(gate)] << ")";
  if (isDeltaRule(plan.getInter()) != (op.getUpdate() == Update::delta))
    return op.emitOpError() << "chunk plan inter '"
                            << stringifyInter(plan.getInter())
                            << "' does not match update '"
                            << stringifyUpdate(op.getUpdate()) << "'";
  if ((plan.getIntra() == Intra::none) != op.getBidirectional())
    return op.emitOpError() << "expected chunk plan intra "
                            << (op.getBidirectional() ? "'none'" : "not 'none'")
                            << " for a "
                            << (op.getBidirectional() ? "bidirectional"
                                                      : "causal")
                            << " op, got '" << stringifyIntra(plan.getIntra())
                            << "'";
  if (auto form = op.getChunkForm()) {
    const ChunkForm other = *form == ChunkForm::sequential
                                ? ChunkForm::chunk_parallel
                                : ChunkForm::sequential;
    if (!plan.hasForm(*form) || plan.hasForm(other))
      return op.emitOpError() << "expected the chunk plan to force form '"
                              << stringifyChunkForm(*form) << "'";
  }
  return success();
}

LogicalResult LinearAttentionOp::verify() {
  if (failed(verifyHeads(*this, getHeads(), getKvHeads(), getHeadDim(),
                         getValueDim(), getParams())))
    return failure();
  if (getNormalize() == Normalize::softmax)
    return emitOpError() << "expected normalize sum or none in the linear "
                            "family, got softmax";
  Builder b(getContext());
  if (failed(verifyRegionSignature(*this, getFeatureRegion(), "feature", 6,
                                   true, b.getF32Type())) ||
      failed(verifyRegionSignature(*this, getDecay(), "decay", 6, false,
                                   b.getF32Type())))
    return failure();
  if (getFeature() == Feature::hedgehog &&
      failed(verifyNamedParam(*this, getParams(), getFeatureParam(),
                              "hedgehog weight", "hdd")))
    return failure();
  if (getUpdate() == Update::delta) {
    if (getNormalize() == Normalize::sum)
      return emitOpError() << "expected normalize none with the delta rule";
    if (getBidirectional())
      return emitOpError() << "the delta rule needs a causal recurrence, "
                              "not bidirectional";
    if (failed(verifyNamedParam(*this, getParams(), getBetaParam(),
                                "delta-rule beta", "bhn")))
      return failure();
  }
  if (failed(verifyChunkPlan(*this)))
    return failure();
  return verifyTargetPlans(*this);
}

void LinearAttentionOp::getAsmBlockArgumentNames(
    Region &region, OpAsmSetValueNameFn setNameFn) {
  nameBlockArguments(region, {"b", "h", "n", "d", "Nq", "Nk", "x"},
                     setNameFn);
}

//===----------------------------------------------------------------------===//
// ParamOp
//===----------------------------------------------------------------------===//

/// The declaration of the parameter `op` (attn.param or attn.param_grad)
/// names, after checking that it exists and takes `numIndices` indices.
static FailureOr<ParamAttr> verifyParamAccess(Operation *op, StringRef name,
                                              size_t numIndices) {
  Operation *parent = op->getParentOp();
  while (parent && !isa<AttentionOp, LinearAttentionOp>(parent))
    parent = parent->getParentOp();
  if (!parent)
    return op->emitOpError() << "expected to be inside an attention op";
  ParamAttr param =
      TypeSwitch<Operation *, ParamAttr>(parent)
          .Case<AttentionOp, LinearAttentionOp>(
              [&](auto attention) { return attention.lookupParam(name); });
  if (!param)
    return op->emitOpError() << "unknown parameter '" << name << "'";
  const size_t rank = paramDims(param).size();
  if (numIndices != rank)
    return op->emitOpError() << "expected " << rank
                             << " indices for parameter '" << name
                             << "', got " << numIndices;
  return param;
}

LogicalResult ParamOp::verify() {
  FailureOr<ParamAttr> param =
      verifyParamAccess(*this, getName(), getIndices().size());
  if (failed(param))
    return failure();
  if (param->getElementType() != getType())
    return emitOpError() << "expected parameter '" << getName()
                         << "' to be read as " << param->getElementType()
                         << ", got " << getType();
  return success();
}

//===----------------------------------------------------------------------===//
// ParamGradOp
//===----------------------------------------------------------------------===//

LogicalResult ParamGradOp::verify() {
  FailureOr<ParamAttr> param =
      verifyParamAccess(*this, getName(), getIndices().size());
  if (failed(param))
    return failure();
  if (!param->getElementType().isF32())
    return emitOpError() << "parameter '" << getName()
                         << "' is i32 and has no gradient";
  if (param->getFrozen())
    return emitOpError() << "parameter '" << getName()
                         << "' is frozen and has no gradient";
  return success();
}
