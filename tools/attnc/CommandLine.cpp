//===- CommandLine.cpp - attnc's command line -----------------------------===//
//
// This file implements attnc's command line on llvm::cl: one SubCommand
// each for run, explain and compile (the top level emits), options
// registered per subcommand, and MLIR's standard options moved into every
// subcommand so that `attnc compile X --mlir-timing` works as
// `attnc X --emit=cuda --mlir-print-ir-after-all` does.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/CommandLine.h"

#include "codegen/ManifestEmitter.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/Timing.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

namespace attnc {

std::string CommandLine::get(const std::string &name,
                             const std::string &fallback) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty())
    return fallback;
  return it->second.back();
}

namespace {

namespace cl = llvm::cl;

cl::OptionCategory attncCategory("attnc options");

/// The subcommands; the top level (no subcommand) is `emit`.
struct SubCommands {
  cl::SubCommand run{"run", "run a spec on the reference executor or a "
                            "compiled backend, on .npy or random inputs"};
  cl::SubCommand explain{"explain", "the static tile map, chunk plan and "
                                    "kernel plans for given lengths"};
  cl::SubCommand compile{"compile", "write a package: sources, CPU library, "
                                    "cubins and manifest.json"};
};

/// One option: its name, whether it takes a value, and where it applies.
struct OptionSpec {
  const char *name;
  const char *help;
  bool takesValue;
  bool repeatable;
  std::vector<const char *> commands; ///< "emit" is the top level
  /// The values it accepts, when they are a fixed list: anything else is a
  /// command-line error, before the spec is read.
  std::vector<const char *> choices = {};
};

const std::vector<OptionSpec> &optionSpecs() {
  static const std::vector<OptionSpec> specs = {
      {"name", "the attention block of a multi-block spec", true, false,
       {"emit", "run", "explain", "compile"}},
      {"emit", "the stage to print: mlir, backward, scheduled, blocked, "
               "kernel, cpu, cuda, cuda-header", true, false, {"emit"},
       {"mlir", "backward", "scheduled", "blocked", "kernel", "cpu", "cuda",
        "cuda-header"}},
      {"o", "output file (emit) or package directory (compile)", true, false,
       {"emit", "compile"}},
      {"verify-diagnostics", "check diagnostics against expected-* comments",
       false, false, {"emit", "run", "explain", "compile"}},
      {"split-input-file", "process each '# -----' chunk on its own", false,
       false, {"emit", "run"}},
      {"backend", "reference, cpu or cuda", true, false, {"run"},
       {"reference", "cpu", "cuda"}},
      {"input", "NAME=FILE.npy (q, k, v, params, state, z; do with "
                "--backward)", true, true,
       {"run"}},
      {"random", "B,Nq[,Nk]: random inputs of these sizes", true, false,
       {"run"}},
      {"seed", "seed of --random (explain: of --block-mask's inputs)", true,
       false, {"run", "explain"}},
      {"output", "write o as .npy", true, false, {"run"}},
      {"lse", "write the log-sum-exp as .npy", true, false, {"run"}},
      {"final-state", "write the final state as .npy", true, false, {"run"}},
      {"final-z", "write the final z as .npy", true, false, {"run"}},
      {"package", "run a compiled package's backend", true, false, {"run"}},
      {"repeat", "time R runs of the backend", true, false, {"run"}},
      {"save-inputs", "write the (random) inputs into DIR (and do.npy with --backward)", true, false,
       {"run"}},
      {"mean-segment", "random document params with mean segment L", true,
       false, {"run", "explain"}},
      {"check", "compare against the reference executor (with --backward on "
                "the reference: against finite differences)", false, false,
       {"run"}},
      {"backward", "run: also compute the gradients of loss = sum(o * dO) "
                   "(give dO as --input do=FILE.npy); emit, compile: include "
                   "the backward kernels", false, false,
       {"emit", "run", "compile"}},
      {"grad", "NAME=FILE.npy: write the gradient of q, k, v or a parameter",
       true, true, {"run"}},
      {"random-state", "a random initial state", false, false, {"run"}},
      {"block-mask", "build a runtime block mask from the params (explain: "
                     "of random inputs, and report it)", false,
       false, {"run", "explain"}},
      {"cu-seqlens-q", "FILE.npy: int32 [B + 1] offsets of a packed "
                       "(ragged) batch's queries", true, false, {"run"}},
      {"cu-seqlens-k", "FILE.npy: int32 [B + 1] offsets of a packed "
                       "(ragged) batch's keys", true, false, {"run"}},
      {"page-size", "P: run through the paged entry points, k and v in "
                    "shuffled pages of P keys (cpu and cuda backends)",
       true, false, {"run"}},
      {"page-layout", "nhd (default) or hnd: the page pool's layout (with "
                      "--page-size)", true, false, {"run"}},
      {"kv-splits", "N: split-KV decode (cpu, cuda): 0 the rule (default), "
                    "1 never, N splits (at most the plan's)",
       true, false, {"run"}},
      {"len", "Nq[,Nk]", true, false, {"explain"}},
      {"svg", "draw the tile map into this SVG file", true, false,
       {"explain"}},
      {"arch", "CUDA archs, comma separated (default sm_80,sm_90)", true,
       false, {"compile"}},
      {"cpu-flags", "flags of the host compiler for the CPU backend", true,
       false, {"compile"}},
      {"no-cpu", "no CPU backend", false, false, {"compile"}},
      {"no-cuda-build", "write the .cu but build no cubin", false, false,
       {"compile"}},
  };
  return specs;
}

/// MLIR's options are registered in the top level only; move them into
/// every subcommand (remove, widen, add back: llvm::cl indexes options by
/// subcommand when they are added).
void widenToAllSubCommands(llvm::StringRef prefix) {
  std::vector<cl::Option *> moved;
  for (auto &entry : cl::getRegisteredOptions(cl::SubCommand::getTopLevel()))
    if (entry.getKey().starts_with(prefix))
      moved.push_back(entry.getValue());
  for (cl::Option *option : moved) {
    option->removeArgument();
    option->Subs.clear();
    option->addSubCommand(cl::SubCommand::getAll());
    option->addArgument();
  }
}

} // namespace

bool parseCommandLine(int argc, char **argv, CommandLine &out,
                      std::string &error) {
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  widenToAllSubCommands("mlir-");

  static SubCommands subs;
  auto subOf = [&](llvm::StringRef name) -> cl::SubCommand & {
    if (name == "run")
      return subs.run;
    if (name == "explain")
      return subs.explain;
    if (name == "compile")
      return subs.compile;
    return cl::SubCommand::getTopLevel();
  };
  // The spec: a positional list, so that a second one is our error, not
  // llvm::cl's, and a missing one too.
  std::vector<std::unique_ptr<cl::list<std::string>>> specs;
  for (const char *command : {"emit", "run", "explain", "compile"})
    specs.push_back(std::make_unique<cl::list<std::string>>(
        cl::Positional, cl::desc("<spec.attn>"), cl::sub(subOf(command)),
        cl::cat(attncCategory)));
  std::vector<std::unique_ptr<cl::list<std::string>>> values;
  std::vector<std::unique_ptr<cl::opt<bool>>> flags;
  struct Registered {
    const OptionSpec *spec;
    cl::list<std::string> *values = nullptr;
    cl::opt<bool> *flag = nullptr;
  };
  std::vector<Registered> registered;
  for (const OptionSpec &spec : optionSpecs()) {
    Registered r{&spec};
    if (spec.takesValue) {
      auto list = std::make_unique<cl::list<std::string>>(
          llvm::StringRef(spec.name), cl::desc(spec.help), cl::cat(attncCategory),
          cl::value_desc("value"));
      list->removeArgument();
      for (const char *command : spec.commands)
        list->addSubCommand(subOf(command));
      list->addArgument();
      r.values = list.get();
      values.push_back(std::move(list));
    } else {
      auto flag = std::make_unique<cl::opt<bool>>(
          llvm::StringRef(spec.name), cl::desc(spec.help), cl::cat(attncCategory));
      flag->removeArgument();
      for (const char *command : spec.commands)
        flag->addSubCommand(subOf(command));
      flag->addArgument();
      r.flag = flag.get();
      flags.push_back(std::move(flag));
    }
    registered.push_back(r);
  }
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "attnc " << kAttncVersion << "\n";
  });
  for (cl::SubCommand *sub : {&cl::SubCommand::getTopLevel(), &subs.run,
                              &subs.explain, &subs.compile})
    cl::HideUnrelatedOptions(attncCategory, *sub);

  std::string message;
  llvm::raw_string_ostream errs(message);
  if (!cl::ParseCommandLineOptions(
          argc, argv,
          "attnc: compiles .attn attention specs to CUDA and CPU kernels\n\n"
          "  attnc SPEC --emit=STAGE        print a stage of the pipeline\n"
          "  attnc run SPEC ...             run it (reference, CPU, package)\n"
          "  attnc explain SPEC --len N     tile map, chunk and kernel plans\n"
          "  attnc compile SPEC -o DIR      write a package\n\n"
          "`attnc SUBCOMMAND --help` lists a subcommand's options. MLIR's\n"
          "options (--mlir-print-ir-after-all, --mlir-timing, ...) apply to\n"
          "every subcommand; --help-hidden lists them.\n",
          &errs)) {
    error = llvm::StringRef(message).trim().str();
    // Some llvm::cl errors (a missing value) go straight to stderr.
    if (error.empty())
      error = "invalid command line (see the message above)";
    // llvm::cl prefixes the program name; attnc prints its own.
    llvm::StringRef text(error);
    if (text.consume_front(argv[0]) || text.consume_front("attnc"))
      error = text.ltrim(": ").str();
    return false;
  }

  if (subs.run)
    out.command = "run";
  else if (subs.explain)
    out.command = "explain";
  else if (subs.compile)
    out.command = "compile";
  else
    out.command = "emit";
  for (auto &list : specs) {
    if (list->empty())
      continue;
    out.spec = (*list)[0];
    if (list->size() > 1) {
      error = "unexpected argument '" + (*list)[1] + "' (the spec is '" +
              out.spec + "')";
      return false;
    }
  }
  if (out.spec.empty()) {
    error = "no spec file given";
    return false;
  }
  for (const Registered &r : registered) {
    // llvm::cl also accepts the top level's options after a subcommand;
    // attnc does not (`attnc run X --emit=cuda` would be silently ignored).
    const bool given = (r.values && r.values->getNumOccurrences()) ||
                       (r.flag && r.flag->getNumOccurrences());
    if (given && !llvm::is_contained(r.spec->commands,
                                     llvm::StringRef(out.command))) {
      error = std::string("option '--") + r.spec->name +
              "' does not apply to 'attnc " + out.command + "'";
      return false;
    }
    if (r.values && !r.spec->choices.empty())
      for (const std::string &value : *r.values)
        if (!llvm::is_contained(r.spec->choices, llvm::StringRef(value))) {
          error = std::string("unknown value '") + value + "' of '--" +
                  r.spec->name + "'; expected " +
                  llvm::join(r.spec->choices, ", ");
          return false;
        }
    if (r.values && r.values->getNumOccurrences())
      out.options[r.spec->name] =
          std::vector<std::string>(r.values->begin(), r.values->end());
    if (r.flag && *r.flag)
      out.flags.insert(r.spec->name);
  }
  return true;
}

} // namespace attnc
