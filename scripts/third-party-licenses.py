#!/usr/bin/env python3
"""Writes the licence notices of every crate built into Encore's binary (the .deb ships them
as /usr/share/doc/encore/third-party-licenses.txt).

The crates are the normal (not dev, not build) dependencies reachable from `encore` on
x86_64 Linux, as `cargo metadata` resolves them; each one's licence expression and the text
of its licence files (LICENSE*, LICENCE*, COPYING*, NOTICE*, from its source in the cargo
registry). Identical texts are written once, with every crate they cover.

    scripts/third-party-licenses.py            rewrite debian/third-party-licenses.txt
    scripts/third-party-licenses.py --check    exit 1 if that file is not what it would write
"""

import json
import os
import subprocess
import sys

OUT = os.path.join(os.path.dirname(__file__), "..", "debian", "third-party-licenses.txt")
TARGET = "x86_64-unknown-linux-gnu"
PREFIXES = ("license", "licence", "copying", "notice")


def metadata():
    out = subprocess.run(
        ["cargo", "metadata", "--locked", "--format-version", "1", "--filter-platform", TARGET],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def shipped(meta):
    """The packages the release binary is built from, Encore excluded."""
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            kinds = [k["kind"] for k in dep["dep_kinds"]]
            if None in kinds:  # a normal dependency
                todo.append(dep["pkg"])
    seen.discard(root)
    packages = {p["id"]: p for p in meta["packages"]}
    return sorted((packages[i] for i in seen), key=lambda p: (p["name"], p["version"]))


def licence_texts(package):
    folder = os.path.dirname(package["manifest_path"])
    texts = []
    for name in sorted(os.listdir(folder)):
        if name.lower().startswith(PREFIXES) and os.path.isfile(os.path.join(folder, name)):
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as f:
                texts.append(f.read().strip())
    return texts


def render(packages):
    lines = [
        "Encore is built from these crates (Rust libraries). Each is listed with its licence",
        "expression, and every licence text they ship follows, each text once with the crates",
        "it covers. Written by scripts/third-party-licenses.py from Cargo.lock.",
        "",
    ]
    covered = {}
    for p in packages:
        label = f"{p['name']} {p['version']}"
        lines.append(f"{label}: {p.get('license') or 'see its licence file'}")
        texts = licence_texts(p)
        if not texts:
            texts = [f"(no licence file in the crate; its licence is {p.get('license')})"]
        for t in texts:
            covered.setdefault(t, []).append(label)
    for text, crates in covered.items():
        lines += ["", "=" * 78, "Used by: " + ", ".join(crates), "=" * 78, "", text]
    return "\n".join(lines) + "\n"


def main():
    text = render(shipped(metadata()))
    if "--check" in sys.argv:
        try:
            with open(OUT, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = ""
        if current != text:
            print(f"{OUT} is out of date: run scripts/third-party-licenses.py", file=sys.stderr)
            return 1
        print("third-party licences: up to date")
        return 0
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
