"""The README and docs/ stay true to the repository: links resolve, named commands exist.

What is checked, in README.md and every docs/**/*.md:

* every relative link (inline `[text](target)` or reference `[label]: target`, outside code) points
  to a file or folder inside the repository, and its `#anchor`, if any, to a heading of that file;
* every `make <target>` written in code (inline code or a fenced block) is a target of the Makefile;
* every `manage.py <command>` (with or without `python`) is a command Django knows here;
* the README stays short.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_MAX_CHARS = 15_000

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(.+?)\1", re.DOTALL)
INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^[ ]{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
MAKE = re.compile(r"(?<![\w.-])make[ \t]+([A-Za-z_][\w-]*)")
MANAGE = re.compile(r"\bmanage\.py[ \t]+([A-Za-z_]\w*)")
MAKE_TARGET = re.compile(r"^([A-Za-z0-9_.-]+(?:[ \t]+[A-Za-z0-9_.-]+)*)[ \t]*::?(?!=)", re.MULTILINE)


def doc_files() -> list[Path]:
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def without_code(text: str) -> str:
    return INLINE_CODE.sub(" ", FENCE.sub("\n", text))


def code_only(text: str) -> str:
    fences = [m.group(0) for m in FENCE.finditer(text)]
    spans = [m.group(2) for m in INLINE_CODE.finditer(FENCE.sub("\n", text))]
    return "\n".join(fences + spans)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link reads as its text
    text = text.replace("`", "").replace("*", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for match in HEADING.finditer(FENCE.sub("\n", path.read_text(encoding="utf-8"))):
        base = slug(match.group(1))
        n = seen.get(base, 0)
        seen[base] = n + 1
        found.add(base if n == 0 else f"{base}-{n}")
    return found


def relative_links(path: Path) -> list[str]:
    prose = without_code(path.read_text(encoding="utf-8"))
    targets = INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.IGNORECASE)]


def link_problem(source: Path, target: str) -> str | None:
    file_part, _, anchor = target.partition("#")
    resolved = (source.parent / file_part).resolve() if file_part else source
    if not resolved.is_relative_to(ROOT):
        return "points outside the repository"
    if not resolved.exists():
        return "points to nothing"
    if anchor:
        if resolved.suffix != ".md" or resolved.is_dir():
            return "has an anchor into something that is not a Markdown file"
        if anchor not in anchors(resolved):
            return f"names no heading of {resolved.relative_to(ROOT)}"
    return None


def makefile_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set()
    for match in MAKE_TARGET.finditer(text):
        targets.update(name for name in match.group(1).split() if not name.startswith("."))
    return targets


def test_every_relative_link_in_the_docs_resolves():
    problems, checked = [], 0
    for path in doc_files():
        for target in relative_links(path):
            checked += 1
            problem = link_problem(path, target)
            if problem:
                problems.append(f"{path.relative_to(ROOT)}: link {target!r} {problem}")
    assert checked, "no relative link found at all: the link pattern no longer reads the docs"
    assert not problems, "\n".join(problems)


def test_every_make_target_named_in_the_docs_exists():
    targets = makefile_targets()
    problems, named = [], set()
    for path in doc_files():
        for target in MAKE.findall(code_only(path.read_text(encoding="utf-8"))):
            named.add(target)
            if target not in targets:
                problems.append(f"{path.relative_to(ROOT)}: `make {target}` is not a Makefile target")
    assert {"demo", "test"} <= named, "the docs no longer name `make demo` and `make test`"
    assert not problems, "\n".join(problems)


def test_every_management_command_named_in_the_docs_exists():
    commands = get_commands()
    problems, named = [], set()
    for path in doc_files():
        for command in MANAGE.findall(path.read_text(encoding="utf-8")):
            named.add(command)
            if command not in commands:
                problems.append(f"{path.relative_to(ROOT)}: `manage.py {command}` is no command here")
    assert named, "no `manage.py <command>` found at all: the pattern no longer reads the docs"
    assert not problems, "\n".join(problems)


def test_the_readme_stays_short():
    size = len(README.read_text(encoding="utf-8"))
    assert size <= README_MAX_CHARS, (
        f"README.md has {size} characters (at most {README_MAX_CHARS}): move detail into docs/"
    )


def test_the_anchor_rule_matches_github():
    assert slug("gunicorn's access log") == "gunicorns-access-log"
    assert slug("The `tokens` job, and [links](x.md)") == "the-tokens-job-and-links"
    assert slug("Health and metrics") == "health-and-metrics"
