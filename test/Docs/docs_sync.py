"""Checks that the user documentation names what the sources define.

docs/language.md must list every statement keyword (lib/Spec/Names.cpp) in
its keyword paragraph and grammar, and every expression function in its
function table; docs/runtime.md must document every function of the C API
(runtime/include/attnc/runtime.h), mention no attnc_ function that does not
exist, and state the kernel ABI version of kernel_abi.h. Prints one line
per disagreement and exits 1 if there is any.

Usage: docs_sync.py SOURCE_ROOT
"""
import re
import sys


def read(root, path):
    with open(f"{root}/{path}", encoding="utf-8") as f:
        return f.read()


def quoted_list(source, function):
    """The string literals of the vector returned by `function` in Names.cpp."""
    body = re.search(function + r"\(\) \{(.*?)\n\}", source, re.S)
    if not body:
        raise SystemExit(f"docs_sync: no {function}() in lib/Spec/Names.cpp")
    return re.findall(r'"([^"]+)"', body.group(1))


def main(root):
    problems = []
    names = read(root, "lib/Spec/Names.cpp")
    language = read(root, "docs/language.md")
    keywords = quoted_list(names, "statementKeywords")
    paragraph = re.search(r"- Keywords: (.*?)\n- ", language, re.S)
    listed = set(re.findall(r"[A-Za-z_]+", paragraph.group(1))) if paragraph else set()
    grammar = re.search(r"## 2\. Grammar(.*?)## 3\.", language, re.S)
    grammar_text = grammar.group(1) if grammar else ""
    table = re.search(r"## 3\. Statements(.*?)## 4\.", language, re.S)
    table_text = table.group(1) if table else ""
    for word in keywords:
        if word not in listed:
            problems.append(f"docs/language.md §1: keyword '{word}' is not in the keyword list")
        if f'"{word}"' not in grammar_text:
            problems.append(f"docs/language.md §2: keyword '{word}' is not in the grammar")
        if f"`{word}" not in table_text:
            problems.append(f"docs/language.md §3: statement '{word}' is not in the table")
    functions = re.search(r"### Functions(.*?)###", language, re.S)
    function_text = functions.group(1) if functions else ""
    for fn in quoted_list(names, "functionNames"):
        if not re.search(r"[`\s(]" + fn + r"[`\s(]", function_text):
            problems.append(f"docs/language.md §4: function '{fn}' is not in the function table")

    header = read(root, "runtime/include/attnc/runtime.h")
    runtime_doc = read(root, "docs/runtime.md")
    api = set(re.findall(r"ATTNC_API[^;{]*?\b(attnc_[a-z0-9_]+)\s*\(", header, re.S))
    if len(api) < 20:
        problems.append(f"runtime.h: found only {len(api)} ATTNC_API functions; the pattern is stale")
    for fn in sorted(api):
        if not re.search(r"\b" + fn + r"\b", runtime_doc):
            problems.append(f"docs/runtime.md: C function '{fn}' is not documented")
    # Functions the docs name (a call or a declaration) must exist; types
    # (attnc_tensor), kernels (attnc_causal_cpu) and macros are not calls.
    kernel_abi = read(root, "runtime/include/attnc/kernel_abi.h")
    cpp_api = read(root, "runtime/include/attnc/runtime.hpp")
    for fn in sorted(set(re.findall(r"\b(attnc_[a-z0-9_]+)\(", runtime_doc))):
        if fn not in api and fn not in kernel_abi and fn not in cpp_api:
            problems.append(f"docs/runtime.md: names '{fn}(', which runtime.h does not declare")

    abi = re.search(r"#define ATTNC_ABI_VERSION (\d+)", kernel_abi)
    if not abi:
        problems.append("kernel_abi.h: no ATTNC_ABI_VERSION")
    else:
        version = abi.group(1)
        for claim in re.findall(r'"abi_version": (\d+)', runtime_doc) + re.findall(
            r"ATTNC_ABI_VERSION` of the runtime \(`(\d+)`\)", runtime_doc
        ) + re.findall(r"abi_version=(\d+)", runtime_doc):
            if claim != version:
                problems.append(f"docs/runtime.md: says ABI version {claim}, kernel_abi.h says {version}")

    for p in problems:
        print(p)
    print(f"docs_sync: {len(keywords)} keywords, {len(api)} C functions checked, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
