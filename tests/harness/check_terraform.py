"""Static checks of a generated terraform/ folder with python-hcl2.

Usage: check_terraform.py TERRAFORM_DIR. Prints one JSON object: the
counts (files, resources, variables, references), the parse errors, the
duplicate addresses (resource `type.name`, `var.name`, `local.name`
declared twice across the folder) and the dangling references (an
`aws_*.name`, `var.name` or `local.name` used inside an interpolation
that nothing declares).
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

import hcl2

REF = re.compile(r"\b(aws_[a-z0-9_]+|var|local)\.([A-Za-z_][A-Za-z0-9_-]*)")


def interpolations(text):
    """The `${...}` regions of a parsed value (nested braces balanced),
    not the escaped `$${`."""
    i = 0
    while True:
        i = text.find("${", i)
        if i < 0:
            return
        if i > 0 and text[i - 1] == "$":
            i += 2
            continue
        depth, j = 0, i + 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        yield text[i + 2 : j]
        i = j


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def main():
    root = Path(sys.argv[1])
    declared = Counter()
    refs = []
    errors = []
    files = sorted(root.rglob("*.tf"))
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                doc = hcl2.load(fh)
        except Exception as e:  # noqa: BLE001 - report every parse failure
            errors.append(f"{f.relative_to(root)}: {str(e)[:300]}")
            continue
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                for name in named:
                    declared[f"{rtype}.{name}"] += 1
        for block in doc.get("data", []):
            for rtype, named in block.items():
                for name in named:
                    declared[f"data.{rtype}.{name}"] += 1
        for block in doc.get("variable", []):
            for name in block:
                declared[f"var.{name}"] += 1
        for block in doc.get("locals", []):
            for name in block:
                if not name.startswith("__"):
                    declared[f"local.{name}"] += 1
        for s in strings({k: v for k, v in doc.items() if k != "variable"}):
            for expr in interpolations(s):
                for m in REF.finditer(expr):
                    refs.append((str(f.relative_to(root)), f"{m.group(1)}.{m.group(2)}"))
    dangling = sorted({f"{f}: {r}" for f, r in refs if r not in declared})
    duplicates = sorted(f"{a} x{n}" for a, n in declared.items() if n > 1)
    print(
        json.dumps(
            {
                "files": len(files),
                "resources": sum(
                    n for a, n in declared.items() if not a.startswith(("var.", "local."))
                ),
                "variables": sum(n for a, n in declared.items() if a.startswith("var.")),
                "references": len(refs),
                "parse_errors": errors,
                "duplicates": duplicates,
                "dangling": dangling,
            }
        )
    )


if __name__ == "__main__":
    main()
