"""The public API's type hints: present on every public function, and checked by mypy.

setup.cfg's [mypy] section lists the checked modules and pins nothing else: the mypy
version is pinned in the [test] extra, so the same checker runs here and in CI.
"""

import ast
import configparser
import glob
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def checked_files():
    """The .py files setup.cfg's [mypy] `files` names (folders and globs expanded)."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    files = []
    for entry in config["mypy"]["files"].replace(",", " ").split():
        for match in sorted(glob.glob(str(ROOT / entry))):
            path = pathlib.Path(match)
            files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


def unannotated(tree):
    """'Class.function' for each public function or method missing a parameter or return hint.

    Public means: no leading underscore, in a public class, or `__init__`/`__call__`
    (how a class is constructed and called is part of its API). `self`/`cls` need none.
    """
    found = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                visit(child, prefix + child.name + ".")
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if child.name.startswith("_") and child.name not in ("__init__", "__call__"):
                    continue
                a = child.args
                params = a.posonlyargs + a.args + a.kwonlyargs + [p for p in (a.vararg, a.kwarg) if p]
                missing = [p.arg for p in params
                           if p.annotation is None and p.arg not in ("self", "cls")]
                if child.returns is None:
                    missing.append("return")
                if missing:
                    found.append(f"{prefix}{child.name} ({', '.join(missing)})")
    visit(tree, "")
    return found


def test_the_config_names_the_public_api():
    names = {str(p.relative_to(ROOT)) for p in checked_files()}
    for required in ("tfcore/graph.py", "tfcore/module.py", "tfcore/gradcheck.py",
                     "tfcore/callbacks/base.py", "tfcore/export.py", "tfcore/train.py",
                     "tfcore/learn/course.py"):
        assert required in names


# Checked by mypy, but their hints are being written on the `trainsplit` branch (issue 25,
# item 5), which splits these files: the lead drops this line when that branch is merged.
NOT_YET_ANNOTATED: set = set()  # every checked file is annotated


@pytest.mark.parametrize("path", [p for p in checked_files()
                                  if str(p.relative_to(ROOT)) not in NOT_YET_ANNOTATED],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_public_function_is_annotated(path):
    missing = unannotated(ast.parse(path.read_text(), str(path)))
    assert not missing, f"{path.relative_to(ROOT)}: no type hints on {missing}"


def test_the_unannotated_finder_finds_what_it_should():
    # The check above must be able to fail: a public function missing one hint is named,
    # private helpers are not, and a fully annotated method passes.
    tree = ast.parse("def f(x: int, y): pass\n"
                     "def _g(x): pass\n"
                     "class C:\n"
                     "    def __init__(self, a: int) -> None: pass\n"
                     "    def m(self, *args: int): pass\n")
    assert unannotated(tree) == ["f (y, return)", "C.m (return)"]


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    """Run `python -m mypy ARGS` from the checkout's root with setup.cfg's settings.

    One fresh cache for this file's runs: a stale one could hide an error, the checkout
    stays clean, and the second run reuses what the first learned about tfcore.
    """
    cache = tmp_path_factory.mktemp("mypy-cache")

    def run(*args):
        result = subprocess.run([sys.executable, "-m", "mypy", "--config-file", "setup.cfg",
                                 "--cache-dir", str(cache), *args],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        # No skip when mypy is missing: it is pinned in setup.cfg's [test] extra, which CI installs.
        assert "No module named mypy" not in result.stderr, "pip install -e '.[test]' (it pins mypy)"
        return result
    return run


def test_mypy_passes(mypy):
    result = mypy()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_users_type_checker_reads_the_hints(mypy, tmp_path):
    # What the hints are for: a user's wrong call is caught before it runs. (py.typed,
    # shipped in the wheel, is what lets a checker read them from an installed tfcore.)
    user = tmp_path / "user_code.py"
    user.write_text("from tfcore import graph, gradcheck\n"
                    "from tfcore.callbacks import EarlyStopping\n"
                    "graph.new_graph(seed='seven')\n"
                    "EarlyStopping(patience=3, mode=None)\n"
                    "devices: list[str] = graph.available_devices()\n"
                    "ok: bool = gradcheck.check_gradients(lambda x: x, {'x': [1.0]}).ok\n"
                    # names tfcore exports lazily (tfcore/lazy.py) keep their types too
                    "import tfcore\n"
                    "tfcore.new_graph(seed='eight')\n")
    result = mypy(str(user))
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["3", "4", "8"], result.stdout
    assert '"new_graph" has incompatible type "str"' in errors[0]
    assert '"EarlyStopping" has incompatible type "None"' in errors[1]
    assert '"new_graph" has incompatible type "str"' in errors[2]
