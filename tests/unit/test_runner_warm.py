"""What makes the runner start in about a second (``endpointctl.runner.warm``): the caches on disk
answer as the work they stand for would, and a run does not import what it does not use."""

from __future__ import annotations

import json
import marshal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from endpointctl import project_root
from endpointctl.runner import models, warm
from endpointctl.runner.iam.evaluator import Decisions, Evaluator, EvaluatorMissing, IamRequest
from endpointctl.template import ACCOUNT

ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:t"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": TOPIC}],
}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ENDPOINTCTL_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_a_parsed_definition_is_read_back_from_disk(cache: Path) -> None:
    parsed: list[str] = []

    def parse(definition: str) -> dict[str, Any]:
        parsed.append(definition)
        return {"tree": definition}

    assert warm.parsed_definition("A", parse) == {"tree": "A"}
    assert warm.parsed_definition("A", parse) == {"tree": "A"}  # from the disk
    assert warm.parsed_definition("B", parse) == {"tree": "B"}
    assert parsed == ["A", "B"]
    for path in (cache / "asl").glob("*.pickle"):
        path.write_bytes(b"torn")  # an unreadable entry is parsed again, not a crash
    assert warm.parsed_definition("A", parse) == {"tree": "A"}
    assert parsed == ["A", "B", "A"]


def test_an_invalid_definition_is_not_stored(cache: Path) -> None:
    def parse(definition: str) -> Any:
        raise ValueError("not a definition")

    with pytest.raises(ValueError):
        warm.parsed_definition("bad", parse)
    assert not list(cache.glob("asl/*.pickle"))


def test_only_the_most_recently_used_definitions_stay(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warm, "DEFINITIONS_KEPT", 3)
    for name in "ABCDE":
        warm.parsed_definition(name, lambda d: d)
    assert len(list(cache.glob("asl/*.pickle"))) == 3


def test_a_model_file_is_decoded_once_then_read_from_disk(cache: Path) -> None:
    import botocore
    from botocore.loaders import JSONFileLoader

    model = str(Path(botocore.__file__).parent / "data" / "sns" / "2010-03-31" / "service-2")
    loader = models._file_loader()
    first = loader.load_file(model)
    [stored] = cache.glob("models/*.marshal")
    assert marshal.loads(stored.read_bytes()) == first == JSONFileLoader().load_file(model)
    again = loader.load_file(model)
    assert again == first
    # Plain dicts, in botocore's order, whether decoded or read back.
    assert type(first) is type(again) is dict
    assert list(again["operations"]) == list(JSONFileLoader().load_file(model)["operations"])


def test_the_list_of_services_is_listed_once_then_read_from_disk(cache: Path) -> None:
    from botocore.loaders import create_loader

    fresh = create_loader()
    expected = fresh.list_available_services("service-2")
    first = create_loader()
    models._list_services_once(first)
    assert first.list_available_services("service-2") == expected
    assert len(list(cache.glob("models/services-*.pickle"))) == 1

    second = create_loader()
    models._list_services_once(second)
    second._potential_locations = lambda *a, **k: pytest.fail("listed again")  # type: ignore[method-assign]
    assert second.list_available_services("service-2") == expected
    assert "sagemaker" in expected and "neptunedata" in expected


@pytest.mark.parametrize("service", ["sagemaker", "sqs", "ec2", "dynamodb", "neptunedata"])
@pytest.mark.parametrize("kind", ["service-2", "paginators-1"])
def test_moto_reads_the_models_it_would_read_and_shares_the_plain_ones(service: str, kind: str) -> None:
    from moto.core.loaders import create_loader

    expected = create_loader().load_service_model(service, kind)
    got = models.moto_loader().load_service_model(service, kind)
    assert got == expected
    if (service, kind) == ("sagemaker", "service-2"):
        assert got is models.shared_loader().load_service_model(service, kind)  # read once
    if (service, kind) == ("sqs", "service-2"):  # moto adds to SQS's model: its own copy
        assert got is not models.shared_loader().load_service_model(service, kind)


def test_one_loader_and_one_model_however_they_are_asked_for() -> None:
    """A session asks ``load_service_model(name, type_name=..., api_version=None)``, a client
    ``(name, "service-2", api_version=None)``, moto ``(name, type, version)``: one decoded copy."""
    from botocore.exceptions import UnknownServiceError

    assert models.shared_loader() is models.shared_loader(None)
    loader = models.shared_loader(None)
    version = loader.determine_latest_version("sagemaker", "service-2")
    first = loader.load_service_model("sagemaker", "service-2")
    assert loader.load_service_model("sagemaker", type_name="service-2", api_version=None) is first
    assert loader.load_service_model("sagemaker", "service-2", version) is first
    with pytest.raises(UnknownServiceError):  # as botocore says it
        loader.load_service_model("no-such-service", "service-2")


def test_url_builders_are_compiled_only_when_a_url_is_built() -> None:
    from contextlib import ExitStack

    from werkzeug.routing import Map, Rule

    from endpointctl.runner.moto_patches import lazy_url_builders

    with ExitStack() as stack:
        lazy_url_builders(stack)
        routes = Map([Rule("/2015-03-31/functions/<name>/invocations", endpoint="invoke")])
    adapter = routes.bind("lambda.us-east-1.amazonaws.com")
    assert adapter.match("/2015-03-31/functions/f/invocations") == ("invoke", {"name": "f"})
    assert adapter.build("invoke", {"name": "g"}) == "/2015-03-31/functions/g/invocations"
    assert adapter.build("invoke", {"name": "g", "q": "1"}) == "/2015-03-31/functions/g/invocations?q=1"


def test_a_decision_on_disk_answers_without_node(tmp_path: Path) -> None:
    node_modules = project_root() / "node_modules"
    store = Decisions.for_evaluator(node_modules, tmp_path)
    assert store is not None
    publish = IamRequest(ROLE, "sns:Publish", TOPIC, (("aws:SecureTransport", "true"),))
    evaluator = Evaluator(node_modules, store)
    try:
        assert evaluator.decide(publish, [POLICY], ACCOUNT) == "Allowed"
        assert evaluator.asked == 1
    finally:
        evaluator.close()

    # No evaluator installed: only the disk can answer, and only what was asked before.
    later = Evaluator(tmp_path / "no-node-modules", Decisions(store.path))
    assert later.decide(publish, [POLICY], ACCOUNT) == "Allowed"
    assert later.asked == 0
    with pytest.raises(EvaluatorMissing):
        later.decide(IamRequest(ROLE, "sns:DeleteTopic", TOPIC), [POLICY], ACCOUNT)
    with pytest.raises(EvaluatorMissing):  # another policy is another question
        later.decide(publish, [{**POLICY, "Statement": []}], ACCOUNT)


def test_decisions_are_per_evaluator_version(tmp_path: Path) -> None:
    installed = project_root() / "node_modules"
    other = tmp_path / "node_modules" / "@cloud-copilot" / "iam-simulate"
    other.mkdir(parents=True)
    (other / "package.json").write_text(json.dumps({"version": "0.0.0-other"}))
    mine, theirs = (
        Decisions.for_evaluator(installed, tmp_path),
        Decisions.for_evaluator(tmp_path / "node_modules", tmp_path),
    )
    assert mine is not None and theirs is not None and mine.path != theirs.path
    assert Decisions.for_evaluator(tmp_path / "nowhere", tmp_path) is None  # not installed: no store


def test_a_torn_decision_line_is_ignored(tmp_path: Path) -> None:
    store = Decisions(tmp_path / "decisions")
    store.put("k1", "Allowed")
    with open(store.shard("k1"), "a") as sink:  # the same file as k1's
        sink.write('{"k": "k1b", "r": "Allo')
    assert store.shard("k1b") == store.shard("k1")
    assert Decisions(store.path).get("k1") == "Allowed"
    assert Decisions(store.path).get("k1b") is None


def test_the_runner_does_not_import_moto_ec2_until_something_asks_for_it() -> None:
    code = """
import sys
from endpointctl.runner import models, warm
warm.defer_moto_imports()  # as a world does first
import moto.stepfunctions.parser.asl.parse.asl_parser, moto.applicationautoscaling.models
assert "moto.ec2" not in sys.modules, "moto.ec2 imported"
from moto.backends import get_backend
assert type(get_backend("batch")).__name__ == "BackendDict"
from moto.ecs import ecs_backends
assert "moto.ec2" in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=project_root(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_moto_s_asl_preprocessor_is_imported_only_to_parse_a_definition() -> None:
    code = """
import json, sys
from endpointctl.runner import models, warm
warm.defer_moto_imports()
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
assert "moto.stepfunctions.parser.asl.parse.preprocessor" not in sys.modules
program, _ = AmazonStateLanguageParser.parse(json.dumps(
    {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}))
assert type(program).__name__ == "Program", program
from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
assert Preprocessor.__module__ == "moto.stepfunctions.parser.asl.parse.preprocessor"
class Subclass(Preprocessor):  # as moto's TestState preprocessor is
    pass
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=project_root(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_kms_keys_have_stable_ids_and_their_key_material_when_used(template: dict[str, Any]) -> None:
    import boto3

    from endpointctl.runner import LocalRunner, quiet_stdout
    from endpointctl.template import resources

    keys = list(resources(template, "AWS::KMS::Key"))
    arns = []
    for _ in range(2):
        with quiet_stdout(), LocalRunner(template) as runner:
            arns.append([runner.staged.resolve({"Fn::GetAtt": [lid, "Arn"]}) for lid in keys])
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
            signature = kms.sign(KeyId=key, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
            verified = kms.verify(
                KeyId=key, Message=b"m", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256"
            )
            assert verified["SignatureValid"]
    assert arns[0] == arns[1] and len(set(arns[0])) == len(keys)


def test_a_run_reads_only_the_decision_files_of_its_questions(tmp_path: Path) -> None:
    store = Decisions(tmp_path / "decisions")
    asked, other = Decisions.key("asked"), Decisions.key("other")
    assert store.shard(asked) != store.shard(other)
    store.put(asked, "Allowed")
    store.put(other, "ExplicitlyDenied")
    assert len(list(store.path.glob("*.jsonl"))) == 2
    store.shard(other).write_text("not json\n" * 100_000)  # a large file this run never reads
    later = Decisions(store.path)
    assert later.get(asked) == "Allowed"
    assert later.get(other) is None  # its torn lines are ignored, not fatal
