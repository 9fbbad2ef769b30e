"""infra/k8s: the manifests parse and agree with each other and with the daemon's contract (probes on 9464,
a termination grace longer than the shutdown grace, non-root, KEDA on the same queue, the migration Job)."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.fixtures.paths import REPO

K8S = REPO / "infra" / "k8s"
METRICS_PORT = 9464
PLACEHOLDER = "REPLACE_ME"


def documents(name: str) -> list[dict[str, Any]]:
    with (K8S / name).open(encoding="utf-8") as stream:
        loaded = [document for document in yaml.safe_load_all(stream) if document is not None]
    assert loaded, name
    assert all(isinstance(document, dict) for document in loaded)
    return loaded


def manifest_files() -> list[str]:
    return sorted(path.name for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


def one(name: str, kind: str) -> dict[str, Any]:
    (found,) = [document for document in documents(name) if document["kind"] == kind]
    return found


@pytest.fixture(scope="module")
def config() -> dict[str, str]:
    data = one("configmap.yaml", "ConfigMap")["data"]
    assert all(isinstance(value, str) for value in data.values()), "ConfigMap values must be strings"
    return {str(key): str(value) for key, value in data.items()}


@pytest.fixture(scope="module")
def deployment() -> dict[str, Any]:
    return one("deployment.yaml", "Deployment")


def consumer_container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


@pytest.mark.parametrize("name", manifest_files())
def test_every_manifest_parses_with_kind_and_name(name: str) -> None:
    for document in documents(name):
        assert document["apiVersion"]
        assert document["kind"]
        assert document["metadata"]["name"]


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    (kustomization,) = documents("kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    resources = kustomization["resources"]
    assert len(resources) == len(set(resources))
    # The example Secret holds placeholders only: applying it would overwrite the real Secret.
    assert sorted([*resources, "secret.example.yaml"]) == manifest_files()
    assert (K8S / "README.md").is_file()


def test_kustomize_renders_when_kubectl_is_available() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    result = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    rendered = [document for document in yaml.safe_load_all(result.stdout) if document]
    kinds = sorted(document["kind"] for document in rendered)
    assert kinds == sorted(
        [
            "Namespace",
            "ConfigMap",
            "ServiceAccount",
            "Deployment",
            "Job",
            "TriggerAuthentication",
            "ScaledObject",
            "PodMonitor",
            "PrometheusRule",
        ]
    )
    for document in rendered:
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "spapi-notify"


def resolve_port(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    (number,) = [entry["containerPort"] for entry in container["ports"] if entry["name"] == port]
    assert isinstance(number, int)
    return number


def test_probes_use_the_health_endpoints_on_the_metrics_port(deployment: dict[str, Any]) -> None:
    container = consumer_container(deployment)
    assert container["args"] == ["run"]
    assert "command" not in container, "the image's ENTRYPOINT is spapi-notify"
    for probe, path in (
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("startupProbe", "/healthz"),
    ):
        http = container[probe]["httpGet"]
        assert http["path"] == path, probe
        assert resolve_port(container, http["port"]) == METRICS_PORT, probe
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(METRICS_PORT)
    assert annotations["prometheus.io/path"] == "/metrics"


def test_termination_grace_exceeds_the_shutdown_grace(
    deployment: dict[str, Any], config: dict[str, str]
) -> None:
    grace = float(config["SPAPI_NOTIFY_SHUTDOWN_GRACE"])
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > grace
    assert int(config["SPAPI_NOTIFY_METRICS_PORT"]) == METRICS_PORT


def test_settings_come_from_the_configmap_and_the_secret(deployment: dict[str, Any]) -> None:
    container = consumer_container(deployment)
    sources = container["envFrom"]
    assert {"configMapRef": {"name": one("configmap.yaml", "ConfigMap")["metadata"]["name"]}} in sources
    assert {"secretRef": {"name": one("secret.example.yaml", "Secret")["metadata"]["name"]}} in sources


def assert_locked_down(pod: dict[str, Any], container: dict[str, Any]) -> None:
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert set(container["resources"]) == {"requests", "limits"}
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_the_consumer_runs_non_root_on_a_read_only_filesystem(
    deployment: dict[str, Any], config: dict[str, str]
) -> None:
    pod = deployment["spec"]["template"]["spec"]
    container = consumer_container(deployment)
    assert_locked_down(pod, container)
    # The report directory is a writable emptyDir.
    mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mounts[config["SPAPI_NOTIFY_REPORT_DIR"]]]


def test_service_account_carries_the_irsa_role(deployment: dict[str, Any]) -> None:
    account = one("deployment.yaml", "ServiceAccount")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == account["metadata"]["name"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")


def test_scaled_object_watches_the_configured_queue(
    deployment: dict[str, Any], config: dict[str, str]
) -> None:
    scaled = one("scaledobject.yaml", "ScaledObject")["spec"]
    auth = one("scaledobject.yaml", "TriggerAuthentication")
    assert scaled["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert 0 <= scaled["minReplicaCount"] <= scaled["maxReplicaCount"]
    assert scaled["cooldownPeriod"] > 0
    assert "replicas" not in deployment["spec"], "the ScaledObject owns the replica count"
    (trigger,) = scaled["triggers"]
    assert trigger["type"] == "aws-sqs-queue"
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    assert auth["spec"]["podIdentity"]["provider"] == "aws"
    metadata = trigger["metadata"]
    assert all(isinstance(value, str) for value in metadata.values()), (
        "trigger metadata values must be strings"
    )
    assert metadata["queueURL"] == config["SPAPI_NOTIFY_QUEUE_URL"]
    assert metadata["awsRegion"] == config["AWS_DEFAULT_REGION"]
    assert f"sqs.{metadata['awsRegion']}.amazonaws.com" in metadata["queueURL"]
    assert int(metadata["queueLength"]) > 0


def test_pod_monitor_scrapes_the_consumer_pods_metrics_port(deployment: dict[str, Any]) -> None:
    monitor = one("podmonitor.yaml", "PodMonitor")["spec"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert monitor["selector"]["matchLabels"].items() <= pod_labels.items()
    (endpoint,) = monitor["podMetricsEndpoints"]
    assert endpoint["path"] == "/metrics"
    assert resolve_port(consumer_container(deployment), endpoint["port"]) == METRICS_PORT
    # The operator picks monitors and rules by the same label of its Prometheus resource.
    rule = one("prometheusrule.yaml", "PrometheusRule")
    assert one("podmonitor.yaml", "PodMonitor")["metadata"]["labels"] == rule["metadata"]["labels"]


def test_db_upgrade_job_runs_the_migrations(config: dict[str, str]) -> None:
    job = one("db-upgrade-job.yaml", "Job")
    spec = job["spec"]
    assert spec["backoffLimit"] > 0
    assert spec["ttlSecondsAfterFinished"] > 0
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] in ("Never", "OnFailure")
    (container,) = pod["containers"]
    assert [*container.get("command", ["spapi-notify"]), *container.get("args", [])] == [
        "spapi-notify",
        "db",
        "upgrade",
    ]
    assert_locked_down(pod, container)
    assert {"configMapRef": {"name": "spapi-notify"}} in container["envFrom"]
    assert {"secretRef": {"name": "spapi-notify"}} in container["envFrom"]


def test_the_same_image_everywhere(deployment: dict[str, Any]) -> None:
    job = one("db-upgrade-job.yaml", "Job")
    images = {
        consumer_container(deployment)["image"],
        job["spec"]["template"]["spec"]["containers"][0]["image"],
    }
    assert len(images) == 1
    (kustomization,) = documents("kustomization.yaml")
    assert [entry["name"] for entry in kustomization["images"]] == [images.pop().split(":")[0]]


def test_secret_example_holds_placeholders_only(config: dict[str, str]) -> None:
    secret = one("secret.example.yaml", "Secret")
    assert "data" not in secret, "base64 data would hide what the values are"
    values = secret["stringData"]
    assert set(values) >= {
        "SPAPI_NOTIFY_DATABASE_URL",
        "SPAPI_NOTIFY_LWA_CLIENT_ID",
        "SPAPI_NOTIFY_LWA_CLIENT_SECRET",
        "SPAPI_NOTIFY_ENCRYPTION_KEY",
    }
    for name, value in values.items():
        assert PLACEHOLDER in value, f"{name} is not a placeholder"
    assert values["SPAPI_NOTIFY_DATABASE_URL"].startswith("postgresql+asyncpg://")
    # Secrets stay out of the ConfigMap.
    for name in config:
        assert not any(word in name for word in ("SECRET", "PASSWORD", "ENCRYPTION_KEY", "DATABASE_URL")), (
            name
        )
