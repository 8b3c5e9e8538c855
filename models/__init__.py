"""The chapter's examples, one module each: `python -m models.<example>`.

tfcore is imported first so that its command-line filter of TensorFlow's
start-up banners (`tfcore.quiet`) is in place before an example imports TensorFlow.
"""

import tfcore  # noqa: F401
