//===- CommandLine.h - attnc's argument parsing -----------------*- C++ -*-===//
//
// A small parser for `attnc [COMMAND] SPEC [--option value | --option=value
// | --flag]...`. Each command declares the options it accepts, so a typo is
// an error that names the option instead of being silently ignored.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTNC_COMMANDLINE_H
#define ATTNC_TOOLS_ATTNC_COMMANDLINE_H

#include <map>
#include <set>
#include <string>
#include <vector>

namespace attnc {

struct CommandLine {
  std::string command; ///< "emit" (the default), "run", ...
  std::string spec;    ///< the .attn path
  std::map<std::string, std::vector<std::string>> options;
  std::set<std::string> flags;

  bool has(const std::string &name) const {
    return options.count(name) || flags.count(name);
  }
  /// The last value of `name`, or `fallback`.
  std::string get(const std::string &name,
                  const std::string &fallback = "") const;
};

/// What a command accepts: options take a value, flags do not.
struct CommandSpec {
  std::set<std::string> options;
  std::set<std::string> flags;
};

/// Parses argv[1..]; on error returns false with a message in `error`.
bool parseCommandLine(int argc, char **argv,
                      const std::map<std::string, CommandSpec> &commands,
                      CommandLine &out, std::string &error);

} // namespace attnc

#endif // ATTNC_TOOLS_ATTNC_COMMANDLINE_H
