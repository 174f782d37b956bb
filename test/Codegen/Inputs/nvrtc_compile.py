#!/usr/bin/env python3
"""Compiles .cu files with NVRTC the way the runtime does when a package has
no cubin for the device (runtime/lib/CudaLoader.cpp: --gpu-architecture,
-std=c++17, -default-device, the toolkit's include directory), to show that
generated kernels stay within NVRTC's constraints (no host headers outside
the __CUDACC_RTC__ guard). Needs no GPU.

usage: nvrtc_compile.py CUDA_ROOT ARCH FILE.cu...
Prints 'nvrtc ok FILE' per file, or the NVRTC log and exits 1.
"""
import ctypes
import glob
import os
import sys


def main():
    root, arch, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    libs = sorted(glob.glob(os.path.join(root, "lib64", "libnvrtc.so*")))
    nvrtc = ctypes.CDLL(libs[0])
    options = [b"--gpu-architecture=" + arch.encode(), b"-std=c++17", b"-default-device",
               b"--include-path=" + os.path.join(root, "include").encode()]
    argv = (ctypes.c_char_p * len(options))(*options)
    failed = 0
    for path in files:
        prog = ctypes.c_void_p()
        source = open(path, "rb").read()
        assert nvrtc.nvrtcCreateProgram(ctypes.byref(prog), source, path.encode(), 0, None, None) == 0
        rc = nvrtc.nvrtcCompileProgram(prog, len(options), argv)
        size = ctypes.c_size_t()
        nvrtc.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        nvrtc.nvrtcGetProgramLog(prog, log)
        nvrtc.nvrtcDestroyProgram(ctypes.byref(prog))
        if rc != 0:
            failed += 1
            print("nvrtc FAILED %s\n%s" % (os.path.basename(path), log.value.decode()))
        else:
            print("nvrtc ok %s" % os.path.basename(path))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
