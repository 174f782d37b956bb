/*===- kernel_abi.h - The argument block every attnc kernel takes --------===*\
|*                                                                            *|
|* One struct, passed by pointer to CPU entry points and by value to CUDA     *|
|* kernels. attnc's emitters paste this exact text into every generated .cu   *|
|* and .cpp (they must stay self-contained), and the runtime fills it after   *|
|* checking each tensor against the package manifest. Plain C: it is part of  *|
|* the C ABI users ship.                                                      *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTNC_KERNEL_ABI_H
#define ATTNC_KERNEL_ABI_H

#define ATTNC_ABI_VERSION 7
#define ATTNC_MAX_PARAMS 8

/* Element strides of a rank-4 tensor; the last one must be 1. */
typedef struct AttncStrides4 {
  long long s[4];
} AttncStrides4;

/* ABI 3: a block mask built at run time (docs/runtime.md, "Runtime block
 * masks"). Row r = (b * heads + h') * QB + qb, QB = ceil(Nq / block_q),
 * h' = h when heads == H, else 0 (one list shared by every head). Row r
 * visits the k-blocks col[row_ptr[r] .. row_ptr[r + 1]) in ascending order;
 * full[i] != 0 when every element of that tile is visible (no mask). */
typedef struct AttncBlockMask {
  const int *row_ptr;        /* [B * heads * QB + 1] */
  const int *col;            /* [nnz] k-block indices */
  const unsigned char *full; /* [nnz] 1: full tile, 0: partial tile */
  int heads;                 /* 1 or H */
} AttncBlockMask;

typedef struct AttncKernelArgs {
  const void *q;  /* [B, H, Nq, D]  storage dtype */
  const void *k;  /* [B, G, Nk, D]  storage dtype */
  const void *v;  /* [B, G, Nk, Dv] storage dtype */
  void *o;        /* [B, H, Nq, Dv] storage dtype */
  float *lse;     /* [B, H, Nq] contiguous, or null (softmax family only) */
  const void *params[ATTNC_MAX_PARAMS]; /* manifest order, contiguous */
  long long batch;  /* B */
  long long q_len;  /* Nq */
  long long kv_len; /* Nk */
  AttncStrides4 q_strides, k_strides, v_strides, o_strides;
  /* ABI 2: the recurrent state of the causal linear family, float32,
   * contiguous, each null when absent (always null for other packages).
   * F = the manifest's feature_dim. A null state_in starts from zero;
   * state_out receives S after the last key and may be state_in itself.
   * z_in / z_out: the normalizer, only with normalize sum. */
  const float *state_in; /* [B, H, F, Dv] */
  float *state_out;      /* [B, H, F, Dv] */
  const float *z_in;     /* [B, H, F] */
  float *z_out;          /* [B, H, F] */
  /* ABI 3: the k-blocks to visit, or null for the static block plan
   * (softmax family). For CUDA kernels the struct and its arrays are in
   * device memory. */
  const AttncBlockMask *block_mask;
  /* ABI 4: per-call device buffers of CUDA kernels, allocated by the
   * runtime (docs/runtime.md §3b): a hybrid's phi(k) and block states, read
   * by its attention kernel, and the buffers of the prologue kernels
   * (block-mask builders, selection), which take this struct alone like
   * every attnc kernel. Null otherwise; CPU kernels allocate their own. */
  void *scratch[8];
  /* ABI 6: a packed variable-length (ragged) batch (docs/runtime.md §3e),
   * both null for a dense call. Sequence b owns the q rows
   * [cu_seqlens_q[b], cu_seqlens_q[b + 1]) and the k/v rows
   * [cu_seqlens_k[b], cu_seqlens_k[b + 1]) of the packed tensors; q_len and
   * kv_len are then the padded lengths (the longest sequences, at least 1),
   * which size the grid and the params' n dimension; the strides' [0] are
   * 0 and [2] step one token; lse is [H, cu_seqlens_q[B]]. int32, B + 1
   * entries each, device memory for CUDA kernels. Only kernels whose plan
   * is ragged (manifest "ragged": true) read them. */
  const int *cu_seqlens_q;
  const int *cu_seqlens_k;
  /* ABI 7: a paged KV cache (docs/runtime.md §3f), block_table null for
   * contiguous k/v. k and v then point at page pools: key t of sequence b,
   * kv head g, is the row at
   *   k + block_table[b * block_table_stride + t / page_size] * k_strides.s[0]
   *     + g * k_strides.s[1] + (t % page_size) * k_strides.s[2]
   * (v alike), and kv_lens[b] is sequence b's Nk; kv_len is the longest (at
   * least 1). cu_seqlens_k is null; q, o and lse are dense [B, H, Nq, .]
   * unless cu_seqlens_q packs them as above. int32, device memory for CUDA
   * kernels. Only ragged kernels read them. */
  const int *block_table; /* [B, block_table_stride] page indices */
  const int *kv_lens;     /* [B] */
  long long page_size;
  long long block_table_stride;
  /* ABI 7: split-KV decode (docs/runtime.md §3g), CUDA kernels whose plan
   * has kv_splits only. kv_splits > 1: grid z is B * kv_splits, block z
   * works on sequence z % B and on part z / B of its k-tiles (each part
   * ceil(tiles / kv_splits) tiles), and instead of o and lse writes its
   * normalized partial o to split_o[(s * R + i) * Dv + e] and its lse to
   * split_lse[s * R + i], float32, where i is the row's lse index and R the
   * lse's element count (B * H * Nq, or H * total_q when packed); the merge
   * kernel then writes o and lse. 0 or 1: no split, both null. A CPU
   * kernel whose plan has kv_splits reads kv_splits as the caller's
   * request instead (0: the rule of kv_splits.h with its threads, 1: never,
   * n: n splits) and keeps its partial results itself. */
  long long kv_splits;
  float *split_o;
  float *split_lse;
} AttncKernelArgs;

/* ABI 5: the backward pass of the softmax family (docs/runtime.md,
 * "Backward"). The forward's AttncKernelArgs carries q, k, v, o (the
 * forward's output), lse (required under normalize softmax) and params;
 * this struct the gradient of o and the gradients written. dq, dk, dv are
 * overwritten in the storage dtype; param_grads[i] (float32, contiguous,
 * the parameter's shape) is overwritten for every parameter with a
 * gradient (manifest "grad": true) and must be null for the others. */
typedef struct AttncBackwardArgs {
  const void *dout; /* [B, H, Nq, Dv] storage dtype: dL/do */
  void *dq;         /* [B, H, Nq, D]  storage dtype */
  void *dk;         /* [B, G, Nk, D]  storage dtype */
  void *dv;         /* [B, G, Nk, Dv] storage dtype */
  AttncStrides4 dout_strides, dq_strides, dk_strides, dv_strides;
  float *param_grads[ATTNC_MAX_PARAMS];
} AttncBackwardArgs;

/* One part of attnc_merge_states_cuda (docs/runtime.md §3d): the merge
 * kernel of a softmax package takes AttncKernelArgs with o, lse, o_strides,
 * batch and q_len of the result, scratch[0] an array of kv_len (the part
 * count) of these, in device memory. */
typedef struct AttncMergePart {
  const void *o;    /* [B, H, Nq, Dv] storage dtype */
  const float *lse; /* [B, H, Nq] contiguous */
  AttncStrides4 o_strides;
} AttncMergePart;

#endif /* ATTNC_KERNEL_ABI_H */
