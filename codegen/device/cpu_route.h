// ==== codegen/device/cpu_route.h: CPU: tokens routed by id, sorted into tiles ====
// Embedded into the CPU softmax kernel of a spec whose plan is `routed` (docs/language.md §3d),
// after what codegen/RoutingEmitter.cpp prints: ROUTE_QH and ROUTE_KH (1, or H when the query's
// or the key's id is per head), ROUTE_ALONE (the routing clause is the whole mask) and the id
// readers ATTNC_ROUTE_QID / ATTNC_ROUTE_KID (args, b, h, position).
// Per (b, head of the id), the query rows and the keys are sorted by (id, position): the rows of
// one id are contiguous, so query tile qb sees only the key tiles whose ids meet its id range,
// one contiguous run of them. Positions in the regions stay the tokens' own.

typedef struct AttncRoute {
  long long Nq, Nk;
  long long *qtok, *ktok; // [(b * ROUTE_QH + h) * Nq + i]: the row at sorted place i
  int *qid, *kid;         // the ids in sorted order
} AttncRoute;

static void attnc_route_free(AttncRoute *r) {
  free(r->qtok);
  free(r->ktok);
  free(r->qid);
  free(r->kid);
}

// Sorts one side: rows [0, n) by (id, row), ids read at position row + offset.
template <typename IdFn>
static void attnc_route_sort(long long n, long long offset, long long *tok, int *id, IdFn read) {
  for (long long i = 0; i < n; ++i) tok[i] = i;
  std::vector<int> raw(n);
  for (long long i = 0; i < n; ++i) raw[i] = read(i + offset);
  std::sort(tok, tok + n, [&](long long a, long long b) {
    return raw[a] != raw[b] ? raw[a] < raw[b] : a < b;
  });
  for (long long i = 0; i < n; ++i) id[i] = raw[tok[i]];
}

// Builds the sorted orders of one call; 0, or 2 when out of memory.
static int attnc_route_build(const AttncKernelArgs &args, AttncRoute *r) {
  const long long Nq = args.q_len, Nk = args.kv_len, offset = Nk - Nq;
  r->Nq = Nq;
  r->Nk = Nk;
  r->qtok = (long long *)malloc(sizeof(long long) * (size_t)(args.batch * ROUTE_QH * Nq));
  r->ktok = (long long *)malloc(sizeof(long long) * (size_t)(args.batch * ROUTE_KH * Nk));
  r->qid = (int *)malloc(sizeof(int) * (size_t)(args.batch * ROUTE_QH * Nq));
  r->kid = (int *)malloc(sizeof(int) * (size_t)(args.batch * ROUTE_KH * Nk));
  if (!r->qtok || !r->ktok || !r->qid || !r->kid) {
    attnc_route_free(r);
    return 2;
  }
  const long long sides = args.batch * (ROUTE_QH + ROUTE_KH);
#pragma omp parallel for schedule(dynamic, 1)
  for (long long s = 0; s < sides; ++s) {
    const bool query = s % (ROUTE_QH + ROUTE_KH) < ROUTE_QH;
    const long long b = s / (ROUTE_QH + ROUTE_KH), h = s % (ROUTE_QH + ROUTE_KH) - (query ? 0 : ROUTE_QH);
    if (query)
      attnc_route_sort(Nq, offset, r->qtok + (b * ROUTE_QH + h) * Nq, r->qid + (b * ROUTE_QH + h) * Nq,
                       [&](long long pos) { return ATTNC_ROUTE_QID(args, b, h, pos); });
    else
      attnc_route_sort(Nk, 0, r->ktok + (b * ROUTE_KH + h) * Nk, r->kid + (b * ROUTE_KH + h) * Nk,
                       [&](long long pos) { return ATTNC_ROUTE_KID(args, b, h, pos); });
  }
  return 0;
}

// The key tiles of query tile qb of (b, h): [first, last] over the sorted keys, those whose ids
// meet the tile's [qlo, qhi].
typedef struct AttncRoutePlan {
  long long first, last, Nk;
  int qlo, qhi;
  const int *kid;
} AttncRoutePlan;

static inline AttncRoutePlan attnc_route_plan(const AttncRoute *r, long long b, long long h, long long qb) {
  AttncRoutePlan p;
  const long long hq = ROUTE_QH > 1 ? h : 0, hk = ROUTE_KH > 1 ? h : 0;
  const int *qid = r->qid + (b * ROUTE_QH + hq) * r->Nq;
  const long long row0 = qb * BQ, row1 = attnc_mini(row0 + BQ, r->Nq);
  p.qlo = qid[row0];
  p.qhi = qid[row1 - 1];
  p.kid = r->kid + (b * ROUTE_KH + hk) * r->Nk;
  p.Nk = r->Nk;
  const long long lo = std::lower_bound(p.kid, p.kid + r->Nk, p.qlo) - p.kid;
  const long long hi = std::upper_bound(p.kid, p.kid + r->Nk, p.qhi) - p.kid; // one past
  p.first = lo / BK;
  p.last = lo < hi ? (hi - 1) / BK : -1;
  return p;
}

static inline long long attnc_plan_next(const AttncRoutePlan &p, long long kb) {
  const long long next = kb < p.first ? p.first : kb + 1;
  return next <= p.last ? next : -1;
}

// Full: the routing clause is the whole mask and the tile's queries and keys all have one id.
static inline bool attnc_plan_full(const AttncRoutePlan &p, long long kb) {
  if (!ROUTE_ALONE || p.qlo != p.qhi) return false;
  const long long j0 = kb * BK, j1 = attnc_mini(j0 + BK, p.Nk);
  return p.kid[j0] == p.qlo && p.kid[j1 - 1] == p.qlo;
}
