"""The template cache: concurrent runs (CI's ``-n 2``, two terminals) never read half a file."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from endpointctl import synth


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("ENDPOINTCTL_CACHE_DIR", raising=False)
    (tmp_path / "app.py").write_text("# app\n")
    (tmp_path / "cdk.json").write_text(json.dumps({"app": "python3 app.py", "context": {"stackName": "S"}}))
    for folder in ("infra", "functions"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.py").write_text("x = 1\n")
    return tmp_path


@pytest.fixture
def synth_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``python app.py`` with one that writes a template naming its context."""
    calls: list[dict[str, Any]] = []

    def fake_run(cmd: list[str], *, cwd: Path, env: dict[str, str], **_: Any) -> Any:
        context = json.loads(env["CDK_CONTEXT_JSON"])
        calls.append(context)
        out = Path(env["CDK_OUTDIR"])
        (out / "S.template.json").write_text(json.dumps({"Resources": {}, "Context": context}))
        manifest = {
            "artifacts": {
                "S": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "S.template.json"}}
            }
        }
        (out / "manifest.json").write_text(json.dumps(manifest))

        class Done:
            returncode = 0
            stderr = ""

        return Done()

    monkeypatch.setattr(synth.subprocess, "run", fake_run)
    return calls


def test_a_second_run_reads_the_cache(project: Path, synth_calls: list[dict[str, Any]]) -> None:
    first = synth.synthesize(project)
    assert synth.synthesize(project) == first
    assert len(synth_calls) == 1


def test_a_changed_file_synthesizes_again(project: Path, synth_calls: list[dict[str, Any]]) -> None:
    synth.synthesize(project)
    (project / "infra" / "x.py").write_text("x = 2\n")
    synth.synthesize(project)
    assert len(synth_calls) == 2


def test_a_torn_cache_file_is_synthesized_again_not_a_crash(
    project: Path, synth_calls: list[dict[str, Any]]
) -> None:
    synth.synthesize(project)
    (cached,) = (project / synth.CACHE_DIR_NAME).glob("template-*.json")
    cached.write_text('{"Resources": {')  # what a reader saw before writes were atomic

    assert synth.synthesize(project)["Context"]["stackName"] == "S"
    assert len(synth_calls) == 2
    assert json.loads(cached.read_text())["Context"]["stackName"] == "S"


def test_switching_contexts_keeps_each_template(project: Path, synth_calls: list[dict[str, Any]]) -> None:
    # Tests with their own context used to delete each other's templates mid-read.
    for name in ("A", "B", "C"):
        synth.synthesize(project, {"stackName": name})
    for name in ("A", "B", "C"):
        assert synth.synthesize(project, {"stackName": name})["Context"]["stackName"] == name
    assert len(synth_calls) == 3


def test_only_the_newest_templates_are_kept(project: Path, synth_calls: list[dict[str, Any]]) -> None:
    for n in range(synth.CACHE_KEEP + 3):
        synth.synthesize(project, {"stackName": f"S{n}"})
    cached = list((project / synth.CACHE_DIR_NAME).glob("template-*.json"))
    assert len(cached) == synth.CACHE_KEEP
    assert len(list((project / synth.CACHE_DIR_NAME).glob("template-*.lock"))) == synth.CACHE_KEEP
    assert not list((project / synth.CACHE_DIR_NAME).glob(".template-*"))  # no partial files left


def test_concurrent_runs_with_different_contexts_all_get_their_template(
    project: Path, synth_calls: list[dict[str, Any]]
) -> None:
    errors: list[BaseException] = []
    seen: dict[str, str] = {}

    def worker(name: str) -> None:
        try:
            for _ in range(20):
                seen[name] = synth.synthesize(project, {"stackName": name})["Context"]["stackName"]
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"T{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen == {f"T{n}": f"T{n}" for n in range(4)}


def test_the_cache_folder_follows_endpointctl_cache_dir(
    project: Path,
    synth_calls: list[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``ENDPOINTCTL_CACHE_DIR`` moves the templates (as it moves the runner's caches); empty, it
    turns the cache off: every synthesis runs, nothing is written."""
    elsewhere = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("ENDPOINTCTL_CACHE_DIR", str(elsewhere))
    synth.synthesize(project)
    synth.synthesize(project)
    assert len(synth_calls) == 1 and len(list(elsewhere.glob("template-*.json"))) == 1
    assert not (project / synth.CACHE_DIR_NAME).exists()

    monkeypatch.setenv("ENDPOINTCTL_CACHE_DIR", "")
    synth.synthesize(project)
    synth.synthesize(project)
    assert len(synth_calls) == 3 and not (project / synth.CACHE_DIR_NAME).exists()


def test_runs_that_need_the_same_template_at_once_synthesize_it_once(
    project: Path, synth_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two test workers (or terminals) starting together: one synthesizes, the other waits for
    its template instead of running a second synthesis of the same context."""
    original = synth._synthesize
    started = threading.Event()

    def slow(*args: Any) -> dict[str, Any]:
        started.set()
        threading.Event().wait(0.3)  # long enough for the others to arrive and wait
        return original(*args)

    monkeypatch.setattr(synth, "_synthesize", slow)
    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(synth.synthesize(project)["Context"]["stackName"]))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert started.is_set() and got == ["S", "S", "S"] and len(synth_calls) == 1


def test_a_synthesis_is_announced_on_stderr_and_a_cached_read_is_silent(
    project: Path,
    synth_calls: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first synthesis of a context takes 10-30 s: one line on stderr says so before it starts
    (stdout stays ``--json``'s alone); reading the cached template says nothing."""
    monkeypatch.setattr(synth.shutil, "which", lambda name: f"/usr/bin/{name}")  # Node is there
    synth.synthesize(project)
    first = capsys.readouterr()
    assert first.out == ""
    assert first.err == (
        "synthesizing the CDK app (python app.py, as cdk synth runs it; usually 10-30 s; "
        "the template is cached for the next run) …\n"
    )
    synth.synthesize(project)
    assert capsys.readouterr() == ("", "")
    synth.synthesize(project, use_cache=False)  # --no-cache: announced again
    assert capsys.readouterr().err.startswith("synthesizing the CDK app (")
    assert len(synth_calls) == 2


def test_the_announcement_goes_where_the_caller_says(
    project: Path, synth_calls: list[dict[str, Any]]
) -> None:
    said: list[str] = []
    synth.synthesize(project, {"stackName": "Q"}, say=said.append)
    synth.synthesize(project, {"stackName": "Q"}, say=said.append)
    assert len(said) == 1 and "usually 10-30 s" in said[0]
