"""The docs stand on their own (issue 24): README.md and docs/*.md name only files the repository
holds, and cite no document it does not contain.

- A Markdown link ``[text](target)`` to a file (not a URL, not an anchor of the same page) must
  resolve, from the page's folder, to a file or folder of the repository.
- A backticked path must exist: one that starts at the repository's root (its first part is a
  top-level entry: ``events/…``, ``functions/…``, ``app.py``), one that climbs out of the page's
  folder (``../…``), and a file name with an extension (``two-endpoints.json``,
  ``test_failure_matrix.py``, ``scenarios/*.json``) found as the end of some file's path, and a
  folder (``runner/iam/``) as the end of some folder's. ``*``,
  ``<name>`` and ``…`` stand for any name, and so does ``foo``, the new endpoint type of
  docs/adding-an-endpoint-type.md (whose files a reader makes). What the tools make when they run (``.venv/``,
  ``node_modules/``, ``cdk.out/``, ``.endpointctl-cache/``) is not the repository's, and is named
  freely.
- No "CONTRACT" and no section sign followed by a number (``§3``): a reader has no such document;
  what it said, the pages say themselves.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from endpointctl import project_root

ROOT = project_root()
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: What the project's tools make when they run: named in the docs, never in the repository.
MADE_AT_RUN_TIME = (".venv", "node_modules", "cdk.out", ".endpointctl-cache", "cdk.context.json")
#: File extensions that make a backticked word a file name.
EXTENSIONS = ("py", "json", "md", "mjs", "js", "txt", "toml", "yml", "yaml", "sh", "cfg", "ini", "lock")

_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`\n]+)`")
_PATH = re.compile(r"^(\.{1,2}/)?[\w.*<>…-]+(/[\w.*<>…-]+)*/?$")
_FENCE = re.compile(r"^```.*?^```", re.M | re.S)


@cache
def files() -> tuple[str, ...]:
    """The repository's files (tracked, or new and not ignored), as paths from its root."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: what is on disk
        skip = {".git", "__pycache__", *MADE_AT_RUN_TIME}
        listed = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(ROOT).parts) and ".egg-info" not in str(p)
        ]
    return tuple(path for path in listed if (ROOT / path).exists())


@cache
def folders() -> frozenset[str]:
    return frozenset(str(parent) for path in files() for parent in Path(path).parents if str(parent) != ".")


def _pattern(path: str) -> str:
    """``events/<type>-create.json`` → ``events/*-create.json``: a placeholder stands for a name
    (``foo``: the example type of a new endpoint type's files)."""
    return re.sub(r"<[^>]*>|…|(?<![A-Za-z])foo(?![A-Za-z])", "*", path.rstrip("/"))


def exists(path: str) -> bool:
    """``path`` (from the root) is a file or folder of the repository, placeholders matching."""
    wanted = _pattern(path)
    return any(fnmatch.fnmatchcase(known, wanted) for known in (*files(), *folders()))


def ends_some_path(path: str) -> bool:
    """Some file's path ends with ``path`` (a name, or the last parts of a path)."""
    wanted = _pattern(path)
    return any(
        fnmatch.fnmatchcase(known, wanted) or fnmatch.fnmatchcase(known, f"*/{wanted}") for known in files()
    )


def ends_some_folder(path: str) -> bool:
    """Some folder's path ends with ``path`` (``runner/iam/``, ``providers/<type>/``)."""
    wanted = _pattern(path)
    return any(
        fnmatch.fnmatchcase(known, wanted) or fnmatch.fnmatchcase(known, f"*/{wanted}") for known in folders()
    )


def _top_level() -> set[str]:
    return {Path(path).parts[0] for path in files()}


def missing_links(page: Path, text: str) -> list[str]:
    found = []
    for target in _LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a URL (https:, mailto:) or an anchor of this page
        resolved = (page.parent / target.split("#", 1)[0]).resolve()
        inside = resolved.is_relative_to(ROOT)
        if not inside or not exists(str(resolved.relative_to(ROOT))):
            found.append(f"link ({target})")
    return found


def missing_paths(page: Path, text: str) -> list[str]:
    words = [code.strip() for code in _CODE.findall(_FENCE.sub("", text))]
    paths = [
        w for w in words if _PATH.match(w) and not w.startswith(MADE_AT_RUN_TIME) and w not in ("..", ".")
    ]
    return [f"`{word}`" for word in paths if not _there(page, word)]


def _there(page: Path, word: str) -> bool:
    """Whether the backticked ``word`` names something the repository holds (or names no path)."""
    if word.startswith(("./", "../")):
        resolved = (page.parent / word).resolve()
        return resolved.is_relative_to(ROOT) and exists(str(resolved.relative_to(ROOT)))
    if word.split("/", 1)[0] in _top_level():
        return exists(word)
    if re.search(rf"\.({'|'.join(EXTENSIONS)})$", word):
        return ends_some_path(word)
    if word.endswith("/"):
        return ends_some_folder(word)
    return True  # not a path: `endpoint/variant`, `ml.g5.*`


def citations(text: str) -> list[str]:
    """Citations of a document the repository does not hold: "CONTRACT", ``§3``."""
    return [match.group(0) for match in re.finditer(r"\bCONTRACT\b[^\n]{0,20}|§\s*\d+", text)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_a_page_names_only_files_the_repository_holds(page: Path) -> None:
    text = page.read_text()
    problems = missing_links(page, text) + missing_paths(page, text) + citations(text)
    assert problems == [], f"{page.relative_to(ROOT)} names what the repository does not hold: {problems}"


# -- the checks catch what they are for -----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "The shapes are the public contract (CONTRACT §3).",
        "See the contract, §1.",
        "[the contract](../shared/CONTRACT.md)",
        "[a page](docs/no-such-page.md)",
        "The seeds (`../shared/seeds/sagemaker-create-endpoint-api.txt`).",
        "`events/no-such-sample.json` is a sample.",
        "`no-such-file.json` is a sample.",
        "`endpointctl/no_such_module.py` does it.",
    ],
    ids=[
        "CONTRACT",
        "section-sign",
        "link-outside",
        "link-missing",
        "path-outside",
        "path-missing",
        "name",
        "module",
    ],
)
def test_a_reference_to_what_is_not_there_is_found(text: str) -> None:
    page = ROOT / "README.md"
    assert missing_links(page, text) + missing_paths(page, text) + citations(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "[local runner](docs/local-runner.md#scenarios) and [AWS](https://aws.amazon.com/)",
        "`events/put-events/*.json`, `events/<type>-create.json`, `two-endpoints.json`",
        "`endpointctl/runner/iam/`, `app.py`, `scenarios/sagemaker-failed.json`",
        "`.endpointctl-cache/assembly-*/`, `.venv/bin/activate`, `cdk.out/`",
        "`endpoint/variant`, `ml.g5.*`, `arn:aws:sagemaker:…`, `python app.py`, `sagemaker:CreateEndpoint`",
    ],
)
def test_what_is_there_or_made_at_run_time_passes(text: str) -> None:
    page = ROOT / "README.md"
    assert missing_links(page, text) + missing_paths(page, text) + citations(text) == []


def test_the_code_cites_the_project_s_docs_not_a_document_it_lacks() -> None:
    """Docstrings and comments point at the pages (docs/requests.md, docs/local-runner.md, …),
    never at "CONTRACT §n": a reader of the code has no such document either."""
    cited = [
        f"{path}:{number}"
        for path in files()
        if path.endswith(".py") and path != "tests/infra/test_docs_references.py"
        for number, line in enumerate((ROOT / path).read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"CONTRACT\b(?!_)|§\d", line)
    ]
    assert not cited, cited
    for page in ("docs/requests.md", "docs/local-runner.md", "docs/updates-and-expiry.md"):
        assert exists(page)
