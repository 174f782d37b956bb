/*===- runtime.h - The attnc runtime C API --------------------------------===*\
|*                                                                            *|
|* This file declares the C API of attnc_runtime, the library that loads a    *|
|* package written by `attnc compile` (a directory with manifest.json, a CPU  *|
|* shared object and/or CUDA source and cubins) and runs its kernel. Every    *|
|* tensor is checked against the manifest before anything is launched. The    *|
|* library links no LLVM, no MLIR and no CUDA: libcuda.so.1 and libnvrtc are  *|
|* loaded with dlopen when, and only when, a CUDA launch needs them.          *|
|*                                                                            *|
|* Conventions: functions returning int return ATTNC_OK (0) on success and an *|
|* attnc_status code otherwise; the message of the last failure on the        *|
|* calling thread is attnc_last_error(). Strings returned by a package live   *|
|* as long as the package. See docs/runtime.md.                               *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTNC_RUNTIME_H
#define ATTNC_RUNTIME_H

#include "attnc/kernel_abi.h"

#if defined(_WIN32)
#define ATTNC_API
#else
#define ATTNC_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Every failure also sets attnc_last_error(). */
typedef enum attnc_status {
  ATTNC_OK = 0,
  ATTNC_ERROR_INVALID_ARGUMENT = 1, /* a tensor or argument does not fit */
  ATTNC_ERROR_IO = 2,               /* a package file cannot be read */
  ATTNC_ERROR_MANIFEST = 3,         /* manifest.json is malformed */
  ATTNC_ERROR_UNSUPPORTED = 4,      /* the package has no code for this */
  ATTNC_ERROR_LOAD = 5,             /* the CPU library cannot be loaded */
  ATTNC_ERROR_KERNEL = 6,           /* the CPU entry point reported failure */
  ATTNC_ERROR_CUDA_UNAVAILABLE = 7, /* no CUDA driver, or cuInit failed */
  ATTNC_ERROR_CUDA = 8,             /* a CUDA driver call failed */
  ATTNC_ERROR_COMPILE = 9,          /* NVRTC is missing or failed */
  ATTNC_ERROR_OUT_OF_MEMORY = 10,   /* host allocation failed */
  ATTNC_ERROR_INTERNAL = 11,        /* a bug in the runtime */
  ATTNC_ERROR_SIGNATURE = 12        /* the kernel was not compiled for the
                                       manifest beside it */
} attnc_status;

/* Element types. f16 and bf16 elements are stored as uint16_t bits. */
typedef enum attnc_dtype {
  ATTNC_F32 = 0,
  ATTNC_F16 = 1,
  ATTNC_BF16 = 2,
  ATTNC_I32 = 3,
  /* Make every int a valid value in C++ (negative ones too), so a
   * descriptor from C holding garbage is reported rather than undefined.
   * Not dtypes. */
  ATTNC_DTYPE_FORCE_INT_MIN = -0x7fffffff - 1,
  ATTNC_DTYPE_FORCE_INT = 0x7fffffff
} attnc_dtype;

/* A strided view of caller-owned memory. Only the first `rank` entries of
 * `shape` and `strides` are read. Strides count elements, not bytes. */
typedef struct attnc_tensor {
  void *data;
  attnc_dtype dtype;
  int rank;
  long long shape[4];
  long long strides[4];
} attnc_tensor;

/* One runtime parameter declared by the spec, in manifest order. */
typedef struct attnc_param_info {
  const char *name;  /* e.g. "doc" */
  attnc_dtype dtype; /* ATTNC_I32 or ATTNC_F32 */
  const char *dims;  /* one token per dimension: b (B), h (heads), n (Nk),
                        d (head_dim) or [N] (fixed extent N); "" for a scalar,
                        e.g. "bn", "h[13][13]" (docs/runtime.md) */
} attnc_param_info;

/* The recurrent state of a causal linear-family package (has_state), for
 * attnc_run_cpu_state and attnc_launch_cuda_state. Every member may be NULL.
 * With F = feature_dim and Dv = value_dim from the manifest, all float32 and
 * contiguous:
 *   state_in  [B, H, F, Dv]  S before the first key; NULL starts from zero
 *   state_out [B, H, F, Dv]  receives S after the last key (also when
 *                            Nq < Nk); may be the same memory as state_in
 *   z_in, z_out [B, H, F]    the normalizer z, only with normalize "sum",
 *                            where z_in is given exactly when state_in is and
 *                            z_out exactly when state_out is
 * so that a prefill can hand its state to decode, and a sequence split in
 * chunks (across devices, LASP-2) gives the same result as one call. */
typedef struct attnc_linear_state {
  const attnc_tensor *state_in;
  const attnc_tensor *state_out;
  const attnc_tensor *z_in;
  const attnc_tensor *z_out;
} attnc_linear_state;

/* The schedule the package was compiled with. */
typedef struct attnc_schedule {
  int block_q, block_k, warps, stages, chunk;
} attnc_schedule;

typedef struct attnc_package attnc_package;

/* A block mask built at run time (docs/runtime.md, "Runtime block masks"):
 * per (b, h', q-block) the k-blocks to visit, each full (no per-element
 * mask) or partial. Owned by the caller: attnc_block_mask_free. */
typedef struct attnc_block_mask attnc_block_mask;

/* What attnc_block_mask_get_info reports. The arrays are the CSR layout the
 * kernel reads (AttncBlockMask in kernel_abi.h) and live as long as the
 * mask: row r = (b * heads + h') * q_blocks + qb visits the k-blocks
 * col[row_ptr[r] .. row_ptr[r + 1]), ascending; full_flags[i] is 1 for a
 * full tile, 0 for a partial one. */
typedef struct attnc_block_mask_info {
  long long batch, q_len, kv_len; /* the call it was built for */
  int heads;                      /* 1 (shared by every head) or H */
  int q_blocks, k_blocks;         /* ceil(Nq / block_q), ceil(Nk / block_k) */
  long long rows;                 /* batch * heads * q_blocks */
  long long nnz;                  /* tiles visited */
  long long full;                 /* of them full */
  long long partial;              /* of them partial: nnz - full */
  long long static_tiles;         /* tiles the static plan visits, same rows */
  const int *row_ptr;             /* [rows + 1] */
  const int *col;                 /* [nnz] */
  const unsigned char *full_flags; /* [nnz] */
  int on_device;                  /* 1: the arrays are CUDA device memory
                                     (attnc_block_mask_build_cuda) */
} attnc_block_mask_info;

/* ---- Errors and versions ------------------------------------------------ */

/* The message of the last failure on this thread, or "" if none. Successful
 * calls leave it unchanged. Valid until the next failing call on the thread. */
ATTNC_API const char *attnc_last_error(void);

/* "ATTNC_OK", "ATTNC_ERROR_INVALID_ARGUMENT", ...; "unknown" otherwise. */
ATTNC_API const char *attnc_status_name(int status);

/* "f32", "f16", "bf16", "i32"; "unknown" otherwise. */
ATTNC_API const char *attnc_dtype_name(attnc_dtype dtype);

/* The kernel ABI this runtime fills (ATTNC_ABI_VERSION of its build). */
ATTNC_API int attnc_abi_version(void);

/* The runtime's version, e.g. "0.1.0". */
ATTNC_API const char *attnc_runtime_version(void);

/* ---- Packages ----------------------------------------------------------- */

/* Reads and validates DIR/manifest.json and checks that every file it names
 * exists. Loads nothing yet: the CPU library is loaded by the first
 * attnc_run_cpu, CUDA code by the first attnc_launch_cuda per context. On
 * failure *out is set to NULL. */
ATTNC_API int attnc_package_open(const char *dir, attnc_package **out);

/* Unloads the package's CUDA modules and CPU library. NULL is ignored. Must
 * not race with calls using the package. */
ATTNC_API void attnc_package_close(attnc_package *pkg);

/* Manifest queries. With a NULL package they return NULL, 0 or ATTNC_F32. */
ATTNC_API const char *attnc_package_dir(const attnc_package *pkg);
ATTNC_API const char *attnc_package_name(const attnc_package *pkg);
ATTNC_API const char *attnc_package_family(const attnc_package *pkg);
ATTNC_API const char *attnc_package_normalize(const attnc_package *pkg);
ATTNC_API const char *attnc_package_spec_hash(const attnc_package *pkg);
ATTNC_API const char *attnc_package_attnc_version(const attnc_package *pkg);
ATTNC_API attnc_dtype attnc_package_dtype(const attnc_package *pkg);
ATTNC_API int attnc_package_heads(const attnc_package *pkg);
ATTNC_API int attnc_package_kv_heads(const attnc_package *pkg);
ATTNC_API int attnc_package_head_dim(const attnc_package *pkg);
ATTNC_API int attnc_package_value_dim(const attnc_package *pkg);
ATTNC_API int attnc_package_has_lse(const attnc_package *pkg);
/* 1 for a causal linear-family package, which takes and hands out its
 * recurrent state (attnc_linear_state); 0 otherwise. */
ATTNC_API int attnc_package_has_state(const attnc_package *pkg);
/* F, the state's rows (the feature map's width); 0 for the softmax family. */
ATTNC_API int attnc_package_feature_dim(const attnc_package *pkg);
ATTNC_API int attnc_package_has_cpu(const attnc_package *pkg);
ATTNC_API int attnc_package_has_cuda(const attnc_package *pkg);
ATTNC_API int attnc_package_num_params(const attnc_package *pkg);
/* Fills *out for parameter `index` (0-based, manifest order). */
ATTNC_API int attnc_package_param(const attnc_package *pkg, int index,
                                  attnc_param_info *out);
ATTNC_API int attnc_package_schedule(const attnc_package *pkg,
                                     attnc_schedule *out);

/* ---- Running ------------------------------------------------------------ */

/* Shapes, with H = heads, G = kv_heads, D = head_dim, Dv = value_dim from the
 * manifest and B, Nq, Nk taken from q and k:
 *   q [B, H, Nq, D]  k [B, G, Nk, D]  v [B, G, Nk, Dv]  o [B, H, Nq, Dv]
 * in the package dtype, any positive strides with the last one 1;
 *   lse [B, H, Nq] float32, contiguous, or NULL (only if has_lse);
 *   params[i]: the i-th manifest parameter, contiguous, shaped by its dims.
 * `num_params` must equal attnc_package_num_params. Nothing is written to o
 * or lse unless every check passes. */

/* Runs the package's CPU kernel synchronously on host memory. Thread-safe:
 * several threads may run the same package at once. */
ATTNC_API int attnc_run_cpu(attnc_package *pkg, const attnc_tensor *q,
                            const attnc_tensor *k, const attnc_tensor *v,
                            const attnc_tensor *o, const attnc_tensor *lse,
                            const attnc_tensor *params, int num_params);

/* Enqueues the package's CUDA kernel on `cuda_stream` (a CUstream or
 * cudaStream_t; NULL for the default stream) and returns without waiting;
 * errors raised while the kernel runs surface on the stream. Tensors must be
 * device (or managed) memory of the stream's context, with 16-byte aligned
 * base pointers and 16-byte multiples as byte strides. With a NULL stream,
 * the context current on the calling thread is used. The first launch in a
 * context loads the package's cubin for the device's exact sm_XY, or
 * compiles its CUDA source with NVRTC when there is no such cubin.
 * Thread-safe. */
ATTNC_API int attnc_launch_cuda(attnc_package *pkg, const attnc_tensor *q,
                                const attnc_tensor *k, const attnc_tensor *v,
                                const attnc_tensor *o, const attnc_tensor *lse,
                                const attnc_tensor *params, int num_params,
                                void *cuda_stream);

/* attnc_run_cpu and attnc_launch_cuda with the recurrent state of a causal
 * linear-family package (see attnc_linear_state). A NULL `state`, or one
 * whose members are all NULL, is the plain call. State tensors given to a
 * package without has_state are an error. Checked like the other tensors,
 * after the params; nothing is written unless every check passes. */
ATTNC_API int attnc_run_cpu_state(attnc_package *pkg, const attnc_tensor *q,
                                  const attnc_tensor *k, const attnc_tensor *v,
                                  const attnc_tensor *o,
                                  const attnc_tensor *lse,
                                  const attnc_tensor *params, int num_params,
                                  const attnc_linear_state *state);
ATTNC_API int
attnc_launch_cuda_state(attnc_package *pkg, const attnc_tensor *q,
                        const attnc_tensor *k, const attnc_tensor *v,
                        const attnc_tensor *o, const attnc_tensor *lse,
                        const attnc_tensor *params, int num_params,
                        const attnc_linear_state *state, void *cuda_stream);

/* ---- Ragged (variable-length) batches, softmax family (ABI 6) ------------ */

/* A packed batch of B sequences of different lengths (docs/runtime.md §3e).
 * cu_seqlens_q and cu_seqlens_k are int32 [B + 1] host tensors (also for
 * CUDA calls: the runtime checks them and copies them to the device),
 * starting at 0 and non-decreasing; sequence b owns the q rows
 * [cu_seqlens_q[b], cu_seqlens_q[b + 1]) and the k/v rows
 * [cu_seqlens_k[b], cu_seqlens_k[b + 1]). Lengths 0 are allowed. Tensors:
 *   q [total_q, H, D], k [total_k, G, D], v [total_k, G, Dv],
 *   o [total_q, H, Dv] (package dtype, any positive strides, last 1),
 *   lse [H, total_q] float32 contiguous (or NULL),
 *   params: their dense shapes with B sequences and Nk = the longest kv
 *   sequence (at least 1); entries past a sequence's length are not read.
 * Each sequence gets exactly what a dense call on it alone would give, with
 * b its index for the params and its own Nq, Nk and decode alignment. */
typedef struct attnc_varlen {
  const attnc_tensor *cu_seqlens_q;
  const attnc_tensor *cu_seqlens_k;
} attnc_varlen;

/* Whether the package's CPU / CUDA kernel takes packed batches (its plan is
 * ragged: every softmax package but `select` and hybrids). */
ATTNC_API int attnc_package_has_ragged_cpu(const attnc_package *pkg);
ATTNC_API int attnc_package_has_ragged_cuda(const attnc_package *pkg);

ATTNC_API int attnc_run_cpu_varlen(attnc_package *pkg, const attnc_tensor *q,
                                   const attnc_tensor *k,
                                   const attnc_tensor *v,
                                   const attnc_tensor *o,
                                   const attnc_tensor *lse,
                                   const attnc_tensor *params, int num_params,
                                   const attnc_varlen *varlen);
ATTNC_API int
attnc_launch_cuda_varlen(attnc_package *pkg, const attnc_tensor *q,
                         const attnc_tensor *k, const attnc_tensor *v,
                         const attnc_tensor *o, const attnc_tensor *lse,
                         const attnc_tensor *params, int num_params,
                         const attnc_varlen *varlen, void *cuda_stream);

/* ---- Paged KV cache, softmax family (ABI 7) ------------------------------ */

/* How a page pool lays out its pages (docs/runtime.md §3f). */
typedef enum attnc_page_layout {
  ATTNC_PAGES_NHD = 0, /* k [P, page_size, G, D], v [P, page_size, G, Dv] */
  ATTNC_PAGES_HND = 1  /* k [P, G, page_size, D], v [P, G, page_size, Dv] */
} attnc_page_layout;

/* Keys and values in pages of a pool, as inference engines keep their KV
 * cache (vLLM, FlashInfer, FlashAttention's paged KV). k and v are pools of
 * P pages of page_size keys (the layout above; package dtype, any positive
 * strides, last 1). Sequence b has kv_lens[b] keys; its key t lives in page
 * block_table[b, t / page_size] at slot t % page_size. block_table is int32
 * [B, max_pages] (rows contiguous), kv_lens int32 [B], both host memory
 * (also for CUDA calls: the runtime checks every page a sequence reads lies
 * in the pool, then copies them to the device); entries past a sequence's
 * pages are not read. The queries are dense (cu_seqlens_q NULL):
 *   q [B, H, Nq, D], o [B, H, Nq, Dv], lse [B, H, Nq],
 * every sequence with Nq queries aligned to the end of its own keys; or
 * packed by cu_seqlens_q (int32 [B + 1], host) as in a ragged call:
 *   q [total_q, H, D], o [total_q, H, Dv], lse [H, total_q].
 * params: dense shapes with B sequences and Nk = the longest kv_lens (at
 * least 1). Each sequence gets exactly what a dense call on it alone gives.
 * Writing new keys into pages is the caller's job. Every package whose
 * kernel is ragged (attnc_package_has_ragged_cpu / _cuda) takes it. */
typedef struct attnc_paged_kv {
  attnc_page_layout layout;
  const attnc_tensor *block_table;
  const attnc_tensor *kv_lens;
  const attnc_tensor *cu_seqlens_q; /* NULL: dense queries */
} attnc_paged_kv;

ATTNC_API int attnc_run_cpu_paged(attnc_package *pkg, const attnc_tensor *q,
                                  const attnc_tensor *k_pages,
                                  const attnc_tensor *v_pages,
                                  const attnc_tensor *o,
                                  const attnc_tensor *lse,
                                  const attnc_tensor *params, int num_params,
                                  const attnc_paged_kv *paged);
ATTNC_API int
attnc_launch_cuda_paged(attnc_package *pkg, const attnc_tensor *q,
                        const attnc_tensor *k_pages,
                        const attnc_tensor *v_pages, const attnc_tensor *o,
                        const attnc_tensor *lse, const attnc_tensor *params,
                        int num_params, const attnc_paged_kv *paged,
                        void *cuda_stream);

/* ---- Split-KV decode, softmax family (ABI 7) ------------------------------ */

/* A call with fewer attention blocks than the device has SMs (decode:
 * B x H x one q-block) splits each sequence's k-tiles across blocks and
 * merges the partial results (docs/runtime.md §3g), for packages whose plan
 * allows it: attnc_package_max_kv_splits > 0 (every ragged package whose
 * normalizer is softmax). By default the count follows the rule of
 * attnc/kv_splits.h with the device's SM count (CPU calls: the kernel's
 * OpenMP threads); `splits` 1 never splits, n asks for n (at most the
 * package's maximum and one k-tile per split), 0 restores the rule. Calls
 * with a block mask never split. Applies to CPU and CUDA calls alike. */
ATTNC_API int attnc_package_set_kv_splits(attnc_package *pkg, int splits);
ATTNC_API int attnc_package_max_kv_splits(const attnc_package *pkg);

/* ---- Backward (softmax family, `attnc compile --backward`) --------------- */

/* The gradients of one backward call. dout = dL/do, shaped like o; dq, dk,
 * dv are written, shaped like q, k, v, all four in the package dtype with
 * any positive strides and the last one 1. param_grads holds num_params
 * tensors in manifest order: float32, contiguous, the parameter's shape for
 * every parameter the manifest marks "grad": true (written), data NULL for
 * the others (i32 and frozen ones); or param_grads itself NULL when no
 * parameter has a gradient. */
typedef struct attnc_backward_tensors {
  const attnc_tensor *dout;
  const attnc_tensor *dq, *dk, *dv;
  const attnc_tensor *param_grads;
} attnc_backward_tensors;

/* 1 when the package has a CPU backward entry. */
ATTNC_API int attnc_package_has_cpu_backward(const attnc_package *pkg);

/* 1 when the backward writes the gradient of parameter `index`. */
ATTNC_API int attnc_package_param_has_grad(const attnc_package *pkg,
                                           int index);

/* The backward pass on the CPU: the forward's q, k, v, params, its output o
 * and (normalize softmax) its lse are read, checked as for attnc_run_cpu;
 * then `grads`. Deterministic: no atomics (docs/runtime.md, "Backward").
 * Nothing is written unless every check passes. */
ATTNC_API int attnc_run_cpu_backward(attnc_package *pkg, const attnc_tensor *q,
                                     const attnc_tensor *k,
                                     const attnc_tensor *v,
                                     const attnc_tensor *o,
                                     const attnc_tensor *lse,
                                     const attnc_tensor *params,
                                     int num_params,
                                     const attnc_backward_tensors *grads);

/* attnc_run_cpu_backward over the tiles of `mask`, the block mask the
 * forward ran with (attnc_block_mask_build_cpu for the same tensors and
 * params; its tiles are the CPU plan's, which the backward shares): tiles
 * it leaves out pass no gradient, its full tiles skip the mask. Without
 * it, attnc_run_cpu_backward walks the static plan, or builds the same
 * automatic mask the forward does (attnc_package_auto_block_mask). */
ATTNC_API int attnc_run_cpu_backward_block_mask(
    attnc_package *pkg, const attnc_tensor *q, const attnc_tensor *k,
    const attnc_tensor *v, const attnc_tensor *o, const attnc_tensor *lse,
    const attnc_tensor *params, int num_params,
    const attnc_backward_tensors *grads, const attnc_block_mask *mask);

/* 1 when the package has a CUDA backward (its kernels are in the package's
 * CUDA module; content-based selection and hybrids have none yet). */
ATTNC_API int attnc_package_has_cuda_backward(const attnc_package *pkg);

/* The backward pass on CUDA: attnc_run_cpu_backward's arguments in device
 * memory of `cuda_stream`'s context, enqueued as attnc_launch_cuda is (four
 * kernels and three per-call buffers, freed in stream order). dQ, dK and dV
 * are deterministic (no atomics); parameter gradients are summed in double
 * with atomics, then rounded to float, so they may differ between calls in
 * the last bits of a double, never of the float (docs/runtime.md,
 * "Backward"). */
ATTNC_API int attnc_launch_cuda_backward(
    attnc_package *pkg, const attnc_tensor *q, const attnc_tensor *k,
    const attnc_tensor *v, const attnc_tensor *o, const attnc_tensor *lse,
    const attnc_tensor *params, int num_params,
    const attnc_backward_tensors *grads, void *cuda_stream);

/* ---- Merging attention states (softmax) ---------------------------------- */

/* Combines `parts` results of one softmax attention over disjoint key sets
 * for the same queries (split-KV, a shared prefix computed once, context
 * parallelism) into the result over their union, exactly:
 *   lse = log(sum_i exp(lse_i)),  o = sum_i exp(lse_i - lse) * o_i.
 * o_parts[i] and o: [B, H, Nq, Dv] in one dtype (f32, f16 or bf16), any
 * positive strides with the last one 1; lse_parts[i] and lse: float32
 * [B, H, Nq], contiguous; host memory. A part whose lse is -inf (no visible
 * key) adds nothing and its o is not read; a row where every part is -inf
 * gets o = 0 and lse = -inf; a NaN or +inf lse makes the row's o and lse
 * NaN. The sums run in double. o may be one of the parts (every part of a
 * row is read before the row is written). 1 to 4096 parts. Needs no
 * package (docs/runtime.md, "Merging attention states"). */
ATTNC_API int attnc_merge_states_cpu(const attnc_tensor *o_parts,
                                     const attnc_tensor *lse_parts, int parts,
                                     const attnc_tensor *o,
                                     const attnc_tensor *lse);

/* attnc_merge_states_cpu on CUDA, by the merge kernel of a softmax package
 * (1 when it has one: attnc_package_has_cuda_merge): the tensors in device
 * memory of `cuda_stream`'s context, in the package's dtype, with its heads
 * and value_dim; enqueued, not waited for. The sums run in float. */
ATTNC_API int attnc_package_has_cuda_merge(const attnc_package *pkg);
ATTNC_API int attnc_merge_states_cuda(attnc_package *pkg,
                                      const attnc_tensor *o_parts,
                                      const attnc_tensor *lse_parts, int parts,
                                      const attnc_tensor *o,
                                      const attnc_tensor *lse,
                                      void *cuda_stream);

/* ---- Runtime block masks (CPU, softmax family) --------------------------- */

/* 1 when the package's CPU object has a block-mask builder (every softmax
 * package compiled by attnc with ABI 3), else 0. */
ATTNC_API int attnc_package_has_block_mask(const attnc_package *pkg);

/* Automatic block masks: when the spec's mask reads a param (document ids,
 * per-head windows), no tile can be skipped at compile time, so
 * attnc_run_cpu and attnc_launch_cuda called without a block mask build one
 * for the call first (the manifest's `auto_block_mask`); so do the ragged
 * and paged calls, per sequence. attnc_package_auto_block_mask says
 * whether calls on `pkg` do (1) or not (0); attnc_package_set_auto_block_mask
 * turns it off (0) or back on for this package object, e.g. to time the
 * static plan or to build one mask per batch with attnc_block_mask_build_*
 * and reuse it across layers. */
ATTNC_API int attnc_package_auto_block_mask(const attnc_package *pkg);
ATTNC_API int attnc_package_set_auto_block_mask(attnc_package *pkg, int enabled);

/* Builds the block mask of one call: the shapes come from q and k (B, Nq, Nk,
 * checked like attnc_run_cpu's), the mask is evaluated on `params` (e.g.
 * document ids, per-head windows). For each q-block, the builder walks the
 * tiles the static plan visits and evaluates the mask on every element:
 * tiles with nothing visible are dropped, tiles with everything visible are
 * full, the rest partial. On failure *out is NULL. The result is valid for
 * calls with the same package, B, Nq, Nk and param values. */
ATTNC_API int attnc_block_mask_build_cpu(attnc_package *pkg,
                                         const attnc_tensor *q,
                                         const attnc_tensor *k,
                                         const attnc_tensor *v,
                                         const attnc_tensor *params,
                                         int num_params,
                                         attnc_block_mask **out);

/* ---- Runtime block masks (CUDA) ----------------------------------------- */

/* 1 when the package's CUDA module has the device block-mask builder (every
 * softmax package compiled by attnc with ABI 4), else 0. */
ATTNC_API int attnc_package_has_cuda_block_mask(const attnc_package *pkg);

/* attnc_block_mask_build_cpu on the device: q, k, v and params in device
 * memory, the builder kernels enqueued on `cuda_stream` (as for
 * attnc_launch_cuda), which this call then synchronizes to read the tile
 * counts back. For a package with `select`, the mask is the content-based
 * selection of this call's q and k (docs/language.md §8a). The mask lives
 * in device memory of the stream's context (rows have room for every
 * k-block: B * heads * ceil(Nq / block_q) * ceil(Nk / block_k) * 5 bytes);
 * attnc_block_mask_free releases it. */
ATTNC_API int attnc_block_mask_build_cuda(attnc_package *pkg,
                                          const attnc_tensor *q,
                                          const attnc_tensor *k,
                                          const attnc_tensor *v,
                                          const attnc_tensor *params,
                                          int num_params, void *cuda_stream,
                                          attnc_block_mask **out);

/* attnc_launch_cuda over a mask from attnc_block_mask_build_cuda (same
 * package, B, Nq, Nk): only its tiles are visited. */
ATTNC_API int attnc_launch_cuda_block_mask(
    attnc_package *pkg, const attnc_tensor *q, const attnc_tensor *k,
    const attnc_tensor *v, const attnc_tensor *o, const attnc_tensor *lse,
    const attnc_tensor *params, int num_params, const attnc_block_mask *mask,
    void *cuda_stream);

/* attnc_launch_cuda_backward over the mask the forward ran with (from
 * attnc_block_mask_build_cuda, same package, B, Nq, Nk), when the package's
 * CUDA backward walks masks of the forward's tiles (manifest
 * `cuda.backward_block_mask`: the tensor-core backward on the schedule's
 * tiles); ATTNC_ERROR_UNSUPPORTED otherwise. Without a mask,
 * attnc_launch_cuda_backward builds the automatic one for such a package,
 * as the forward does. */
ATTNC_API int attnc_launch_cuda_backward_block_mask(
    attnc_package *pkg, const attnc_tensor *q, const attnc_tensor *k,
    const attnc_tensor *v, const attnc_tensor *o, const attnc_tensor *lse,
    const attnc_tensor *params, int num_params,
    const attnc_backward_tensors *grads, const attnc_block_mask *mask,
    void *cuda_stream);

/* Frees a block mask (CPU or CUDA). NULL is ignored. */
ATTNC_API void attnc_block_mask_free(attnc_block_mask *mask);

/* Fills *out with the mask's shape, counts and CSR arrays. */
ATTNC_API int attnc_block_mask_get_info(const attnc_block_mask *mask,
                                        attnc_block_mask_info *out);

/* attnc_run_cpu visiting the tiles of `mask` instead of the static plan (full
 * tiles skip the mask). `mask` must come from attnc_block_mask_build_cpu on
 * the same package with the same B, Nq and Nk; NULL is the plain call. */
ATTNC_API int attnc_run_cpu_block_mask(attnc_package *pkg,
                                       const attnc_tensor *q,
                                       const attnc_tensor *k,
                                       const attnc_tensor *v,
                                       const attnc_tensor *o,
                                       const attnc_tensor *lse,
                                       const attnc_tensor *params,
                                       int num_params,
                                       const attnc_block_mask *mask);

/* Loads (or compiles) the CUDA module for the context of `cuda_stream`
 * without launching anything, so that the first launch does not pay for
 * NVRTC. Optional. */
ATTNC_API int attnc_prepare_cuda(attnc_package *pkg, void *cuda_stream);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_H */
