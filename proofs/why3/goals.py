#!/usr/bin/env python3
"""Reads the output of `why3 prove` for several provers and checks that every
goal is proved by at least one of them.

Usage: goals.py FILE.mlw PROVER=OUTPUT [PROVER=OUTPUT ...]

Each OUTPUT is what `why3 prove -a split_vc -P PROVER FILE.mlw` printed. The
goals are matched across provers by position, location and description (the
runs split the same verification conditions the same way, which is checked).
Prints one line per goal group (a lemma, or a function's verification
condition) with the number of goals and which prover proved each, then a
total. Exits with status 1 if a goal is proved by no prover, if the runs do
not list the same goals, if no goal was found, or if the model uses a
construct that assumes instead of proving (axiom, val, assume)."""

import re
import sys

GOAL = re.compile(
    r'^File "(?P<file>[^"]+)", line (?P<line>\d+), characters (?P<chars>\d+-\d+):\n'
    r"(?:Sub-goal (?P<what>.+?) of goal (?P<vc>\S+?)|Goal (?P<lemma>\S+?))\.\n"
    r"Prover result is: (?P<result>[^\n]+)",
    re.M,
)
MODULE = re.compile(r"^module\s+(\w+)", re.M)


def strip_comments(text):
    """WhyML comments, (* ... *), nest; string literals do not occur here."""
    out, depth, i = [], 0, 0
    while i < len(text):
        if text.startswith("(*", i):
            depth += 1
            i += 2
        elif depth and text.startswith("*)", i):
            depth -= 1
            i += 2
        else:
            if not depth:
                out.append(text[i])
            elif text[i] == "\n":
                out.append("\n")
            i += 1
    return "".join(out)


def assumptions(source):
    """The constructs that would let a model assume what it claims."""
    code = strip_comments(source)
    found = []
    for n, line in enumerate(code.splitlines(), 1):
        for word in ("axiom", "assume", "val", "admit", "absurd_axiom"):
            if re.search(rf"\b{word}\b", line):
                found.append(f"line {n}: {word}: {line.strip()}")
    return found


def module_of(line_no, starts):
    name = "?"
    for start, mod in starts:
        if start <= line_no:
            name = mod
    return name


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    mlw = sys.argv[1]
    source = open(mlw, encoding="utf-8").read()
    starts = [(source.count("\n", 0, m.start()) + 1, m.group(1)) for m in MODULE.finditer(source)]
    bad = assumptions(source)
    if bad:
        print(f"{mlw}: assumes instead of proving:", *bad, sep="\n  ")
        return 1

    runs = {}
    for arg in sys.argv[2:]:
        prover, _, path = arg.partition("=")
        text = open(path, encoding="utf-8").read()
        goals = []
        for m in GOAL.finditer(text):
            group = m["vc"] or m["lemma"]
            kind = m["what"] or "lemma"
            key = (int(m["line"]), m["chars"], kind, group)
            goals.append((key, m["result"].startswith("Valid")))
        runs[prover] = goals
        if "File " in text and not goals:
            print(f"{path}: no goals found; why3 said:\n{text[:2000]}")
            return 1

    provers = list(runs)
    keys = [k for k, _ in runs[provers[0]]]
    for p in provers[1:]:
        if [k for k, _ in runs[p]] != keys:
            print(f"the {provers[0]} and {p} runs do not list the same goals")
            return 1
    if not keys:
        print("no goals: did why3 run?")
        return 1

    groups, unproved = {}, []
    for i, key in enumerate(keys):
        who = [p for p in provers if runs[p][i][1]]
        mod = module_of(key[0], starts)
        g = groups.setdefault((mod, key[3]), {"goals": 0, **{p: 0 for p in provers}, "none": 0})
        g["goals"] += 1
        for p in who:
            g[p] += 1
        if not who:
            g["none"] += 1
            unproved.append(f"line {key[0]}, characters {key[1]}: {key[2]} of {key[3]}")

    width = max(len(f"{m}.{g}") for m, g in groups)
    print(f"{'goal group':<{width}}  goals  " + "  ".join(f"{p:>5}" for p in provers) + "  unproved")
    for (mod, grp), g in groups.items():
        print(f"{mod + '.' + grp:<{width}}  {g['goals']:5}  "
              + "  ".join(f"{g[p]:5}" for p in provers) + f"  {g['none']:8}")
    total = len(keys)
    by = {p: sum(ok for _, ok in runs[p]) for p in provers}
    both = sum(all(runs[p][i][1] for p in provers) for i in range(total))
    print(f"\n{total} goals in {len(groups)} groups; "
          + ", ".join(f"{by[p]} proved by {p}" for p in provers)
          + f", {both} by all of them, {len(unproved)} by none")
    for p in provers:
        only = [f"line {k[0]}: {k[2]} of {k[3]}" for i, k in enumerate(keys)
                if runs[p][i][1] and not any(runs[q][i][1] for q in provers if q != p)]
        if only:
            print(f"proved by {p} only:", *only, sep="\n  ")
    if unproved:
        print("UNPROVED:", *unproved, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
