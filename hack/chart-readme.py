#!/usr/bin/env python3
"""Generates the chart README's values table from the `# --` comments in values.yaml.

    hack/chart-readme.py           # rewrite the table in chart/ecr-pullsecret-operator/README.md
    hack/chart-readme.py --check   # exit 1 when the README's table is stale (test/chart runs this)

A value is documented by a comment block starting with `# --` right above its key (continuation lines
start with `# `). The table lies between the `<!-- values-table:start -->` and `<!-- values-table:end -->`
markers; everything else in the README is left as it is.
"""

from __future__ import annotations

import json
import pathlib
import re
import sys

import yaml

CHART = pathlib.Path(__file__).resolve().parents[1] / "chart" / "ecr-pullsecret-operator"
START, END = "<!-- values-table:start -->", "<!-- values-table:end -->"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_]+):")


def documented(values_text: str) -> list[tuple[str, str]]:
    """(dotted key, description) for each key with a `# --` comment, in file order."""
    rows: list[tuple[str, str]] = []
    path: list[tuple[int, str]] = []
    comment: list[str] | None = None
    for line in values_text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            comment = [stripped[4:].strip()]
            continue
        if stripped.startswith("#"):
            if comment is not None:
                comment.append(stripped[1:].strip())
            continue
        match = KEY.match(line)
        if not match:
            if not stripped:
                comment = None
            continue
        indent = len(match["indent"])
        path = [(i, k) for i, k in path if i < indent] + [(indent, match["key"])]
        if comment is not None:
            rows.append((".".join(k for _, k in path), " ".join(comment)))
            comment = None
    return rows


def lookup(values: dict, dotted: str):
    value = values
    for part in dotted.split("."):
        value = value[part]
    return value


def type_name(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def table(values_text: str) -> str:
    values = yaml.safe_load(values_text)
    lines = ["| Key | Type | Default | Description |", "|-----|------|---------|-------------|"]
    for key, description in documented(values_text):
        value = lookup(values, key)
        default = "see values.yaml" if isinstance(value, (dict, list)) and value else json.dumps(value)
        lines.append(f"| `{key}` | {type_name(value)} | `{default}` | {description} |")
    return "\n".join(lines)


def render(readme: str, values_text: str) -> str:
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table(values_text)}\n{END}{after}"


def main() -> int:
    readme_path = CHART / "README.md"
    readme = readme_path.read_text()
    wanted = render(readme, (CHART / "values.yaml").read_text())
    if "--check" in sys.argv[1:]:
        if wanted != readme:
            print(f"{readme_path} values table is stale: run hack/chart-readme.py", file=sys.stderr)
            return 1
        return 0
    readme_path.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
