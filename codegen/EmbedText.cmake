# Turns a text file into a C++ raw string literal (for pasting the kernel
# ABI header into generated kernels). Usage: cmake -DIN=... -DOUT=... -P
file(READ "${IN}" text)
file(WRITE "${OUT}" "R\"ATTNC_EMBED(${text})ATTNC_EMBED\"\n")
