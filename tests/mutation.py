"""``python -m tests.mutation [module ...]``: how many mutants of the core modules the fast
tests kill.

A small AST mutator, no dependency: each mutant changes one thing in one module (a
comparison flipped, a condition negated, ``and``/``or`` swapped, a number, flag or key
changed, ``+``/``-`` swapped, a returned value replaced by None), and the module's fast
tests run against it in a copy of the repository. A mutant the tests do not fail on
"survived". Prints the score per module and lists the survivors (line and change) so a
test can be written that a user-visible mistake would fail. Not run by CI: it takes minutes
(every mutant is a pytest run).

  python -m tests.mutation                      # every target module
  python -m tests.mutation oura_addon/oura/session.py
  python -m tests.mutation --limit 40 --seed 1  # a sample of 40 mutants per module
  python -m tests.mutation oura_addon/store/files.py --only 12,40   # re-run two survivors

A line that ends in ``# pragma: no mutate`` gives no mutant: for the few changes no user
can tell apart (a read-chunk size, a ``repr=False``), each with its reason beside it.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Module -> the fast tests that stand for it (tests/unit: in-process, seconds).
TARGETS: dict[str, tuple[str, ...]] = {
    "oura_addon/store/files.py": ("tests/unit/store",),
    "oura_addon/oura/session.py": (
        "tests/unit/store/test_token_store.py",
        "tests/unit/store/test_absurd_tokens.py",
        "tests/unit/store/test_session_mutants.py",
    ),
    "oura_addon/scheduling/schedule.py": ("tests/unit/scheduling",),
    "oura_addon/catalogue/table.py": ("tests/unit/catalogue",),
    "oura_addon/catalogue/derive.py": ("tests/unit/catalogue",),
    "oura_addon/catalogue/build.py": ("tests/unit/catalogue",),
    "oura_addon/catalogue/__init__.py": ("tests/unit/catalogue",),
    "oura_addon/homeassistant/discovery.py": ("tests/unit/homeassistant",),
    "oura_addon/homeassistant/statistics.py": ("tests/unit/homeassistant",),
}

_FLIPPED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
_SWAPPED: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
}
# Calls whose text arguments are log lines or translatable sentences, not behaviour.
_TEXT_CALLS = frozenset(
    {"debug", "info", "warning", "error", "exception", "log", "_l", "getLogger"}
)


@dataclass(frozen=True)
class Mutant:
    module: str
    index: int
    line: int
    change: str


class _Mutator(ast.NodeTransformer):
    """Counts mutation points in a fixed order; with ``target`` set, applies that one."""

    def __init__(
        self, target: int | None = None, quiet_lines: frozenset[int] = frozenset()
    ) -> None:
        self.target = target
        self.quiet_lines = quiet_lines
        self.points: list[tuple[int, str]] = []

    def _point(self, node: ast.AST, change: str) -> bool:
        line = getattr(node, "lineno", 0)
        if line in self.quiet_lines:
            return False
        self.points.append((line, change))
        return len(self.points) - 1 == self.target

    # Not behaviour: docstrings, annotations, log lines, sentences, TYPE_CHECKING imports.
    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node
        return self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return node  # the names ``import *`` takes: no behaviour of the add-on
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None if node.returns is None else node.returns
        for field in ("body", "decorator_list"):
            setattr(node, field, [self.visit(n) for n in getattr(node, field)])
        node.args.defaults = [self.visit(d) for d in node.args.defaults]
        node.args.kw_defaults = [d if d is None else self.visit(d) for d in node.args.kw_defaults]
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _TEXT_CALLS:
            return node
        return self.generic_visit(node)

    def visit_If(self, node: ast.If) -> ast.AST:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return node
        self.generic_visit(node)
        if self._point(node, "condition negated"):
            node.test = ast.UnaryOp(ast.Not(), node.test)
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        self.generic_visit(node)
        if self._point(node, "loop condition negated"):
            node.test = ast.UnaryOp(ast.Not(), node.test)
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        self.generic_visit(node)
        if self._point(node, "conditional expression negated"):
            node.test = ast.UnaryOp(ast.Not(), node.test)
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._point(node, "'not' removed"):
            return node.operand
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        swapped = "or" if isinstance(node.op, ast.And) else "and"
        if self._point(node, f"boolean operator -> {swapped}"):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        for position, op in enumerate(node.ops):
            flipped = _FLIPPED.get(type(op))
            if flipped and self._point(node, f"{type(op).__name__} -> {flipped.__name__}"):
                node.ops[position] = flipped()
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        swapped = _SWAPPED.get(type(node.op))
        if swapped and self._point(node, f"{type(node.op).__name__} -> {swapped.__name__}"):
            node.op = swapped()
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        self.generic_visit(node)
        swapped = _SWAPPED.get(type(node.op))
        if swapped and self._point(node, f"{type(node.op).__name__}= -> {swapped.__name__}="):
            node.op = swapped()
        return node

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        value = node.value
        if value is None or (isinstance(value, ast.Constant) and value.value is None):
            return node
        if self._point(node, "returns None"):
            node.value = ast.Constant(None)
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, bool):
            if self._point(node, f"{value} -> {not value}"):
                return ast.Constant(not value)
        elif isinstance(value, int | float):
            if self._point(node, f"{value!r} -> {value + 1!r}"):
                return ast.Constant(value + 1)
        elif isinstance(value, str) and value and self._point(node, f"{value[:30]!r} changed"):
            return ast.Constant(value + "_mutant")
        return node


_NO_MUTATE = "# pragma: no mutate"


def _quiet_lines(source: str) -> frozenset[int]:
    return frozenset(
        number
        for number, text in enumerate(source.splitlines(), start=1)
        if text.rstrip().endswith(_NO_MUTATE)
    )


def mutants(module: str, root: Path = REPO) -> list[Mutant]:
    source = (root / module).read_text(encoding="utf-8")
    counter = _Mutator(quiet_lines=_quiet_lines(source))
    counter.visit(ast.parse(source))
    return [Mutant(module, i, line, change) for i, (line, change) in enumerate(counter.points)]


def mutated_source(mutant: Mutant, root: Path = REPO) -> str:
    source = (root / mutant.module).read_text(encoding="utf-8")
    mutator = _Mutator(mutant.index, quiet_lines=_quiet_lines(source))
    mutated = mutator.visit(copy.deepcopy(ast.parse(source)))
    return ast.unparse(ast.fix_missing_locations(mutated))


class Workspace:
    """A copy of the repository (package and tests) to mutate; ../shared linked beside it.

    The copy is the run's only source: editing the repository meanwhile changes nothing.
    """

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="oura-mutation-"))
        self.repo = self.root / "repo"
        self.pristine = self.root / "pristine"
        ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", "test-artifacts", "*.pyc")
        shutil.copytree(REPO, self.repo, ignore=ignore)
        shutil.copytree(REPO / "oura_addon", self.pristine / "oura_addon", ignore=ignore)
        shared = REPO.parent / "shared"
        if shared.is_dir():
            (self.root / "shared").symlink_to(shared)

    def run_tests(self, tests: tuple[str, ...], timeout: float) -> tuple[bool, float]:
        """(passed, seconds) of the fast tests against the copy as it is now."""
        env = {**os.environ, "PYTHONPATH": str(self.repo), "PYTHONDONTWRITEBYTECODE": "1"}
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
            *tests,
        ]
        started = time.monotonic()
        try:
            done = subprocess.run(
                command, cwd=self.repo, env=env, capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return False, time.monotonic() - started  # a mutant that hangs is caught too
        return done.returncode == 0, time.monotonic() - started

    def write(self, module: str, source: str) -> None:
        (self.repo / module).write_text(source, encoding="utf-8")

    def restore(self, module: str) -> None:
        shutil.copyfile(self.pristine / module, self.repo / module)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def run_module(
    workspace: Workspace,
    module: str,
    limit: int | None,
    rng: random.Random,
    only: frozenset[int] | None = None,
) -> Iterator[tuple[Mutant, bool]]:
    tests = tuple(t for t in TARGETS[module] if (workspace.repo / t).exists())
    passed, baseline = workspace.run_tests(tests, timeout=600)
    if not passed:
        raise RuntimeError(f"{module}: its tests fail without any mutant: {' '.join(tests)}")
    chosen = mutants(module, workspace.pristine)
    if only is not None:
        chosen = [m for m in chosen if m.index in only]
    if limit is not None and len(chosen) > limit:
        chosen = sorted(rng.sample(chosen, limit), key=lambda m: m.index)
    for mutant in chosen:
        try:
            workspace.write(module, mutated_source(mutant, workspace.pristine))
            survived, _ = workspace.run_tests(tests, timeout=max(60.0, 5 * baseline))
        finally:
            workspace.restore(module)
        yield mutant, survived


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__)
    parser.add_argument("modules", nargs="*", help="paths as in TARGETS (default: all)")
    parser.add_argument("--limit", type=int, help="at most this many mutants per module")
    parser.add_argument("--seed", type=int, default=0, help="which sample --limit takes")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument(
        "--only", help="comma-separated mutant numbers (as --list shows them) of one module"
    )
    args = parser.parse_args(argv)
    only = None
    if args.only:
        if len(args.modules) != 1:
            parser.error("--only needs exactly one module")
        try:
            only = frozenset(int(n) for n in args.only.split(","))
        except ValueError:
            parser.error(f"--only takes numbers like 3,17, not {args.only!r}")
    modules = args.modules or list(TARGETS)
    unknown = [m for m in modules if m not in TARGETS]
    if unknown:
        parser.error(f"not a target: {', '.join(unknown)} (targets: {', '.join(TARGETS)})")
    if args.list:
        for module in modules:
            for mutant in mutants(module):
                print(f"{module}:{mutant.line}: #{mutant.index} {mutant.change}")
        return 0
    rng = random.Random(args.seed)
    workspace = Workspace()
    scores: list[tuple[str, int, int]] = []
    try:
        for module in modules:
            killed = total = 0
            try:
                for mutant, survived in run_module(workspace, module, args.limit, rng, only):
                    total += 1
                    killed += not survived
                    if survived:
                        print(
                            f"  survived {module}:{mutant.line}: #{mutant.index} {mutant.change}",
                            flush=True,
                        )
            except RuntimeError as err:
                print(err, flush=True)
                continue
            scores.append((module, killed, total))
            print(f"{module}: {killed}/{total} killed ({_percent(killed, total)})", flush=True)
    finally:
        workspace.close()
    print("\nmutation score per module")
    for module, killed, total in scores:
        print(f"  {module:45} {killed:4}/{total:<4} {_percent(killed, total):>6}")
    return 0


def _percent(killed: int, total: int) -> str:
    return f"{100 * killed / total:.0f}%" if total else "n/a"


if __name__ == "__main__":
    sys.exit(main())
