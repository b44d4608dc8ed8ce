"""The documentation against the tree: README.md stays short and shows the command CI runs,
every relative link in README.md and docs/*.md resolves (a ``#anchor`` to a heading of its
target), every environment variable the code reads is documented in
docs/configuration.md, and no project document mentions a tracker issue number (the docs
are reference, arranged by topic, not a history).
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
CI_ENTRY = ROOT / ".ci" / "run"

README_MAX_CHARS = 10_000

SKIPPED_DIRS = {"tests", "node_modules", "__pycache__", "var"}
"""Directories (besides hidden ones and virtual environments) whose code is not scanned."""

_FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`]+`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


_ISSUE_REFERENCE = re.compile(r"\bissues?\s*#?\s*\d+|(?<![\w/#&])#\d+\b(?![-\w])", re.I)
"""A tracker reference: "issue 26", "issues 23–25", "Issue #4", "#27". Not an anchor
(``#5-scaling-knobs``), another project's issue (``containers/buildah#5501``, an
``…/issues/683`` URL) or an HTML entity (``&#8594;``)."""


def markdown_files() -> list[Path]:
    """README.md and every docs/*.md."""
    return [README, *sorted(DOCS.glob("*.md"))]


def project_files(pattern: str, root: Path = ROOT) -> list[Path]:
    """Every file of the project matching ``pattern`` (``*.py``, ``*.md``) outside tests,
    virtual environments and hidden dirs."""
    found = []
    for path in sorted(root.rglob(pattern)):
        parts = path.relative_to(root).parts[:-1]
        if any(p.startswith(".") or p.startswith("venv") or p in SKIPPED_DIRS for p in parts):
            continue
        found.append(path)
    return found


def _prose(text: str) -> str:
    """Markdown without fenced blocks and inline code, where link syntax is not a link."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: link text kept, lower case, punctuation
    dropped (``_`` and ``-`` stay), spaces become hyphens.

    >>> slug("4. Incident triage by run_id")
    '4-incident-triage-by-run_id'
    """
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors of a markdown file's headings (repeats get ``-1``, ``-2``… as on GitHub)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def relative_links(path: Path) -> list[str]:
    """The link and image targets of a markdown file that are not URLs."""
    targets = _LINK.findall(_prose(path.read_text(encoding="utf-8")))
    return [target for target in targets if not _SCHEME.match(target)]


def broken_links(path: Path) -> list[str]:
    """Each relative link of ``path`` whose file is missing, or whose ``#anchor`` names no
    heading of its markdown target, with the reason."""
    problems = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            problems.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return problems


def issue_references(path: Path) -> list[str]:
    """``file:line: text`` for each line of a markdown file's prose that names a tracker
    issue; code (fenced blocks, inline spans) is not prose, and keeps its lines' numbers."""
    text = path.read_text(encoding="utf-8")
    text = _FENCE.sub(lambda block: "\n" * block.group(0).count("\n"), text)
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    return [
        f"{shown}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if _ISSUE_REFERENCE.search(_INLINE_CODE.sub("", line))
    ]


def code_lines(text: str) -> set[str]:
    """Lines of a markdown text's code: indented blocks and fenced blocks, stripped."""
    lines = {line.strip() for line in text.splitlines() if line.startswith(("    ", "\t"))}
    for block in _FENCE.finditer(text):
        lines.update(line.strip() for line in block.group(0).splitlines()[1:-1])
    return lines


def ci_test_command() -> str:
    """The command .ci/run runs the suite with, without the extra pytest arguments it adds:
    the words up to the script that runs the tests (``bash scripts/test.sh``)."""
    for line in CI_ENTRY.read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        ends = [i for i, word in enumerate(words) if word.endswith("scripts/test.sh")]
        if ends:
            return " ".join(words[: ends[0] + 1])
    raise AssertionError(f"{CI_ENTRY} runs no scripts/test.sh")


# -- environment variables read by the code -----------------------------------------------


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` or a bare ``environ``."""
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name)
    return isinstance(node, ast.Name) and node.id == "environ"


def _is_env_getter(func: ast.AST) -> bool:
    """``os.environ.get``, ``os.getenv`` or a bare ``getenv``."""
    if isinstance(func, ast.Attribute):
        if func.attr == "get" and _is_environ(func.value):
            return True
        return func.attr == "getenv" and isinstance(func.value, ast.Name)
    return isinstance(func, ast.Name) and func.id == "getenv"


def _is_membership_test(node: ast.AST) -> bool:
    """``x in os.environ`` or ``x not in os.environ``."""
    return (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In | ast.NotIn)
        and _is_environ(node.comparators[0])
    )


def _name_reads(tree: ast.AST) -> Iterator[ast.expr]:
    """The first argument of every environment read: ``os.environ.get(x)``,
    ``os.getenv(x)``, ``os.environ[x]`` and ``x in os.environ``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_env_getter(node.func) and node.args:
            yield node.args[0]
        elif isinstance(node, ast.Subscript) and _is_environ(node.value):
            if isinstance(node.ctx, ast.Load):
                yield node.slice
        elif _is_membership_test(node):
            yield node.left


def _string_constants(tree: ast.Module) -> dict[str, str]:
    """Module-level ``NAME = "text"`` assignments."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            found.update((t.id, value.value) for t in targets if isinstance(t, ast.Name))
    return found


def _enclosing_functions(tree: ast.AST) -> dict[ast.AST, ast.FunctionDef]:
    """Every node inside a function, mapped to the innermost function holding it."""
    owner: dict[ast.AST, ast.FunctionDef] = {}
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for function in functions:  # ast.walk is breadth-first: inner functions come later
        for node in ast.walk(function):
            if node is not function:
                owner[node] = function
    return owner


def env_reads(path: Path, constants: dict[str, str]) -> tuple[set[str], list[str]]:
    """The environment variable names a module reads, and the reads it could not name.

    A name is a string literal; a module-level string constant (``DATA_DIR_ENV``, from this
    module or, failing that, from ``constants``); or a parameter of the enclosing function,
    named by the string literals that function is called with in this module (a helper such
    as ``_seconds("RQ_JOB_TIMEOUT", 900)``).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    local = {**constants, **_string_constants(tree)}
    owner = _enclosing_functions(tree)
    names: set[str] = set()
    unresolved: list[str] = []
    for arg in _name_reads(tree):
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            names.add(arg.value)
            continue
        if isinstance(arg, ast.Name) and arg.id in local:
            names.add(local[arg.id])
            continue
        function = owner.get(arg)
        params = [a.arg for a in function.args.args] if function else []
        if isinstance(arg, ast.Name) and arg.id in params:
            index = params.index(arg.id)
            passed = [
                call.args[index].value
                for call in ast.walk(tree)
                if isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name)
                and call.func.id == function.name
                and len(call.args) > index
                and isinstance(call.args[index], ast.Constant)
                and isinstance(call.args[index].value, str)
            ]
            if passed:
                names.update(passed)
                continue
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        unresolved.append(f"{shown}:{arg.lineno}: {ast.unparse(arg)}")
    return names, unresolved


def project_modules(root: Path = ROOT) -> list[Path]:
    """Every .py file of the project outside tests, virtual environments and hidden dirs."""
    return project_files("*.py", root)


def code_environment_variables() -> tuple[set[str], list[str]]:
    """Every variable name read by project code outside the tests (the variables declared in
    ``config.process``, the one reader of the process environment, those the registered
    kinds declare, and any direct read), and the unnamed reads."""
    from config.process import VARIABLES
    from kinds.registry import all_kinds

    modules = project_modules()
    constants: dict[str, str] = {}
    for path in modules:
        constants.update(_string_constants(ast.parse(path.read_text(encoding="utf-8"))))
    names: set[str] = {variable.name for variable in VARIABLES}
    for kind in all_kinds():  # a kind's own settings and queue variable, read by config
        names |= {variable.name for variable in kind.settings}
        names |= {kind.queue_variable} if kind.queue_variable else set()
    unresolved: list[str] = []
    for path in modules:
        found, missed = env_reads(path, constants)
        names |= found
        unresolved += missed
    return names, unresolved


def settings_variables() -> set[str]:
    """The fields of ``config.Settings``, by their environment variable names."""
    from config import Settings

    return {name.upper() for name in Settings.model_fields}


def undocumented(names: set[str], text: str) -> list[str]:
    """The names that do not appear in ``text`` as a whole word."""
    return sorted(n for n in names if not re.search(rf"(?<![A-Z0-9_]){n}(?![A-Z0-9_])", text))


# -- README --------------------------------------------------------------------------------


def test_readme_fits_in_ten_thousand_characters() -> None:
    """README.md is at most 10,000 characters; reference material lives in docs/."""
    length = len(README.read_text(encoding="utf-8"))
    assert length <= README_MAX_CHARS, f"README.md has {length} characters"


def test_readme_shows_the_test_command_ci_runs() -> None:
    """The command .ci/run calls is one of the README's code lines, and its script exists."""
    command = ci_test_command()
    assert command.endswith("scripts/test.sh")
    assert (ROOT / command.split()[-1]).is_file()
    assert command in code_lines(README.read_text(encoding="utf-8"))


def test_readme_shows_the_run_local_command() -> None:
    """The set-up command that runs the platform is a README code line naming a real script."""
    assert "bash scripts/run-local.sh" in code_lines(README.read_text(encoding="utf-8"))
    assert (ROOT / "scripts" / "run-local.sh").is_file()


def test_readme_quickstart_submits_a_run_and_polls_its_status() -> None:
    """The quickstart's curl commands post to /run_backtest and read /status/<run_id>."""
    lines = code_lines(README.read_text(encoding="utf-8"))
    assert any(line.startswith("curl") and "/run_backtest" in line for line in lines)
    assert any(line.startswith("curl") and "/status/" in line for line in lines)


# -- links ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    """Every relative link names an existing file, and its #anchor a heading of the target."""
    assert broken_links(path) == []


def test_docs_hold_links_to_check() -> None:
    """The link check has something to check: the README links each docs/*.md page."""
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(README)}
    unlinked = [p.name for p in DOCS.glob("*.md") if p.resolve() not in linked]
    assert unlinked == []


def test_link_check_reports_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    """A link to an absent file or heading is reported; code spans and URLs are not links."""
    (tmp_path / "other.md").write_text("# Title\n\n## 2. Run flow\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#2-run-flow) [file](missing.md) [head](other.md#nope) [self](#top)\n"
        "`[code](absent.md)` [web](https://example.com/x.md)\n\n```\n[fenced](gone.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#nope: no heading #nope in other.md",
        "#top: no heading #top in page.md",
    ]


# -- reference, not history ---------------------------------------------------------------


def test_docs_mention_no_issue_numbers() -> None:
    """No project document names a tracker issue ("issue 26", "#27"): the docs say what is
    true now, arranged by topic; which issue changed it belongs in the commit history."""
    files = project_files("*.md")  # README.md, docs/*.md, backtest_client/README.md, …
    assert README in files and ROOT / "backtest_client" / "README.md" in files
    found = [line for path in files for line in issue_references(path)]
    assert found == [], "issue numbers in the docs; state the fact without them:\n" + "\n".join(
        found
    )


def test_issue_check_tells_references_from_anchors_codes_and_other_projects(
    tmp_path: Path,
) -> None:
    """Issue references are reported with file and line; anchors, HTTP codes, another
    project's issue, HTML entities and code are not."""
    page = tmp_path / "page.md"
    page.write_text(
        "Since issue 26 the core is fast.\n"
        "[anchor](#metric-definitions) [section](ops.md#5-scaling-knobs) 409 and 503\n"
        "Issues 23–25 merged; see (#27).\n"
        "[buildah#5501](https://github.com/containers/buildah/issues/5501) &#8594; `#333`\n"
        "```\nissue 4\n```\n"
        "Fixed in Issue #4.\n",
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[0].rsplit(":", 1)[1] for line in issue_references(page)] == [
        "1",
        "3",
        "8",
    ]


# -- configuration -------------------------------------------------------------------------


def test_every_environment_variable_read_in_code_is_documented() -> None:
    """Each variable the code reads (os.environ / getenv, outside tests) is in
    docs/configuration.md, and every read names its variable so it can be checked."""
    names, unresolved = code_environment_variables()
    assert unresolved == [], "environment reads whose variable name cannot be determined"
    assert {"DATABASE_URL", "REDIS_URL", "RQ_JOB_TIMEOUT", "DATA_DIR"} <= names
    assert undocumented(names, CONFIGURATION.read_text(encoding="utf-8")) == []


def test_every_setting_is_documented() -> None:
    """Each field of config.Settings, by its variable name, is in docs/configuration.md."""
    names = settings_variables()
    assert "RUN_MAX_BARS" in names
    assert undocumented(names, CONFIGURATION.read_text(encoding="utf-8")) == []


def test_environment_scan_names_literals_constants_and_helper_arguments(tmp_path: Path) -> None:
    """Literal names, module constants and names passed to a reading helper are all found;
    a computed name is reported as unresolved."""
    module = tmp_path / "sample.py"
    source = (
        "import os\n"
        'KEY_ENV = "FROM_CONSTANT"\n'
        'a = os.environ.get("FROM_GET")\n'
        'b = os.getenv("FROM_GETENV")\n'
        'c = os.environ["FROM_SUBSCRIPT"]\n'
        'd = "FROM_IN" in os.environ\n'
        "e = os.environ.get(KEY_ENV)\n"
        "def _seconds(name, default):\n"
        "    return os.environ.get(name) or default\n"
        '_seconds("FROM_HELPER", 1)\n'
        'f = os.environ.get("PREFIX_" + str(a))\n'
    )
    module.write_text(source, encoding="utf-8")
    names, unresolved = env_reads(module, {})
    assert names == {
        "FROM_CONSTANT",
        "FROM_GET",
        "FROM_GETENV",
        "FROM_SUBSCRIPT",
        "FROM_IN",
        "FROM_HELPER",
    }
    assert len(unresolved) == 1 and "PREFIX_" in unresolved[0]
    assert undocumented({"PORT", "REPORT_DIR"}, "| `PORT` | 5000 |") == ["REPORT_DIR"]


def _work_kind_table(heading: str = "## What a `WorkKind` declares") -> list[list[str]]:
    """The cells of the first table under ``heading`` in docs/work-kinds.md, row by row."""
    text = (DOCS / "work-kinds.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]


def _names(cell: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", cell))


def test_the_work_kinds_doc_lists_every_field_a_kind_provides_and_which_it_must():
    """What a new kind provides is the ``WorkKind`` table: its "fields" column names every
    field of the dataclass and nothing else, and its "must" column exactly those without a
    default — so a field added to ``WorkKind`` without a line here fails, and so does a
    line naming a field that is gone."""
    from dataclasses import MISSING, fields

    from work.kind import WorkKind

    rows = _work_kind_table()
    listed = [name for row in rows for name in _names(row[1])]
    must = {name for row in rows for name in _names(row[2])}
    declared = fields(WorkKind)
    assert sorted(listed) == sorted(field.name for field in declared)
    assert must == {
        field.name
        for field in declared
        if field.default is MISSING and field.default_factory is MISSING
    }


def test_the_work_kinds_doc_lists_every_field_a_kinds_search_declares():
    """The "The fields of a Search" table names every hook of the ``work.search.Search``
    interface (``Search.HOOKS``, each one the interface has) in its "fields" column and
    nothing else, so a hook added to the search protocol without a line fails."""
    from work.search import Search

    table = _work_kind_table("### The fields of a Search")
    listed = [name for row in table for name in _names(row[1])]
    assert all(hasattr(Search, hook) or hook in Search.__annotations__ for hook in Search.HOOKS)
    assert sorted(listed) == sorted(Search.HOOKS)


def test_the_portfolio_doc_says_once_what_a_short_pays_on_a_dividend():
    """The portfolio core charges a short its dividends at the ex-bar's open (``at_open``:
    100 shares short of a 0.40 dividend pay 40): docs/portfolios.md says so in its "Splits
    and dividends" section, and the long-short section, which once said "no dividends yet",
    links there instead of saying it again."""
    from engine.portfolio.corporate import at_open

    assert at_open(-100, 1.0, 0.4, 50.0) == (-100, 0.0, -40.0)
    text = _prose((DOCS / "portfolios.md").read_text(encoding="utf-8"))
    section = text.split("## Splits and dividends", 1)[1].split("\n## ", 1)[0]
    assert "a dividend is paid to a long and charged to a short" in " ".join(section.split())
    assert not re.search(r"\bno dividends?\b", text, re.I)
    long_short = text.split("## Long-short", 1)[1].split("\n## ", 1)[0]
    assert "](#splits-and-dividends)" in long_short  # it points there, and says no more:
    assert "dividend" not in re.sub(r"\[[^\]]*\]\([^)]*\)", "", long_short).lower()
