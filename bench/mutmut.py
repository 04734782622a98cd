"""Mutation testing of the security core: how many deliberate small bugs do the tests catch?

mutmut 3 changes one thing at a time in the code (a `<` into `<=`, a `True` into `False`, a
string into another, a call's argument dropped…) and runs the tests that cover it; a mutant
the tests still pass with has "survived", a place where a bug would go unnoticed. Three
packages are scored, each with its own tests:

    httpsig   federation/httpsig/          tests/federation/test_httpsig_*.py, test_signed_fetch.py
    fetch     federation/fetch/            tests/federation/test_fetch_*.py
    receive   federation/inbox/receive.py, federation/request_url.py
              the inbox tests that POST to the inbox or test its parts: test_inbox_receive*.py,
              _refusals, _rate_limits, _envelope, _actors, _replay, _group_commit (not the
              handlers' tests, which go through the worker only, nor the Hypothesis test of
              any signed body: its 40 examples cost more than all the rest)

Each package runs in a scratch copy of the tree (with its own `[tool.mutmut]`, so the working
tree and pyproject.toml stay as they are) and prints: mutants, killed, survived, and the
score. Survivors are split in two: *text* survivors only change a message (the words of a
reason or log line, or an exception's message dropped) or the case of a header or codec name,
and are left aside; the *behavioural*
score is (killed + timed out) / (that + behavioural survivors + mutants no test reaches).
`--show` prints every behavioural survivor's diff, `--show-text` the text ones too.

mutmut is not a test dependency (it brings libcst and textual): the first run installs
`mutmut==3.8.1` into this venv. Not part of CI. mutmut starts one pytest run per mutant (forked
from a process that has imported everything) with only the tests that reach the mutated
function, stopping at the first failure; on SQLite the script migrates one template database
first and points `tests/conftest.py` at it (`LYCEUM_TEST_SQLITE_TEMPLATE`), since migrating
cost more than the tests of most mutants. What is left per mutant is pytest's start and the
app and database each test makes: roughly a second of CPU for a mutant killed by its first
test, and ~15 s for one that survives the ~150 inbox tests. receive has ~510 mutants, nearly
all in `Inbox.post` and `_verify_and_store`, which every inbox test reaches; httpsig and fetch
take minutes. On a loaded machine it is much slower (at a load of 11-19 on 2 cores, under
`nice -n 10`, 20-90 s per mutant): run it on an idle one.

Run: `nice -n 10 .venv/bin/python -m bench.mutmut [--package receive ...] [--children 2]
[--show] [--keep DIR]` (`--keep` leaves the scratch copies in DIR/<package>; `cd` there and run
`mutmut browse` or `mutmut show <name>` to look closer). To re-run some mutants after adding
tests, copy the new test files into DIR/<package>/tests and DIR/<package>/mutants/tests (and
add them to `pytest_add_cli_args_test_selection` in DIR/<package>/pyproject.toml), then in
DIR/<package>: `LYCEUM_TEST_SQLITE_TEMPLATE=$PWD/template.sqlite3 ../../.venv/bin/mutmut run
NAME...` (names as `--show` prints them).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PREMIGRATED_SQLITE = "LYCEUM_TEST_SQLITE_TEMPLATE"  # read by tests/conftest.py
MUTMUT = "mutmut==3.8.1"

PACKAGES: dict[str, tuple[list[str], list[str]]] = {
    # name: (files to mutate, tests to run)
    "httpsig": (
        ["federation/httpsig/*"],
        ["tests/federation/test_httpsig_*.py", "tests/federation/test_signed_fetch.py"],
    ),
    "fetch": (["federation/fetch/*"], ["tests/federation/test_fetch_*.py"]),
    # Only the tests that POST to the inbox or test its parts (a handler's own tests go
    # through the worker, never receive.py), and not the Hypothesis test of any signed body
    # (its examples cost more than all the rest and kill nothing the others miss).
    "receive": (
        ["federation/inbox/receive.py", "federation/request_url.py"],
        [
            "tests/federation/test_inbox_receive*.py",
            "tests/federation/test_inbox_refusals.py",
            "tests/federation/test_inbox_rate_limits.py",
            "tests/federation/test_inbox_envelope.py",
            "tests/federation/test_inbox_actors.py",
            "tests/federation/test_inbox_replay.py",
            "tests/federation/test_inbox_group_commit.py",
            "tests/federation/test_request_url.py",
        ],
    ),
}
# Tests left out of a package's selection (pytest node ids).
DESELECTED: dict[str, list[str]] = {
    "receive": [
        "tests/federation/test_inbox_receive.py::test_inbox__arbitrary_signed_bodies_never_fail"
    ],
}
# Survivors that cannot change what the code does, each with the reason (read from the code, not
# guessed); set aside like text survivors. Names as mutmut gives them (see `--show`); a change
# to the function renumbers its mutants, so check this list when one changes.
_RECEIVE = "federation.inbox.receive."
_NAMESPACE = (
    "only keeps the actor and domain rate-limit counters apart, and an actor id (a URL) never "
    "equals a domain (a host)"
)
EQUIVALENT: dict[str, str] = {
    _RECEIVE + "x__sender_host__mutmut_13": "a missing Signature header read as 'XXXX': the "
    "keyId pattern does not match that either",
    _RECEIVE + "x__sender_host__mutmut_23": "domain_of('XXXX') is '' like domain_of('')",
    **{
        _RECEIVE + f"xǁInboxǁ_verify_and_store__mutmut_{n}": "a request with no Host header "
        "(HTTP/1.1 requires one) read as None or 'XXXX' instead of '': no such name is ours "
        "either, so the answer is the same 401"
        for n in (19, 24)
    },
    _RECEIVE + "x__stored_before__mutmut_7": "Tortoise's isnull=None means IS NOT NULL, "
    "as isnull=False does",
    _RECEIVE + "x__stored_before__mutmut_9": "Tortoise's isnull=None means IS NOT NULL, "
    "as isnull=False does",
    **{
        _RECEIVE + f"xǁInboxǁ_count__mutmut_{n}": _NAMESPACE for n in (4, 8, 11, 12, 14, 18, 21, 22)
    },
    _RECEIVE + "xǁ_Refusalǁ__init____mutmut_1": "the exception's own message is never read "
    "(its `reason` is)",
    _RECEIVE + "xǁInboxǁ_verify_and_store__mutmut_142": "a domain remembered as False is as "
    "remembered as True (only `is None` is asked)",
    **{
        _RECEIVE + f"x_inbox_routes__mutmut_{n}": "Starlette upper-cases a route's methods, "
        "so 'post' is 'POST'"
        for n in (12, 22, 32)
    },
    **{
        _RECEIVE + f"xǁInboxǁ_block_of__mutmut_{n}": "a memo that misses or forgets only asks "
        "the database again: the answer is the same, only fresher"
        for n in (1, 2, 6, 7)
    },
    _RECEIVE + "xǁInboxǁ_read_body__mutmut_8": "a missing Content-Length read as 'XXXX' is "
    "not digits either, so no length is declared, as with ''",
    _RECEIVE + "xǁInboxǁ_read_body__mutmut_26": "a missing Content-Type read as 'xxxx' is "
    "not an accepted media type either: the same 415",
    _RECEIVE + "xǁInboxǁ_verify_and_store__mutmut_113": "a check with no key id finds no "
    "owner under 'XXXX' either (key ids are URLs)",
    _RECEIVE + "xǁInboxǁ_verify_and_store__mutmut_144": "a domain remembered as False is as "
    "remembered as True (only `is None` is asked)",
    _RECEIVE + "xǁInboxǁpost__mutmut_37": "an absent flag read as None is as false as False",
    _RECEIVE + "xǁ_Memoǁput__mutmut_5": "popitem(last=None) pops the oldest, as last=False does",
}
# Re-exports only; mutmut's own imports in them would also change the names they export.
NOT_MUTATED = ["federation/httpsig/__init__.py", "federation/fetch/__init__.py"]
COPIED = ["federation", "server", "web", "migrations", "tests", "pyproject.toml"]

# Statuses as mutmut records them (its exit codes).
KILLED = {1, 3, 37}
TIMEOUT = {-24, 24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}

# A sentence: a word, a space, another word. Names, media types and separators have none.
_SENTENCE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z{]")
_RAISE = re.compile(r"raise \w+\(")
_URL_KEYWORD = re.compile(r"\burl=\w+")
_STRING = re.compile(r"""(?:[rbfRBF]{0,2})("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")

# Run in the scratch copy: every mutant's status and, for survivors, its diff.
_REPORT = """
import json, sys
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.utils.file_utils import walk_mutatable_files
out = {}
for path in walk_mutatable_files():
    data = SourceFileMutationData(path=path)
    data.load()
    for name, code in data.exit_code_by_key.items():
        diff = get_diff_for_mutant(name, path=path) if code == 0 else ""
        out[name] = [str(path), code, diff]
json.dump(out, sys.stdout)
"""


@dataclass
class Score:
    package: str
    killed: int = 0
    timeouts: int = 0
    no_tests: int = 0
    other: int = 0
    behavioural: list[tuple[str, str]] = field(default_factory=list)
    text: list[tuple[str, str]] = field(default_factory=list)
    equivalent: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return (
            self.killed
            + self.timeouts
            + self.no_tests
            + self.other
            + len(self.behavioural)
            + len(self.text)
            + len(self.equivalent)
        )

    def percent(self, *, behavioural: bool) -> float:
        caught = self.killed + self.timeouts
        aside = len(self.text) + len(self.equivalent)
        missed = len(self.behavioural) + self.no_tests + (0 if behavioural else aside)
        return 100.0 * caught / max(1, caught + missed)


def ensure_mutmut() -> None:
    if importlib.util.find_spec("mutmut") is None:
        print(f"installing {MUTMUT} into {sys.prefix} …", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", MUTMUT], check=True)


def scratch_copy(target: Path, package: str) -> None:
    """The tree as it is now (committed or not), with this package's mutmut configuration."""
    mutated, tests = PACKAGES[package]
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
        else:
            shutil.copy2(source, target / name)
    selected = sorted(
        str(path.relative_to(ROOT)) for pattern in tests for path in ROOT.glob(pattern)
    ) + [f"--deselect={node}" for node in DESELECTED.get(package, [])]
    pyproject = target / "pyproject.toml"
    text = pyproject.read_text()
    text = re.sub(r"(?ms)^\[tool\.mutmut\].*?(?=^\[|\Z)", "", text)
    text += "\n[tool.mutmut]\n" + "\n".join(
        [
            f"source_paths = {json.dumps(['federation/'])}",
            f"only_mutate = {json.dumps(mutated)}",
            f"do_not_mutate = {json.dumps(NOT_MUTATED)}",
            f"also_copy = {json.dumps(['server/', 'web/', 'migrations/'])}",
            f"pytest_add_cli_args_test_selection = {json.dumps(selected)}",
            "use_git_change_detection = false",
        ]
    )
    pyproject.write_text(text + "\n")


def is_text_only(diff: str) -> bool:
    """Does the mutant change nothing but a message?"""
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and line[1:2] != "-"]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and line[1:2] != "+"]
    if not removed or len(removed) != len(added):
        return False
    return all(_message_change(b, a) for b, a in zip(removed, added, strict=True))


def _message_change(before: str, after: str) -> bool:
    before, after = before.strip(), after.strip()
    # An exception of the same class raised with another message (or none); `url=` kept.
    if (raised := _RAISE.match(before)) and after.startswith(raised.group(0)):
        return _URL_KEYWORD.findall(before) == _URL_KEYWORD.findall(after)
    # A log line.
    if before.startswith("log.") and after.startswith("log."):
        return True
    # A sentence on a line of its own (a wrapped message) dropped.
    if after.rstrip(",") == "None" and _STRING.fullmatch(before.rstrip(",")):
        return bool(_SENTENCE.search(before))
    # Only the words of sentences differ, or the case of a header name (HTTP field names are
    # case-insensitive, and so are httpx's and Starlette's header maps).
    if _STRING.sub('""', before) != _STRING.sub('""', after):
        return False
    old, new = _STRING.findall(before), _STRING.findall(after)
    names_case_insensitively = "headers" in before or ".encode(" in before or ".decode(" in before
    return all(
        a == b or _SENTENCE.search(a) or (a.lower() == b.lower() and names_case_insensitively)
        for a, b in zip(old, new, strict=True)
    )


def premigrated_sqlite(workdir: Path) -> Path:
    """A migrated SQLite file for every run's tests to copy: migrating takes a few seconds, more
    than the tests that one mutant needs, and mutmut starts a pytest run per mutant."""
    path = workdir / "template.sqlite3"
    migrate = (
        "import asyncio, sys; from pathlib import Path; from server import db; "
        "from server.settings import Settings; p = Path(sys.argv[1]); "
        "asyncio.run(db.migrate(Settings(database_url=f'sqlite://{p}', data_dir=p.parent)))"
    )
    subprocess.run([sys.executable, "-c", migrate, str(path)], cwd=workdir, check=True)
    return path


def run_package(package: str, workdir: Path, children: int) -> Score:
    scratch_copy(workdir, package)
    env = {**os.environ, "LYCEUM_TEST_DATABASE": os.environ.get("LYCEUM_TEST_DATABASE", "sqlite")}
    if env["LYCEUM_TEST_DATABASE"] == "sqlite":
        env[PREMIGRATED_SQLITE] = str(premigrated_sqlite(workdir))
    mutmut = Path(sys.executable).with_name("mutmut")
    print(f"== {package}: mutmut run --max-children {children} (in {workdir})", flush=True)
    log = workdir / "mutmut-run.log"
    with log.open("w") as out:
        done = subprocess.run(
            [str(mutmut), "run", "--max-children", str(children)],
            cwd=workdir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if done.returncode != 0:
        print(log.read_text()[-3000:])
        raise SystemExit(f"mutmut failed for {package} (exit {done.returncode}); see {log}")
    return read_results(package, workdir)


def read_results(package: str, workdir: Path) -> Score:
    """The score of what mutmut has recorded in `workdir` (a run stopped early: so far)."""
    report = subprocess.run(
        [sys.executable, "-c", _REPORT], cwd=workdir, capture_output=True, text=True
    )
    if report.returncode != 0:
        raise SystemExit(f"could not read mutmut's results:\n{report.stderr}")
    score = Score(package)
    for name, (_path, code, diff) in sorted(json.loads(report.stdout).items()):
        if code in KILLED:
            score.killed += 1
        elif code in TIMEOUT:
            score.timeouts += 1
        elif code in NO_TESTS:
            score.no_tests += 1
        elif code in SURVIVED and name in EQUIVALENT:
            score.equivalent.append((name, EQUIVALENT[name]))
        elif code in SURVIVED:
            (score.text if is_text_only(diff) else score.behavioural).append((name, diff))
        else:
            score.other += 1
    return score


def print_score(score: Score, *, show: bool, show_text: bool) -> None:
    if show:
        for name, diff in score.behavioural:
            print(f"\n--- survived: {name}\n{diff}")
    if show_text:
        for name, diff in score.text:
            print(f"\n--- survived (text only): {name}\n{diff}")
        for name, reason in score.equivalent:
            print(f"\n--- survived (equivalent): {name}: {reason}")
    print(
        f"\n{score.package}: {score.total} mutants, {score.killed} killed, "
        f"{score.timeouts} timed out, {len(score.behavioural)} behavioural, "
        f"{len(score.text)} text-only and {len(score.equivalent)} equivalent survivors, "
        f"{score.no_tests} without tests, {score.other} other (not run)"
    )
    print(
        f"{score.package}: score {score.percent(behavioural=False):.1f} % of all mutants, "
        f"{score.percent(behavioural=True):.1f} % of behavioural mutants"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", action="append", choices=sorted(PACKAGES))
    parser.add_argument("--children", type=int, default=2, help="parallel mutants (cores)")
    parser.add_argument("--show", action="store_true", help="print behavioural survivors")
    parser.add_argument("--show-text", action="store_true", help="print text-only survivors")
    parser.add_argument("--keep", type=Path, help="keep the scratch copies under this folder")
    parser.add_argument(
        "--read", type=Path, help="only score what a kept copy (DIR/<package>) has recorded"
    )
    args = parser.parse_args()
    ensure_mutmut()
    packages = args.package or list(PACKAGES)
    scores = []
    for package in packages:
        if args.read:
            scores.append(read_results(package, args.read.resolve() / package))
        elif args.keep:
            workdir = args.keep.resolve() / package
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
            scores.append(run_package(package, workdir, args.children))
        else:
            with tempfile.TemporaryDirectory(prefix=f"lyceum-mutmut-{package}-") as scratch:
                scores.append(run_package(package, Path(scratch), args.children))
        print_score(scores[-1], show=args.show, show_text=args.show_text)
    print("\nSummary (behavioural score: text-only and equivalent survivors aside; goal >= 90 %)")
    for score in scores:
        print(
            f"  {score.package:8} {score.percent(behavioural=True):5.1f} %  "
            f"({score.percent(behavioural=False):.1f} % of all {score.total})"
        )


if __name__ == "__main__":
    main()
