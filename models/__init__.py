"""The chapter's examples, one module each: `python -m models.<example>`.

Every module here is also a command, and `python -m models.mlp` imports
TensorFlow (at the top of models/mlp.py) before the command's main() runs. So
the command's set-up starts here, in the package that is imported first:
when, and only when, this process *is* `python -m models...`, standard error
is filtered of TensorFlow's start-up banners and crashes print their stack
(`tfcore.quiet`). Importing `models` from your own program or a test changes
nothing; `import tfcore` never changes anything.
"""

from tfcore import quiet

quiet.when_command("models")
