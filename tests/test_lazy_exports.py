"""tfcore/lazy.py: packages export names loaded on first use, in one form.

tfcore, tfcore.learn and tfcore.inspect list their names without importing TensorFlow;
a submodule imported later does not hide the function of the same name.
"""

import re
import subprocess
import sys
import textwrap
import types

import pytest

# In a fresh process: what `import tfcore` and `import tfcore.learn` offer, before any use.
FRESH = textwrap.dedent("""
    import json, re, sys
    import tfcore, tfcore.learn
    listed = sorted(set(re.findall(r"\\btfcore\\.(\\w+)", tfcore.__doc__)))
    learn_listed = sorted(set(re.findall(r"^    (\\w+)\\.py ", tfcore.learn.__doc__, re.M))
                          | set(re.findall(r"`(\\w+)`", tfcore.learn.__doc__)))
    print(json.dumps({
        "listed": listed, "all": tfcore.__all__, "dir": dir(tfcore),
        "learn_listed": learn_listed, "learn_all": tfcore.learn.__all__,
        "learn_dir": dir(tfcore.learn),
        "tensorflow": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")}))
""")


@pytest.fixture(scope="module")
def fresh():
    import json

    done = subprocess.run([sys.executable, "-c", FRESH], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_tfcore_and_learn_imports_no_tensorflow(fresh):
    assert fresh["tensorflow"] == []


def test_all_and_dir_hold_every_name_the_docstrings_list(fresh):
    assert len(fresh["listed"]) >= 20 and "recompute" in fresh["listed"]  # the parse found the list
    assert set(fresh["listed"]) <= set(fresh["all"]) & set(fresh["dir"])
    assert {"course", "checker", "check", "CheckResult"} <= set(fresh["learn_listed"])
    assert set(fresh["learn_listed"]) <= set(fresh["learn_all"]) & set(fresh["learn_dir"])


def test_every_name_in_all_resolves():
    import tfcore
    import tfcore.learn

    for package in (tfcore, tfcore.learn):
        for name in package.__all__:
            assert getattr(package, name) is not None, (package.__name__, name)
    assert isinstance(tfcore.losses, types.ModuleType) and callable(tfcore.session)
    with pytest.raises(AttributeError, match="module 'tfcore' has no attribute 'sesion'"):
        tfcore.sesion


def _package(tmp_path, monkeypatch):
    """A package `lazypkg` exporting the function `thing` of its submodule `thing`, and `helpers`."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        "from tfcore import lazy\n"
        "__getattr__, __dir__ = lazy.exports(__name__, {'thing': 'lazypkg.thing'},\n"
        "                                    submodules=('helpers',))\n")
    (root / "thing.py").write_text("def thing():\n    return 'the function'\n")
    (root / "helpers.py").write_text("VALUE = 7\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazypkg", "lazypkg.thing", "lazypkg.helpers"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import lazypkg
    return lazypkg


def test_a_submodule_imported_later_does_not_hide_the_function_it_defines(tmp_path, monkeypatch):
    package = _package(tmp_path, monkeypatch)
    assert "thing" in dir(package) and "lazypkg.thing" not in sys.modules  # listed, not loaded
    import lazypkg.thing  # noqa: F401  (Python then sets lazypkg.thing = <module>)

    assert package.thing() == "the function"


def test_submodules_load_on_first_use_and_unknown_names_are_attribute_errors(tmp_path, monkeypatch):
    package = _package(tmp_path, monkeypatch)
    assert "helpers" in dir(package) and "lazypkg.helpers" not in sys.modules
    assert package.helpers.VALUE == 7 and package.helpers is sys.modules["lazypkg.helpers"]
    with pytest.raises(AttributeError, match=re.escape("module 'lazypkg' has no attribute 'nothing'")):
        package.nothing
