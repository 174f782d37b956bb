"""Grammar-based random testing of the whole frontend and the reference.

libFuzzer (SpecParserFuzzer.cpp) mostly produces text the parser rejects; it
cannot reach IR generation, the verifier or the reference executor. This
script writes random *type-correct* specs of both families (every operator,
function, parameter kind and clause) and requires that each one compiles to
verified IR (`attnc SPEC`) and runs (`attnc run --random`) with exit status
0: a spec that sema accepts must never fail later.

usage: random_specs.py ATTNC OUT_DIR [--seed S] [--count N]

Failing specs are kept in OUT_DIR and listed; the exit status is 1 if any
failed. Indices into parameters use the matching variable (h for an h dim,
k or n for an n dim), so parameter reads stay in range.
"""

import argparse
import os
import random
import subprocess
import sys

FLOAT_FUNCS1 = ["exp", "log", "sqrt", "tanh", "sigmoid", "softplus", "cos",
                "sin", "relu", "elu", "floor", "abs"]


class Generator:
    def __init__(self, rng, ints, floats, params, causal):
        self.rng = rng
        self.ints = ints          # int variables of the clause
        self.floats = floats      # float variables (s or x)
        self.params = params      # name -> (elem, dims)
        self.causal = causal      # whether `causal` may appear

    def index(self, dim):
        return {"b": "b", "h": "h", "d": "d" if "d" in self.ints else "0",
                "n": "k" if "k" in self.ints else "n"}[dim]

    def read(self, elem):
        reads = [f"{name}[{', '.join(self.index(d) for d in dims)}]"
                 for name, (e, dims) in self.params.items() if e == elem]
        return reads

    def leaf(self, t):
        r = self.rng
        if t == "int":
            return r.choice([str(r.randint(-5, 9))] + self.ints + self.read("i32"))
        if t == "float":
            return r.choice(["0.5", "1e-3", "2.0", "1.5e1"] + self.floats +
                            self.read("f32"))
        choices = [f"({self.leaf('int')} < {self.leaf('int')})"]
        if self.causal:
            choices.append("causal")
        return r.choice(choices)

    def expr(self, t, depth):
        r = self.rng
        if depth <= 0 or r.random() < 0.25:
            return self.leaf(t)
        g = lambda tt: self.expr(tt, depth - 1)
        num = lambda: g(r.choice(["int", "float"]))
        if t == "int":
            return r.choice([
                lambda: f"({g('int')} {r.choice('+-*/%')} {g('int')})",
                lambda: f"-({g('int')})",
                lambda: f"{r.choice(['min', 'max'])}({g('int')}, {g('int')})",
                lambda: f"abs({g('int')})",
                lambda: f"({g('bool')} ? {g('int')} : {g('int')})",
            ])()
        if t == "float":
            return r.choice([
                lambda: f"({num()} {r.choice('+-*/%')} {g('float')})",
                lambda: f"{r.choice(FLOAT_FUNCS1)}({num()})",
                lambda: f"{r.choice(['pow', 'min', 'max'])}({g('float')}, {num()})",
                lambda: f"-({g('float')})",
                lambda: f"({g('bool')} ? {g('float')} : {g('int')})",
                lambda: g("int"),
            ])()
        return r.choice([
            lambda: f"({g('bool')} {r.choice(['&&', '||', '==', '!='])} {g('bool')})",
            lambda: f"!({g('bool')})",
            lambda: f"({num()} {r.choice(['<', '<=', '>', '>=', '==', '!='])} {num()})",
            lambda: f"({g('bool')} ? {g('bool')} : {g('bool')})",
        ])()


def random_spec(rng):
    heads = rng.choice([1, 2, 4])
    kv_heads = rng.choice([g for g in (1, 2, 4) if heads % g == 0])
    head = (f"  heads {heads}\n  kv_heads {kv_heads}\n"
            f"  head_dim {rng.choice([1, 3, 4])}\n"
            f"  dtype {rng.choice(['f32', 'f16', 'bf16'])}\n")
    params = {}
    if rng.random() < 0.5:
        params["slope"] = ("f32", "h")
    if rng.random() < 0.5:
        params["doc"] = ("i32", "bn")
    if rng.random() < 0.6:
        decl = "".join(f"  param {p}: {e}[{', '.join(d)}]\n"
                       for p, (e, d) in params.items())
        ints = ["b", "h", "q", "k", "Nq", "Nk"]
        mask = Generator(rng, ints, [], params, True).expr("bool", rng.randint(0, 4))
        score = Generator(rng, ints, ["s"], params, False).expr("float",
                                                                rng.randint(0, 4))
        return (f"attention g {{\n{head}{decl}  mask {mask}\n  score {score}\n"
                f"  normalize {rng.choice(['softmax', 'sum', 'none'])}\n}}\n")
    # Linear family: n in a feature or decay is the row's position, which is
    # in range for n-indexed parameters too.
    decl = "".join(f"  param {p}: {e}[{', '.join(d)}]\n"
                   for p, (e, d) in params.items())
    ints = ["b", "h", "n", "d", "Nq", "Nk"]
    feature = rng.choice(["identity", "relu", "elu1", "exp", "l2norm",
                          "taylor2", None])
    if feature is None:
        feature = Generator(rng, ints, ["x"], params, False).expr(
            "float", rng.randint(0, 3))
    decay = Generator(rng, ints, [], params, False).expr("float",
                                                         rng.randint(0, 3))
    return (f"attention g {{\n{head}  linear\n{decl}  feature {feature}\n"
            f"  decay {decay}\n  normalize {rng.choice(['sum', 'none'])}\n}}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("attnc")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    failures = []
    for i in range(args.count):
        path = os.path.join(args.out, f"spec{i}.attn")
        with open(path, "w") as f:
            f.write(random_spec(rng))
        shape = rng.choice(["1,3", "2,3,5", "1,6,2"])
        for cmd in ([args.attnc, path],
                    [args.attnc, "run", path, "--random", shape, "--seed", str(i)]):
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                failures.append(f"{' '.join(cmd)}: exit {proc.returncode}\n"
                                f"{proc.stderr[:2000]}")
                break
        else:
            os.remove(path)
    for failure in failures:
        print("FAIL:", failure)
    print(f"{args.count - len(failures)} of {args.count} random specs passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
