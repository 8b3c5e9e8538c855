"""The README's samples stay true: each is compared with what its command prints today.

When a test here fails, the code changed what the command prints: paste the
command's output into README.md (the message shows the new text).
"""

import pathlib
import re
import shlex

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_sample(section):
    """(command, sample) of a README section: its first ```bash line and the ``` block after it."""
    text = (ROOT / "README.md").read_text()
    start = text.index(section)
    match = re.compile(r"```bash\n(.*?)\n```\s*\n```\n(.*?)```", re.S).search(text, start)
    assert match, "README: no ```bash command followed by a ``` sample after %r" % section
    return match.group(1).strip(), match.group(2)


def _lines(text):
    """The sample's lines; the GraphDef's byte count is masked: control-flow branch functions
    are named with a process-wide counter, so the bytes depend on what ran before."""
    return [re.sub(r"(GraphDef: \d+ nodes), [\d,]+ bytes", r"\1, N bytes", line.rstrip())
            for line in text.strip("\n").splitlines()]


def test_readme_inspect_sample_is_what_the_command_prints(capsys):
    from tfcore.inspect.__main__ import main

    command, sample = readme_sample("## See the graph: `python -m tfcore.inspect`")
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "tfcore.inspect"], command
    assert not any(a.startswith("--picture") or a.startswith("--tensorboard") or "[" in a
                   for a in argv), ("the sample's command must be runnable as written and write "
                                    "no file: %r" % command)
    capsys.readouterr()
    assert main(argv[3:]) == 0
    printed = capsys.readouterr().out
    assert _lines(sample) == _lines(printed), (
        "README.md's sample of `%s` is stale; paste this:\n%s" % (command, printed.strip("\n")))
