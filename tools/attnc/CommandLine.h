//===- CommandLine.h - attnc's command line ---------------------*- C++ -*-===//
//
// `attnc [run|explain|compile] SPEC [options]` on llvm::cl subcommands: each
// subcommand declares the options it accepts (a typo or an option of
// another subcommand is an error naming it), `--help` and `--version` come
// from llvm::cl, and MLIR's standard options (--mlir-print-ir-after-all,
// --mlir-timing, --mlir-print-debuginfo, ...) work with every subcommand.
// The commands read the parsed result as a CommandLine.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_COMMANDLINE_H
#define ATTNC_TOOLS_ATTNC_COMMANDLINE_H

#include <map>
#include <set>
#include <string>
#include <vector>

namespace attnc {

/// What the user asked for, after parsing.
struct CommandLine {
  std::string command; ///< "emit" (no subcommand), "run", "explain", "compile"
  std::string spec;    ///< the .attn path ("-" for stdin)
  std::map<std::string, std::vector<std::string>> options;
  std::set<std::string> flags;

  bool has(const std::string &name) const {
    return options.count(name) || flags.count(name);
  }
  /// The last value of `name`, or `fallback`.
  std::string get(const std::string &name,
                  const std::string &fallback = "") const;
};

/// Parses argv with llvm::cl (registering MLIR's IR-printing, timing and
/// pass-manager options first). On a user error returns false with the
/// message in `error`; `--help` and `--version` print and exit.
bool parseCommandLine(int argc, char **argv, CommandLine &out,
                      std::string &error);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_COMMANDLINE_H
