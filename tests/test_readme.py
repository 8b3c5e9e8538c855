"""The README and the docs stay true: samples equal what their commands print, links resolve.

When a sample test fails, the code changed what the command prints: paste the
command's output into the page the message names (it shows the new text).
"""

import pathlib
import re
import shlex

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def readme_sample(section, page="README.md"):
    """(command, sample) of a page's section: its first ```bash line and the ``` block after it."""
    text = (ROOT / page).read_text()
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

    command, sample = readme_sample("# See the graph: `python -m tfcore.inspect`", "docs/inspect.md")
    argv = shlex.split(command)
    assert argv[:3] == ["python", "-m", "tfcore.inspect"], command
    assert not any(a.startswith("--picture") or a.startswith("--tensorboard") or "[" in a
                   for a in argv), ("the sample's command must be runnable as written and write "
                                    "no file: %r" % command)
    capsys.readouterr()
    assert main(argv[3:]) == 0
    printed = capsys.readouterr().out
    assert _lines(sample) == _lines(printed), (
        "docs/inspect.md's sample of `%s` is stale; paste this:\n%s" % (command, printed.strip("\n")))


def _pages():
    """README.md, every Markdown page under docs/, and the course's chapters."""
    pages = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
    return pages + sorted((ROOT / "tfcore" / "learn" / "chapters").glob("*.md"))


def _anchors(path):
    """The anchors GitHub makes for a page's headings: lower case, punctuation dropped, spaces to -."""
    slugs = set()
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return slugs


def test_the_readme_is_a_front_door_of_150_to_250_lines():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert 150 <= len(lines) <= 250, "README.md has %d lines; details belong in docs/" % len(lines)


@pytest.mark.parametrize("page", _pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # code is not links,
    text = re.sub(r"`[^`\n]*`", "", text)  # nor is an inline code span
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'<img src="([^"]+)"', text)
    broken = []
    for target in targets:
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto: are not checked offline
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        if not linked.exists():
            broken.append("%s (no such file)" % target)
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append("%s (no heading makes #%s)" % (target, anchor))
    assert not broken, "%s: broken links: %s" % (page.relative_to(ROOT), ", ".join(broken))
