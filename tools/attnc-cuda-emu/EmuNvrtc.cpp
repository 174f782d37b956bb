//===- EmuNvrtc.cpp - An NVRTC stand-in that builds CPU kernels ----------===//
//
// This file implements the NVRTC entry points attnc_runtime resolves
// (runtime/lib/CudaLoader.cpp), loaded through $ATTNC_NVRTC_LIBRARY. The
// "cubin" it returns is a host shared object: the unmodified .cu compiled
// by the host C++ compiler with -DATTNC_CUDA_EMULATE and cuda_emu.h
// force-included, linked with the emulator's device library. The libcuda
// stand-in (EmuDriver.cpp) loads such objects and runs their kernels.
//
// Every `extern __shared__` array of the source is bound to the emulator's
// dynamic shared memory with an assembler label (they all start at the
// same address, as in CUDA); other __shared__ variables are rejected.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// nvrtcResult values (nvrtc.h).
constexpr int kSuccess = 0;
constexpr int kOutOfMemory = 1;
constexpr int kInvalidInput = 3;
constexpr int kInvalidProgram = 4;
constexpr int kCompilation = 6;

struct Program {
  std::string source, name, log, binary;
};

/// The source with comments and string literals blanked (same length), so
/// that a scan for __shared__ sees only code.
std::string codeOnly(const std::string &s) {
  std::string out = s;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 2, "//") == 0) {
      while (i < s.size() && s[i] != '\n')
        out[i++] = ' ';
    } else if (s.compare(i, 2, "/*") == 0) {
      size_t end = s.find("*/", i + 2);
      end = end == std::string::npos ? s.size() : end + 2;
      for (; i < end; ++i)
        out[i] = s[i] == '\n' ? '\n' : ' ';
      --i;
    } else if (s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\')
          out[i++] = ' ';
        if (i < s.size())
          out[i] = ' ';
      }
    }
  }
  return out;
}

bool isIdent(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

/// Declarations binding each `extern __shared__ T name[]` to the emulator's
/// shared memory; false (with `error`) for any other __shared__ use.
bool sharedAliases(const std::string &source, std::string &out,
                   std::string &error) {
  const std::string code = codeOnly(source);
  const std::string key = "__shared__";
  for (size_t at = code.find(key); at != std::string::npos;
       at = code.find(key, at + key.size())) {
    if ((at > 0 && isIdent(code[at - 1])) ||
        (at + key.size() < code.size() && isIdent(code[at + key.size()])))
      continue;
    size_t b = at;
    while (b > 0 && std::isspace(static_cast<unsigned char>(code[b - 1])))
      --b;
    const bool isExtern = b >= 6 && code.compare(b - 6, 6, "extern") == 0;
    const size_t semi = code.find(';', at);
    const size_t line = std::count(code.begin(), code.begin() + at, '\n') + 1;
    if (!isExtern || semi == std::string::npos) {
      error = "line " + std::to_string(line) +
              ": the CUDA emulator supports only `extern __shared__` arrays "
              "(dynamic shared memory)";
      return false;
    }
    std::string decl = code.substr(at + key.size(), semi - at - key.size());
    // Drop __align__(...): alignment comes from the emulator's buffer.
    size_t align = decl.find("__align__");
    if (align != std::string::npos) {
      size_t close = decl.find(')', align);
      decl.erase(align, close == std::string::npos ? std::string::npos
                                                   : close + 1 - align);
    }
    const size_t bracket = decl.find('[');
    size_t nameEnd = bracket == std::string::npos ? decl.size() : bracket;
    while (nameEnd > 0 &&
           std::isspace(static_cast<unsigned char>(decl[nameEnd - 1])))
      --nameEnd;
    size_t nameBegin = nameEnd;
    while (nameBegin > 0 && isIdent(decl[nameBegin - 1]))
      --nameBegin;
    if (bracket == std::string::npos || nameBegin == nameEnd) {
      error = "line " + std::to_string(line) +
              ": cannot read the `extern __shared__` declaration";
      return false;
    }
    const std::string type = decl.substr(0, nameBegin);
    const std::string name = decl.substr(nameBegin, nameEnd - nameBegin);
    out += "extern " + type + " " + name +
           "[] __asm__(\"attnc_emu_dynamic_smem\");\n";
  }
  return true;
}

/// Runs argv, appending its stderr and stdout to `log`; true on exit 0.
bool run(const std::vector<std::string> &argv, const std::string &logPath,
         std::string &log) {
  std::vector<char *> args;
  for (const std::string &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) {
    log += "fork failed\n";
    return false;
  }
  if (pid == 0) {
    int fd = open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execvp(args[0], args.data());
    std::fprintf(stderr, "cannot run %s\n", args[0]);
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    ;
  std::ifstream in(logPath);
  std::stringstream text;
  text << in.rdbuf();
  log += text.str();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// A fresh private directory for one compilation ("" on failure).
std::string makeWorkDir() {
  const char *tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/attnc-emu-XXXXXX";
  return mkdtemp(&pattern[0]) ? pattern : std::string();
}

int compile(Program &p, int numOptions, const char *const *options) {
  std::vector<std::string> includes, defines;
  for (int i = 0; i < numOptions; ++i) {
    std::string o = options[i] ? options[i] : "";
    if (o.rfind("--include-path=", 0) == 0)
      includes.push_back(o.substr(15));
    else if (o.rfind("-I", 0) == 0 && o.size() > 2)
      includes.push_back(o.substr(2));
    else if (o.rfind("-D", 0) == 0 || o.rfind("--define-macro=", 0) == 0)
      defines.push_back("-D" + o.substr(o[1] == 'D' ? 2 : 15));
    // --gpu-architecture, -std, -default-device: nothing to do on the CPU.
  }
  std::string aliases, error;
  if (!sharedAliases(p.source, aliases, error)) {
    p.log = p.name + ": " + error + "\n";
    return kCompilation;
  }
  const std::string dir = makeWorkDir();
  if (dir.empty()) {
    p.log = "cannot create a temporary directory\n";
    return kCompilation;
  }
  const std::string src = dir + "/kernel.cu", aliasHeader = dir + "/shared.h",
                    object = dir + "/kernel.o", library = dir + "/kernel.so",
                    logPath = dir + "/log.txt";
  std::ofstream(src) << p.source;
  std::ofstream(aliasHeader) << aliases;

  const char *envCxx = std::getenv("ATTNC_EMU_CXX");
  const std::string cxx = envCxx && *envCxx ? envCxx : ATTNC_EMU_CXX;
  // -O1: a kernel compiles in about half a second, most of it parsing the
  // toolkit's fp16 headers, and runs fast enough; -O2 would only add compile
  // time. -w: the log is shown only on failure, and nvcc's warnings are what
  // matter for the real build. Type punning (attnc_pack2) is CUDA idiom.
  std::vector<std::string> argv = {cxx};
  for (const char *a : {"-std=c++17", "-O1", "-fPIC", "-fno-strict-aliasing",
                        "-w", "-DATTNC_CUDA_EMULATE"})
    argv.push_back(a);
  argv.insert(argv.end(), defines.begin(), defines.end());
  for (const std::string &inc : includes)
    argv.push_back("-I" + inc);
  argv.push_back("-I" ATTNC_EMU_SOURCE_DIR);
  for (const std::string &h :
       {std::string(ATTNC_EMU_SOURCE_DIR "/cuda_emu.h"), aliasHeader}) {
    argv.push_back("-include");
    argv.push_back(h);
  }
  for (const char *a : {"-x", "c++", "-c"})
    argv.push_back(a);
  argv.push_back(src);
  argv.push_back("-o");
  argv.push_back(object);
  std::string log;
  bool ok = run(argv, logPath, log);
  if (ok) {
    std::vector<std::string> link = {cxx,
                                     "-shared",
                                     "-Wl,-Bsymbolic",
                                     "-o",
                                     library,
                                     object,
                                     "-Wl,--whole-archive",
                                     ATTNC_EMU_DEVICE_LIBRARY,
                                     "-Wl,--no-whole-archive"};
    ok = run(link, logPath, log);
  }
  if (ok) {
    std::ifstream in(library, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    p.binary = bytes.str();
    ok = !p.binary.empty();
  }
  p.log = log;
  for (const std::string &f : {src, aliasHeader, object, library, logPath})
    unlink(f.c_str());
  rmdir(dir.c_str());
  return ok ? kSuccess : kCompilation;
}

} // namespace

#define EMU_API extern "C" __attribute__((visibility("default")))

EMU_API const char *nvrtcGetErrorString(int r) {
  switch (r) {
  case kSuccess:
    return "NVRTC_SUCCESS";
  case kOutOfMemory:
    return "NVRTC_ERROR_OUT_OF_MEMORY";
  case kInvalidInput:
    return "NVRTC_ERROR_INVALID_INPUT";
  case kInvalidProgram:
    return "NVRTC_ERROR_INVALID_PROGRAM";
  case kCompilation:
    return "NVRTC_ERROR_COMPILATION (CPU emulator)";
  }
  return "NVRTC_ERROR (CPU emulator)";
}

EMU_API int nvrtcCreateProgram(Program **prog, const char *src,
                               const char *name, int numHeaders,
                               const char *const *, const char *const *) {
  if (!prog || !src)
    return kInvalidInput;
  if (numHeaders != 0)
    return kInvalidInput; // attnc's kernels are self-contained
  *prog = new Program{src, name ? name : "kernel.cu", "", ""};
  return kSuccess;
}

EMU_API int nvrtcCompileProgram(Program *prog, int numOptions,
                                const char *const *options) {
  if (!prog)
    return kInvalidProgram;
  return compile(*prog, numOptions, options);
}

EMU_API int nvrtcGetProgramLogSize(Program *prog, size_t *size) {
  if (!prog || !size)
    return kInvalidInput;
  *size = prog->log.size() + 1;
  return kSuccess;
}

EMU_API int nvrtcGetProgramLog(Program *prog, char *log) {
  if (!prog || !log)
    return kInvalidInput;
  std::memcpy(log, prog->log.c_str(), prog->log.size() + 1);
  return kSuccess;
}

EMU_API int nvrtcGetCUBINSize(Program *prog, size_t *size) {
  if (!prog || !size)
    return kInvalidInput;
  *size = prog->binary.size();
  return kSuccess;
}

EMU_API int nvrtcGetCUBIN(Program *prog, char *out) {
  if (!prog || !out)
    return kInvalidInput;
  std::memcpy(out, prog->binary.data(), prog->binary.size());
  return kSuccess;
}

EMU_API int nvrtcDestroyProgram(Program **prog) {
  if (!prog)
    return kInvalidProgram;
  delete *prog;
  *prog = nullptr;
  return kSuccess;
}
