# Turns a text file into a C++ raw string literal (the kernel ABI header and
# the device code in codegen/device/, pasted into generated kernels).
# Usage: cmake -DIN=... -DOUT=... -P
file(READ "${IN}" text)
string(FIND "${text}" ")ATTNC_EMBED" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )ATTNC_EMBED")
endif()
file(WRITE "${OUT}" "R\"ATTNC_EMBED(${text})ATTNC_EMBED\"\n")
