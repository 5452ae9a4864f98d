"""The local deploy's tools that need no Node.js: installing the pinned CDK CLI on demand (with a
stand-in ``node`` and ``npm``), and leaving Node's noise out of what the user sees."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from endpointctl import deploy, node_tools, project_root


def test_the_pinned_cli_is_installed_on_demand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A checkout without node_modules: ``ensure`` says so in one line and runs ``npm ci`` (here
    a stand-in that creates the CLI), then marks node_modules installed for make; once the pinned
    version is there it does nothing."""
    for name in ("package.json", "package-lock.json"):
        shutil.copy(project_root() / name, tmp_path / name)
    fake = tmp_path / "bin"
    fake.mkdir()
    version = node_tools.pinned_version(tmp_path, "aws-cdk")
    (fake / "node").write_text("#!/bin/sh\necho v20.20.2\n")
    (fake / "node").chmod(0o755)
    (fake / "npm").write_text(
        "#!/bin/sh\n"
        'echo "$@" > npm-args\n'
        "mkdir -p node_modules/.bin node_modules/aws-cdk\n"
        "touch node_modules/.bin/cdk\n"
        f"""echo '{{"version": "{version}"}}' > node_modules/aws-cdk/package.json\n"""
    )
    (fake / "npm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    said: list[str] = []
    assert node_tools.ensure(node_tools.CDK, said.append, root=tmp_path) is True
    assert said == [
        f"installing the CDK CLI (aws-cdk {version}) and the other pinned Node tools with npm ci "
        "(once; usually under a minute) …"
    ]
    assert (tmp_path / "npm-args").read_text().split() == [
        "ci",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    ]
    assert (tmp_path / "node_modules" / ".installed").exists()
    assert node_tools.ensure(node_tools.CDK, said.append, root=tmp_path) is False and len(said) == 1


def test_node_noise_is_left_out() -> None:
    text = "\n".join(
        [
            "b'!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\\n'",
            "b'!!  Node 20 is end-of-life and not supported anymore by this software since 2026-10-30.  !!\\n'",
            "(node:20978) Warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)",
            "versions published after the first week of January 2027",
            "will require node >=22. You are running node v20.20.2.",
            "(Use `node --trace-warnings ...` to show where the warning was created)",
            "/tmp/tmpnyi5rg7v/lib/program.js",
            " ⏳  Bootstrapping environment aws://123456789012/us-east-1...",
            "✅  Environment aws://123456789012/us-east-1 bootstrapped.",
        ]
    )
    assert node_tools.quiet(text).splitlines() == [
        " ⏳  Bootstrapping environment aws://123456789012/us-east-1...",
        "✅  Environment aws://123456789012/us-east-1 bootstrapped.",
    ]


@pytest.fixture(autouse=True)
def _checkout_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ENDPOINTCTL_CACHE_DIR", raising=False)


def _project(tmp_path: Path) -> Path:
    """A checkout's files that shape a synthesized assembly (a stand-in CLI does the synth)."""
    for name in ("app.py", "cdk.json", "package.json"):
        shutil.copy(project_root() / name, tmp_path / name)
    for folder in ("infra", "functions"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "one.py").write_text("X = 1\n")
    return tmp_path


def test_an_assembly_is_synthesized_once_per_code_and_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deploy, a second deploy and a destroy of the same code and context synthesize once; a
    changed context or file synthesizes again; only the most recent assemblies stay."""
    root = _project(tmp_path)
    calls: list[tuple[str, ...]] = []

    def cli(_root: Path, _env: dict[str, str], *args: str, step: str, cwd: Path | None = None) -> str:
        calls.append((step, *args))
        if step == "synth":
            out = Path(args[args.index("--output") + 1])
            (out / "manifest.json").write_text("{}")
        return ""

    monkeypatch.setattr(deploy, "cdk", cli)
    first = deploy.assembly(root, {}, {"stackName": "A"})
    deploy.deploy(root, {}, {"stackName": "A"})
    deploy.destroy(root, {}, {"stackName": "A"})
    assert [c[0] for c in calls] == ["synth", "deploy", "destroy"]
    for call in calls[1:]:
        assert call[call.index("--app") + 1] == str(first)
    assert deploy.cached_assembly(root, {"stackName": "A"}) == first
    assert not list(first.parent.glob(".assembly-*"))  # no half-written folder left

    second = deploy.assembly(root, {}, {"stackName": "B"})
    (root / "infra" / "one.py").write_text("X = 2\n")
    third = deploy.assembly(root, {}, {"stackName": "A"})
    assert len({first, second, third}) == 3 and [c[0] for c in calls].count("synth") == 3
    for n in range(deploy.ASSEMBLIES_KEPT):
        deploy.assembly(root, {}, {"stackName": f"S{n}"})
    assert len([p for p in first.parent.glob("assembly-*") if p.is_dir()]) == deploy.ASSEMBLIES_KEPT
    assert len(list(first.parent.glob("assembly-*.lock"))) == deploy.ASSEMBLIES_KEPT


def test_a_failed_synth_leaves_no_assembly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)

    def cli(_root: Path, _env: dict[str, str], *args: str, step: str, cwd: Path | None = None) -> str:
        out = Path(args[args.index("--output") + 1])
        (out / "manifest.json").write_text("{}")  # written, then the CLI fails
        raise deploy.DeployError(f"cdk {step} failed (exit 1)")

    monkeypatch.setattr(deploy, "cdk", cli)
    with pytest.raises(deploy.DeployError):
        deploy.assembly(root, {}, {})
    assert deploy.cached_assembly(root, {}) is None
    assert [p.suffix for p in (root / ".endpointctl-cache").iterdir()] == [".lock"]  # no assembly


def test_the_bootstrap_runs_outside_the_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a folder with cdk.json the CLI would synthesize the app first (5 s for nothing)."""
    seen: list[Path | None] = []

    def cli(_root: Path, _env: dict[str, str], *args: str, step: str, cwd: Path | None = None) -> str:
        seen.append(cwd)
        assert cwd is not None and not (cwd / "cdk.json").exists()
        assert args == ("bootstrap", f"aws://{deploy.ACCOUNT}/{deploy.REGION}")
        return ""

    monkeypatch.setattr(deploy, "cdk", cli)
    deploy.bootstrap(project_root(), {})
    assert seen and seen[0] != project_root()


def test_with_the_caches_off_each_use_synthesizes_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ENDPOINTCTL_CACHE_DIR=""``: a deploy and a destroy each synthesize into a folder of their
    own, removed after use; nothing is written to the checkout."""
    root = _project(tmp_path)
    monkeypatch.setenv("ENDPOINTCTL_CACHE_DIR", "")
    used: list[Path] = []

    def cli(_root: Path, _env: dict[str, str], *args: str, step: str, cwd: Path | None = None) -> str:
        if step == "synth":
            out = Path(args[args.index("--output") + 1])
            out.mkdir(parents=True)
            (out / "manifest.json").write_text("{}")
        else:
            used.append(Path(args[args.index("--app") + 1]))
            assert (used[-1] / "manifest.json").is_file()
        return ""

    monkeypatch.setattr(deploy, "cdk", cli)
    deploy.deploy(root, {}, {})
    deploy.destroy(root, {}, {})
    assert len(used) == 2 and used[0] != used[1]
    assert not any(p.exists() for p in used)
    assert deploy.cached_assembly(root, {}) is None and not (root / ".endpointctl-cache").exists()


def test_two_deploys_of_the_same_code_and_context_at_once_synthesize_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    root = _project(tmp_path)
    synths: list[str] = []

    def cli(_root: Path, _env: dict[str, str], *args: str, step: str, cwd: Path | None = None) -> str:
        synths.append(step)
        threading.Event().wait(0.3)  # the other arrives meanwhile, and waits
        (Path(args[args.index("--output") + 1]) / "manifest.json").write_text("{}")
        return ""

    monkeypatch.setattr(deploy, "cdk", cli)
    got: list[Path] = []
    threads = [threading.Thread(target=lambda: got.append(deploy.assembly(root, {}, {}))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert synths == ["synth"] and len(got) == 2 and got[0] == got[1]
