"""`endpointctl local run` as a user runs it: arguments, files, output and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from controller import catalog
from endpointctl import project_root
from endpointctl.cli import main
from tests.conftest import Runner

pytestmark = pytest.mark.slow
EVENTS = project_root() / "events"


def write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def test_json_output_and_exit_code_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["local", "run", str(EVENTS / "sagemaker-create.json"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(result) == {
        "status",
        "output",
        "error",
        "cause",
        "notifications",
        "calls",
        "stateTransitions",
        "historyEvents",
        "lambdaInvocations",
        "virtualSeconds",
        "readyAfterSeconds",
        "remaining",
    }
    assert result["status"] == "SUCCEEDED"
    assert result["output"]["requestId"] == "churn-prod-2026-11-22"
    assert set(result["remaining"]) == set(catalog.names())


def test_failed_execution_exits_1_with_readable_progress(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "local",
            "run",
            str(EVENTS / "sagemaker-create-with-config.json"),
            "--scenario",
            str(EVENTS / "scenarios" / "sagemaker-failed.json"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "rollback finished: deleted endpoint fraud-canary, endpoint-config fraud-config-v1" in out
    assert "FAILED after" in out and "EndpointCreationFailed" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json"], "no such file"),
        (["bad.json"], "not valid JSON"),
        (["ok.json", "--scenario", "bad-scenario.json"], "scenario"),
        (["ok.json", "--scenario", "unknown-key.json"], "unknown scenario keys"),
        (["empty.json"], "empty"),
    ],
    ids=["missing", "bad-json", "bad-scenario", "unknown-key", "empty-array"],
)
def test_unusable_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    write(tmp_path, "bad.json", "{not json")
    write(
        tmp_path,
        "ok.json",
        {"endpointType": "sagemaker", "params": {"EndpointName": "a", "EndpointConfigName": "b"}},
    )
    write(tmp_path, "bad-scenario.json", {"sagemaker": {"createSeconds": "soon"}})
    write(tmp_path, "unknown-key.json", {"s3": {}})
    write(tmp_path, "empty.json", [])
    code = main(["local", "run", *[str(tmp_path / a) if a.endswith(".json") else a for a in args]])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_every_sample_request_runs(capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted(EVENTS.glob("*.json")):
        assert main(["local", "run", str(path), "--json"]) in (0, 1), path
    capsys.readouterr()


def test_array_runs_in_one_world_and_delete_reports_its_timing(local_run: Runner) -> None:
    create = json.loads((EVENTS / "sagemaker-create.json").read_text())
    delete = json.loads((EVENTS / "sagemaker-delete.json").read_text())
    first, second = local_run([create, delete], {"sagemaker": {"createSeconds": 120, "deleteSeconds": 75}})
    assert first["readyAfterSeconds"] == 120
    assert second["readyAfterSeconds"] == 75
    # The endpoint was the controller's; the config it ran on was not, so the delete keeps it.
    assert second["remaining"]["sagemaker"] == {
        "endpoints": [],
        "endpointConfigs": ["churn-config-v3"],
        "scalableVariants": [],
        "scalingPolicies": [],
    }


def test_parallel_requests_share_one_world(local_run: Runner) -> None:
    def req(name: str, **extra: Any) -> dict[str, Any]:
        return {
            "endpointType": "sagemaker",
            "params": {"EndpointName": name, "EndpointConfigName": "shared"},
            **extra,
        }

    requests = [req(f"ep-{i}", options={"pollIntervalSeconds": 20 + i}) for i in range(6)]
    requests.append(req("-invalid"))
    requests.append(req("ep-0", requestId="other"))  # races ep-0 for the name
    results = local_run(requests, {"sagemaker": {"createSeconds": 200}}, parallel=True)
    statuses = [r["status"] for r in results]
    assert statuses[1:6] == ["SUCCEEDED"] * 5
    assert results[6]["error"] == "InvalidRequest"
    # Two requests race for ep-0: exactly one wins; the other touches nothing.
    winner, loser = sorted((results[0], results[7]), key=lambda r: r["status"] != "SUCCEEDED")
    assert winner["status"] == "SUCCEEDED" and loser["error"] == "EndpointAlreadyExists"
    assert not any(c.startswith("sagemaker:Delete") for c in loser["calls"])
    for result in results:
        assert len(result["notifications"]["events"]) == 1 and len(result["notifications"]["sns"]) == 1
    # Every endpoint created at the same virtual instant is ready 200 s later.
    assert all(r["readyAfterSeconds"] == 200 for r in results[:6] if r["status"] == "SUCCEEDED")
    endpoints = results[0]["remaining"]["sagemaker"]["endpoints"]
    assert endpoints == [f"ep-{i}" for i in range(6)]
    # Concurrent lifecycles interleave on one clock: none took much longer than 200 s + a poll.
    assert max(r["virtualSeconds"] for r in results[1:6]) <= 200 + 26


def test_bench_compares_adaptive_polling_with_the_fixed_loop(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from endpointctl import bench

    monkeypatch.setattr(bench, "DURATIONS_MINUTES", (30,))
    rows = bench.lifecycle_table(template, ("neptune",))
    [row] = rows
    adaptive, fixed = row["adaptive"], row["fixed"]
    assert adaptive[0] * 2 <= fixed[0]  # at most half the transitions of the fixed 30-s loop
    assert adaptive[3] <= 30  # detection latency within 30 s
    table = bench.render(rows, {"boto3": 0.2, "controller.handlers": 0.3}, 1.5)
    assert "| neptune | 30 min |" in table and "ratio 1.50" in table


def test_bench_reports_an_update_next_to_the_fixed_loop(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from endpointctl import bench

    monkeypatch.setattr(bench, "DURATIONS_MINUTES", (30,))
    [row] = bench.update_table(template, ("sagemaker", "aml"))  # Amazon ML has no update: no row
    adaptive, fixed = row["adaptive"], row["fixed"]
    assert row["type"] == "sagemaker update"
    assert adaptive[0] * 5 <= fixed[0]  # the event path: a fifth of the fixed loop's transitions at most
    assert adaptive[3] <= 5 and fixed[3] <= 30  # detection latency
    assert "| sagemaker update | 30 min |" in bench.render([row], None, None)


def test_a_run_too_slow_for_the_runner_is_aborted_not_crashed(tmp_path: Path) -> None:
    # In its own process: the stopped execution's thread must not outlive the test's world.
    import os
    import subprocess
    import sys

    document = {
        "endpointType": "neptune",
        "params": {"id": "g", "mlModelTrainingJobId": "j"},
        "options": {"timeoutSeconds": 86400},  # adaptive polling for a day (a fixed 1-s cadence is refused)
    }
    request = write(tmp_path, "slow.json", document)
    scenario = write(tmp_path, "scenario.json", {"neptune": {"createSeconds": 86000}})
    done = subprocess.run(
        [sys.executable, "-m", "endpointctl", "local", "run", request, "--scenario", scenario, "--json"],
        env={**os.environ, "ENDPOINTCTL_WALL_LIMIT": "2"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "ABORTED" and result["error"] == "LocalRunnerTimeout"
    assert "wall time" in result["cause"]


# -- issue 15: no dead end, readable output ------------------------------------------------------
def test_bad_context_names_every_bad_key_in_a_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    sample = str(EVENTS / "sagemaker-create.json")
    code = main(["local", "run", sample, "-c", "logRetentionDays=999", "-c", "logRetentionDay=30"])
    assert code == 2
    said = capsys.readouterr().err.splitlines()
    assert said[0].startswith("synthesizing the CDK app (")  # app.py checks the context as it starts
    assert said[1:] == [
        "endpointctl: context logRetentionDays=999: 1 to 365 days",
        "endpointctl: context logRetentionDay: not a context key of this app; did you mean logRetentionDays?",
    ]


@pytest.mark.parametrize(
    "args",
    [["diagram"], ["local", "run", str(EVENTS / "sagemaker-create.json")]],
    ids=["diagram", "local-run"],
)
def test_a_reader_that_stops_reading_ends_the_command_quietly(args: list[str]) -> None:
    # `endpointctl … | head`: here the reader is gone before the first write.
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "endpointctl", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=300) == 141  # a shell's code for a broken pipe
    # Nothing but, on a cold cache (a fresh clone's first test), the synthesis' own line.
    assert [line for line in err.splitlines() if not line.startswith("synthesizing the CDK app (")] == []


def test_the_progress_shows_retried_calls_and_rounded_times(capsys: pytest.CaptureFixture[str]) -> None:
    scenario = str(EVENTS / "scenarios" / "sagemaker-throttled.json")
    assert main(["local", "run", str(EVENTS / "sagemaker-create.json"), "--scenario", scenario]) == 0
    out = capsys.readouterr().out
    create = next(line for line in out.splitlines() if "  create  " in line)
    assert create.endswith(
        "3 failed CreateEndpoint calls (ThrottlingException \u00d72, ValidationException), retried"
    )  # 2 throttled, 1 config not found yet
    assert "SUCCEEDED after 5m0" in out and "virtual seconds" not in out
    assert "left by this request: sagemaker endpoint churn-prod\n" in out
    assert "there before it: sagemaker endpoint config churn-config-v3\n" in out


def test_an_arrays_runs_are_numbered_and_a_failure_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    create = json.loads((EVENTS / "sagemaker-create.json").read_text())
    scenario = write(tmp_path, "failed.json", {"sagemaker": {"outcome": "Failed", "failureReason": "ping"}})
    assert main(["local", "run", write(tmp_path, "two.json", [create, "text"]), "--scenario", scenario]) == 1
    out = capsys.readouterr().out
    heads = [line for line in out.splitlines() if line.startswith("●")]
    assert heads[0].startswith("● [0] create sagemaker churn-prod")
    assert heads[1].startswith("● [1] not a request")
    assert out.count("EndpointCreationFailed") == 1 and '{"code"' not in out


# -- issue 24: no silent minute, the notification said -----------------------------------------
def test_a_synthesis_is_announced_on_stderr_and_json_stays_alone_on_stdout() -> None:
    """``--no-cache`` synthesizes (as a first run does): a line on stderr says so and roughly how
    long; stdout is the one JSON document all the same."""
    import subprocess
    import sys

    sample = str(EVENTS / "sagemaker-create.json")
    done = subprocess.run(
        [sys.executable, "-m", "endpointctl", "local", "run", sample, "--json", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "SUCCEEDED"
    assert done.stderr.splitlines() == [
        "synthesizing the CDK app (python app.py, as cdk synth runs it; usually 10-30 s; "
        "the template is cached for the next run) …"
    ]


def test_a_successful_run_prints_its_notification_and_what_it_left() -> None:
    """The README's canary update ends "then `Endpoint Updated`": the readable output says so,
    with the config the endpoint now serves; what remains is told apart: the config this request
    created, and the endpoint and config the scenario had before it."""
    import subprocess
    import sys

    request, scenario = (
        EVENTS / "sagemaker-update-canary.json",
        EVENTS / "scenarios" / "sagemaker-existing-endpoint.json",
    )
    done = subprocess.run(
        [sys.executable, "-m", "endpointctl", "local", "run", str(request), "--scenario", str(scenario)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    summary = done.stdout.splitlines()[-4:-1]
    assert summary == [
        "  notification: Endpoint Updated for churn-prod: serves churn-config-v4, was churn-config-v3"
        " (bus and SNS)",
        "  left by this request: sagemaker endpoint config churn-config-v4",
        "  there before it: sagemaker endpoint churn-prod; sagemaker endpoint config churn-config-v3",
    ]


def test_a_refused_request_leaves_nothing_and_the_prerequisite_was_there_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads((EVENTS / "sagemaker-create.json").read_text())
    document["params"]["EndpointName"] = "-bad"
    assert main(["local", "run", write(tmp_path, "bad.json", document)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "  notification: Endpoint Failed for -bad (bus and SNS)" in lines
    assert "  left by this request: nothing" in lines
    assert "  there before it: sagemaker endpoint config churn-config-v3" in lines
    assert not any(line.startswith("  remaining:") for line in lines)


# -- issue 23: no setup trap ---------------------------------------------------------------------
@pytest.mark.parametrize("decisions", ["on-disk", "none"])
def test_without_node_local_run_says_what_to_install_and_exits_2(
    tmp_path: Path, template: dict[str, Any], decisions: str
) -> None:
    """Without Node.js on PATH, ``local run`` says what to install in one line (exit 2), before any
    work: not a FAILED run with error ``Exception`` (what a run whose IAM questions are new did),
    not a traceback; and so even when every decision it needs is on disk (a run that then needed
    no Node), as ``endpointctl.node_tools`` explains."""
    import os
    import subprocess
    import sys

    from endpointctl.synth import cache_folder

    env = {**os.environ, "PATH": str(tmp_path / "bin")}  # no node, no npm: an empty folder
    checkout_cache = cache_folder(project_root())
    if decisions == "none" and checkout_cache is not None:
        cache = tmp_path / "cache"  # the synthesized template, and no IAM decisions
        cache.mkdir()
        for cached in checkout_cache.glob("template-*.json"):
            shutil.copy(cached, cache / cached.name)
        env["ENDPOINTCTL_CACHE_DIR"] = str(cache)
    done = subprocess.run(
        [sys.executable, "-m", "endpointctl", "local", "run", str(EVENTS / "sagemaker-create.json")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, ""), done.stdout + done.stderr
    assert done.stderr == (
        "endpointctl: the local runner's IAM evaluator runs on Node.js 18 or later, and there is no `node` "
        "on PATH: install Node.js 18 or later (it comes with npm), then run this again\n"
    )


# -- issue 24: a type the stack does not deploy; PutEvents entries -------------------------------
def endpointctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "endpointctl", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# -- issue 24: the operator's verbs from the shell ---------------------------------------------------
def _endpointctl(*args: str, env: dict[str, str]) -> Any:
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "endpointctl", *args],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_local_run_of_a_type_the_stack_does_not_deploy_runs_the_stacks_refusal() -> None:
    """`-c endpointTypes=sagemaker` builds the stack cdk.json deploys; an aml request is refused by
    it as the deployed stack refuses it (its refusals' state machine): exit 1, as any refused
    request, and the one reason (tests/e2e/test_undeployed_types.py has the rest)."""
    done = endpointctl("local", "run", "-c", "endpointTypes=sagemaker", str(EVENTS / "aml-create.json"))
    said = [line for line in done.stderr.splitlines() if not line.startswith("synthesizing the CDK app")]
    assert (done.returncode, said) == (1, []), done.stdout + done.stderr  # (a cold cache says it synthesizes)
    assert (
        "InvalidRequest: endpointType: the aml type is not deployed in this stack "
        "(it deploys: sagemaker; context endpointTypes)" in done.stdout
    ), done.stdout
    assert "this state machine handles" not in done.stdout


def test_put_events_entries_are_checked_and_run_as_the_bus_delivers_them(tmp_path: Path) -> None:
    """events/put-events/ holds `aws events put-events --entries` files: each entry's Detail is the
    request, checked by `validate` and run by `local run` as the event the bus delivers for it."""
    for path in sorted((EVENTS / "put-events").glob("*.json")):
        done = endpointctl("validate", str(path))
        assert (done.returncode, done.stderr) == (0, ""), done.stdout + done.stderr
        assert done.stdout.startswith("[0] valid: ") and done.stdout.count("\n") == 1, done.stdout
    done = endpointctl("local", "run", str(EVENTS / "put-events" / "sagemaker-create.json"), "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = json.loads(done.stdout)
    assert result["status"] == "SUCCEEDED" and result["output"]["requestId"] == "churn-prod-2026-11-22"

    entries = [
        {"Source": "x", "DetailType": "Endpoint Requests", "EventBusName": "b", "Detail": '{"params": {}}'},
        {"Source": "x", "DetailType": "Endpoint Request", "EventBusName": "b", "Detail": "not json"},
    ]
    bad = write(tmp_path, "entries.json", {"Entries": entries})  # a PutEvents request, too
    done = endpointctl("validate", bad)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "[0] invalid: create ?"
    assert lines[1].startswith(
        "  DetailType: must be 'Endpoint Request', the detail-type of the controller's"
    )
    assert "  endpointType: is required" in lines
    assert "[1] invalid: not a request (a PutEvents entry whose Detail is not a JSON object)" in lines
    assert (
        "  Detail: must be a JSON object, as a string: PutEvents fails the entry (MalformedDetail)" in lines
    )
    done = endpointctl("local", "run", bad)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(
        f"endpointctl: request {bad}, entry [0]: DetailType: must be 'Endpoint Request'"
    )
    assert done.stderr.count("\n") == 1


def test_bare_endpointctl_prints_its_help_with_exit_2() -> None:
    done = _endpointctl(env={})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("usage: endpointctl [-h] [--version] COMMAND ...")
    assert "examples:\n  endpointctl local run events/sagemaker-create.json" in done.stderr
    assert all(f"    {verb} " in done.stderr for verb in ("describe", "stop", "logs"))
    bad = _endpointctl("describe", "x", "--output", "yaml", env={})
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "invalid choice: 'yaml'" in bad.stderr


def test_a_shell_left_pointed_at_a_destroyed_deploy_hears_so_and_the_fix(tmp_path: Path) -> None:
    from endpointctl.deploy import CREDENTIALS, free_port

    port = free_port()  # nothing listens there
    state = tmp_path / "local-deploy.json"
    env = {
        "ENDPOINTCTL_LOCAL_STATE": str(state),
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": f"http://localhost:{port}",
    }
    none = _endpointctl("local", "env", env=env)
    assert (none.returncode, none.stdout) == (2, "")
    assert (
        none.stderr
        == "endpointctl: no kept local deploy is recorded: `endpointctl local deploy --keep` starts one\n"
    )
    state.write_text(json.dumps({"destroyed": {"port": port, "at": "2026-11-22T12:00:00Z"}}))
    for args in (["list"], ["watch", "churn-prod-2026-11-22"], ["describe", "churn-prod"]):
        done = _endpointctl(*args, env=env)
        assert (done.returncode, done.stdout) == (1, ""), done.stderr
        assert done.stderr.startswith(
            f'endpointctl: Could not connect to the endpoint URL: "http://localhost:{port}/'
        )
        assert done.stderr.endswith(
            "(AWS_ENDPOINT_URL): the kept local deploy on this port was destroyed at 2026-11-22T12:00:00Z: "
            'eval "$(endpointctl local env --unset)" stops using it, or `endpointctl local deploy --keep` '
            "starts a new one\n"
        )
        assert done.stderr.count("\n") == 1
    unset = _endpointctl("local", "env", "--unset", env=env)
    assert unset.returncode == 0
    assert (
        unset.stdout
        == "unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL\n"
    )
