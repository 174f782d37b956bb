//===- CommandLine.cpp - attnc's argument parsing -------------------------===//
//
// This file implements the argument parser declared in CommandLine.h.
//
//===----------------------------------------------------------------------===//

#include "tools/attnc/CommandLine.h"

namespace attnc {

std::string CommandLine::get(const std::string &name,
                             const std::string &fallback) const {
  auto it = options.find(name);
  if (it == options.end() || it->second.empty())
    return fallback;
  return it->second.back();
}

bool parseCommandLine(int argc, char **argv,
                      const std::map<std::string, CommandSpec> &commands,
                      CommandLine &out, std::string &error) {
  int i = 1;
  out.command = "emit";
  if (i < argc && commands.count(argv[i]) && std::string(argv[i]) != "emit")
    out.command = argv[i++];
  const CommandSpec &spec = commands.at(out.command);
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0 || arg == "--") {
      if (arg == "-" || arg.empty() || arg[0] != '-') {
        if (!out.spec.empty()) {
          error = "unexpected argument '" + arg + "' (the spec is '" +
                  out.spec + "')";
          return false;
        }
        out.spec = arg;
        continue;
      }
      error = "unknown option '" + arg + "'";
      return false;
    }
    std::string name = arg.substr(2), value;
    bool hasValue = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    if (spec.flags.count(name)) {
      if (hasValue) {
        error = "option '--" + name + "' takes no value";
        return false;
      }
      out.flags.insert(name);
      continue;
    }
    if (!spec.options.count(name)) {
      error = "unknown option '--" + name + "' for 'attnc " + out.command +
              "'";
      return false;
    }
    if (!hasValue) {
      if (i + 1 >= argc) {
        error = "option '--" + name + "' needs a value";
        return false;
      }
      value = argv[++i];
    }
    out.options[name].push_back(value);
  }
  if (out.spec.empty()) {
    error = "no spec file given";
    return false;
  }
  return true;
}

} // namespace attnc
