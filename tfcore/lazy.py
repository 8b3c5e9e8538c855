"""Names a package exports but loads only when first used (PEP 562 module `__getattr__`).

    __getattr__, __dir__ = lazy.exports(__name__, {"summary": "tfcore.inspect.layers", ...})

`from tfcore import inspect` then imports no TensorFlow, so `python -m
tfcore.inspect` can set up its process (tfcore.quiet) before TensorFlow starts.
`from tfcore.inspect import summary` and `inspect.summary` work as before: the
first use imports the defining module and keeps the value as an attribute.
`submodules=` names submodules loaded the same way (`tfcore.losses` with no
`import tfcore.losses`). tfcore, tfcore.learn and tfcore.inspect all export
their names through this one function.

A type checker does not run `__getattr__`: a package whose names must keep
their types imports them under `if typing.TYPE_CHECKING:` (see tfcore/__init__.py).
"""

import sys
import types


def exports(package, names, submodules=()):
    """(`__getattr__`, `__dir__`) for `package`.

    `names` maps a name to the module that defines it; `submodules` lists the
    package's submodules that `package.name` imports on first use.
    """
    def __getattr__(name):
        if name in names:
            value = getattr(_load(names[name]), name)
        elif name in submodules:
            value = _load(package + "." + name)
        else:
            raise AttributeError("module %r has no attribute %r" % (package, name))
        setattr(sys.modules[package], name, value)  # found once, then an ordinary attribute
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(names) | set(submodules))

    sys.modules[package].__class__ = _exporting(names)
    return __getattr__, __dir__


def _load(module_name):
    """The module, imported through the `import` statement's own path (`__import__`).

    `importlib.import_module` would work too, but `python -X importtime` does not
    see what it imports, and the tests read that report to show what a command imports.
    """
    __import__(module_name)
    return sys.modules[module_name]


def _exporting(names):
    """A module class whose exported functions win over same-named submodules.

    Importing `tfcore.inspect.control_flow` (the module) makes Python set
    `tfcore.inspect.control_flow = <module>` on the package, which would hide the
    function of that name the package exports. An eager `from .control_flow
    import control_flow` in `__init__` used to set the function back; here the
    assignment itself is turned into the function.
    """
    class Package(types.ModuleType):
        def __setattr__(self, name, value):
            if name in names and isinstance(value, types.ModuleType) and value.__name__ == names[name]:
                value = getattr(value, name)
            super().__setattr__(name, value)

    return Package
