# lit configuration for attnc. Tools come from the build tree; FileCheck and
# friends from LLVM 19.
import os
import shutil

import lit.formats
from lit.llvm import llvm_config

config.name = "attnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".attn", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "test")

config.environment["FILECHECK_OPTS"] = "--enable-var-scope"
llvm_config.with_system_environment(["HOME", "TMPDIR", "PATH"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools_dir = os.path.join(config.attnc_obj_root, "tools")
config.substitutions.append(("%attnc-opt", os.path.join(tools_dir, "attnc-opt", "attnc-opt")))
config.substitutions.append(("%attnc-translate", os.path.join(tools_dir, "attnc-translate", "attnc-translate")))
config.substitutions.append(("%attnc", os.path.join(tools_dir, "attnc", "attnc")))
config.substitutions.append(("%unittests", os.path.join(config.attnc_obj_root, "test", "attnc-unittests")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%gpu_check", os.path.join(config.attnc_obj_root, "tools", "attnc-gpu-check", "attnc-gpu-check")))
config.substitutions.append(("%gpu_bundle", os.path.join(config.attnc_obj_root, "gpu-bundle")))
config.substitutions.append(("%examples", os.path.join(config.attnc_src_root, "examples")))
config.substitutions.append(("%src", config.attnc_src_root))
config.substitutions.append(("%obj_root", config.attnc_obj_root))

# The libFuzzer target (test/CMakeLists.txt) is only built when clang++ is
# available; its test is UNSUPPORTED otherwise.
spec_fuzzer = os.path.join(config.attnc_obj_root, "test", "Fuzz", "spec-parser-fuzzer")
if os.path.exists(spec_fuzzer):
    config.available_features.add("fuzzer")
# First, so that no shorter substitution (%s) matches a prefix of it.
config.substitutions.insert(0, ("%spec-parser-fuzzer", spec_fuzzer))
# The runtime's fuzzers (manifest, npy, args) are built with the spec
# parser's, under the same feature.
for target in ("manifest", "npy", "args"):
    config.substitutions.insert(0, ("%%runtime-%s-fuzzer" % target, os.path.join(
        config.attnc_obj_root, "test", "Fuzz", "runtime-%s-fuzzer" % target)))

# nvcc compiles generated kernels (no GPU needed).
nvcc = shutil.which("nvcc") or ("/usr/local/cuda/bin/nvcc" if os.path.exists("/usr/local/cuda/bin/nvcc") else None)
if nvcc:
    config.available_features.add("nvcc")
    config.substitutions.append(("%nvcc", nvcc))

# The CPU emulator for CUDA kernels (tools/attnc-cuda-emu, docs/testing.md):
# built when the CUDA toolkit headers exist; its tests are UNSUPPORTED
# otherwise. %emu_env runs a command with the emulated libcuda.so.1 and
# NVRTC in place of the real ones.
if getattr(config, "attnc_cuda_emu", "") in ("ON", "1", "TRUE"):
    config.available_features.add("cuda-emu")
emu_dir = os.path.join(config.attnc_obj_root, "tools", "attnc-cuda-emu")
config.substitutions.append(("%emu_env", "env LD_LIBRARY_PATH=%s ATTNC_NVRTC_LIBRARY=%s" % (
    os.path.join(emu_dir, "driver"), os.path.join(emu_dir, "libattnc_cuda_emu_nvrtc.so"))))
config.substitutions.append(("%emu_warp_test", os.path.join(emu_dir, "attnc-emu-warp-test")))
config.substitutions.append(("%emu_device_test", os.path.join(emu_dir, "attnc-emu-device-test")))

# The Python package (python/, docs/python.md): scripts/setup.sh installs it
# into a virtual environment in the build tree; its tests are UNSUPPORTED
# when that was not done (lit says so below). The torch tests need torch in
# that environment (it sees the system site-packages).
import importlib.util
import subprocess
attnc_python = os.path.join(config.attnc_obj_root, "python-venv", "bin", "python")
# First, so that %attnc does not match its prefix.
config.substitutions.insert(0, ("%attnc_python", attnc_python))
if os.path.exists(attnc_python):
    config.available_features.add("attnc-python")
    probe = subprocess.run([attnc_python, "-c",
                            "import importlib.util as u; print(u.find_spec('torch') is not None)"],
                           capture_output=True, text=True)
    if probe.stdout.strip() == "True":
        config.available_features.add("torch")
else:
    lit_config.note("the attnc Python package is not installed in %s (scripts/setup.sh does it); "
                    "test/Python is UNSUPPORTED" % os.path.dirname(os.path.dirname(attnc_python)))
