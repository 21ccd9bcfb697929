"""The house's figures (issue 11): circles between parts, parts importing top-level modules, the
largest module and function, and the import contracts. Run: .venv/bin/python scripts/house_figures.py"""

from __future__ import annotations

import ast
import pathlib
import tomllib
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "credential_service"


def source_files() -> list[pathlib.Path]:
    return [p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts]


def imported_modules(path: pathlib.Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "credential_service":
                found |= {f"credential_service.{alias.name}" for alias in node.names}
            elif node.module.startswith("credential_service."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("credential_service.")}
    return found


def part_of(relative: pathlib.Path) -> str:
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def main() -> None:
    parts = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - {
        "migrations"
    }
    top_level = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    graph: dict[str, set[str]] = defaultdict(set)
    top_imports: list[str] = []
    functions: list[tuple[int, str]] = []
    modules: list[tuple[int, str]] = []
    for path in source_files():
        relative = path.relative_to(PACKAGE)
        source = part_of(relative)
        modules.append((len(path.read_text().splitlines()), str(relative)))
        for module in imported_modules(path):
            target = module.split(".")[1]
            if target == source:
                continue
            graph[source].add(target)
            if source in parts and target in top_level:
                top_imports.append(f"{relative} -> {module}")
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((size, f"{relative}:{node.lineno} {node.name}"))
    circles = _circles({p: graph[p] & parts for p in parts})
    print(f"circles between parts: {len(circles)}")
    for circle in circles:
        print("   ", " ↔ ".join(sorted(circle)))
    print(f"imports of top-level modules by parts: {len(top_imports)}")
    for line in sorted(top_imports):
        print("   ", line)
    modules.sort(reverse=True)
    functions.sort(reverse=True)
    print(
        f"largest module: {modules[0][0]} lines ({modules[0][1]}); modules over 600 lines: "
        f"{sum(1 for n, _ in modules if n > 600)}"
    )
    print(
        f"largest function: {functions[0][0]} lines ({functions[0][1]}); over 60 lines: "
        f"{sum(1 for n, _ in functions if n > 60)}; over 50: {sum(1 for n, _ in functions if n > 50)}"
    )
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    print(f"import contracts: {len(contracts)}")


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one part (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


if __name__ == "__main__":
    main()
