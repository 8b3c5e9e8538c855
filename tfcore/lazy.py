"""Names a package exports but loads only when first used (PEP 562 module `__getattr__`).

    __getattr__, __dir__ = lazy.exports(__name__, {"summary": "tfcore.inspect.layers", ...})

`from tfcore import inspect` then imports no TensorFlow, so `python -m
tfcore.inspect` can set up its process (tfcore.quiet) before TensorFlow starts.
`from tfcore.inspect import summary` and `inspect.summary` work as before: the
first use imports the defining module and keeps the value as an attribute.
(tfcore's own `__init__` does the same for its names, in a few lines of its own.)
"""

import importlib
import sys
import types


def exports(package, names):
    """(`__getattr__`, `__dir__`) for `package`: `names` maps a name to its defining module."""
    def __getattr__(name):
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            setattr(sys.modules[package], name, value)  # found once, then an ordinary attribute
            return value
        raise AttributeError("module %r has no attribute %r" % (package, name))

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(names))

    sys.modules[package].__class__ = _exporting(names)
    return __getattr__, __dir__


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
