"""The Kubernetes manifests (deploy/k8s) render, are valid, and match the services they run.

Every kustomization an operator applies (each overlay, and each overlay's `prepare/`: topics and
migrations) is rendered with `kubectl kustomize`, and every object is validated offline against the
Kubernetes schemas bundled with kubernetes-validate. The custom resources those schemas do not know
(Strimzi KafkaTopic, Prometheus Operator ServiceMonitor and PrometheusRule) have their essential
fields checked here.

Then the rendered objects are checked against the services' own configuration
(tests/service_settings.py, shared with tests/compose): every environment variable is a field of the
service's settings class under its prefix, every container port is the one its settings name, every
address a service is given names a Service and port that exist; and against the rules the manifests
keep: probes, requests and limits, a restricted security context, secrets by reference only, an
autoscaler and a disruption budget per Deployment, a NetworkPolicy per Service that admits exactly
the service's callers, databases reachable from their own service only, and the edge and the
frontend as the only ways in.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from taquilla_runtime.settings import parse_address
from tests.service_settings import (
    DATABASES,
    GRPC_SERVICES,
    KAFKA_PARTITIONS,
    KAFKA_TOPICS,
    OPENTELEMETRY_VARIABLES,
    PYTHON_SERVICES,
    unknown_variables,
)

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
DASHBOARDS = ROOT / "observability" / "grafana" / "dashboards"
RULES_OUTPUT = K8S / "base" / "monitoring" / "prometheus-rules.yaml"
KUBECTL = shutil.which("kubectl")

# The oldest Kubernetes the manifests are written for (native gRPC probes, the preStop sleep action).
KUBERNETES_VERSION = "1.32.0"
OVERLAYS = ("dev", "production")
KUSTOMIZATIONS = tuple(f"overlays/{overlay}{part}" for overlay in OVERLAYS for part in ("", "/prepare"))
APPLICATIONS = tuple(f"overlays/{overlay}" for overlay in OVERLAYS)
CUSTOM_KINDS = {"KafkaTopic", "KafkaUser", "ServiceMonitor", "PrometheusRule"}
# Workloads by their name in the manifests: Python services by package, and the frontend's nginx.
PACKAGE_OF = {service.name: package for package, service in PYTHON_SERVICES.items()}
PUBLIC = {"edge", "frontend"}
DEV_ONLY = {"psp-sim"}
# psp-sim keeps its state in memory: one replica, no autoscaler.
NOT_AUTOSCALED = {"psp-sim"}
# Which service's group reads which topics (their settings' defaults): replicas beyond the
# partitions of what they read would idle.
CONSUMED_TOPICS = {
    "event-svc": ("taquilla.ticketing.v1",),
    "notification-svc": ("taquilla.events.v1", "taquilla.ticketing.v1"),
    "ticketing-svc": ("taquilla.events.v1",),
}
INGRESS_CONTROLLER_NAMESPACE = "ingress-nginx"
DATABASE_PORT = 5432


pytestmark = pytest.mark.skipif(
    KUBECTL is None, reason="kubectl is not installed: the manifests cannot be rendered (kubectl kustomize)"
)


# ---------------------------------------------------------------------------------------------- rendering


@functools.cache
def render(kustomization: str) -> tuple[dict[str, Any], ...]:
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / kustomization)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {kustomization}: {result.stderr}"
    return tuple(document for document in yaml.safe_load_all(result.stdout) if document)


def objects(kustomization: str, kind: str) -> list[dict[str, Any]]:
    return [document for document in render(kustomization) if document["kind"] == kind]


def named(kustomization: str, kind: str) -> dict[str, dict[str, Any]]:
    return {document["metadata"]["name"]: document for document in objects(kustomization, kind)}


def label(document: dict[str, Any]) -> str:
    return f"{document['kind']}/{document['metadata']['name']}"


@dataclass(frozen=True)
class Container:
    """A Python service's container in a Deployment or Job, with its environment resolved."""

    owner: str
    package: str | None
    spec: dict[str, Any]
    pod_labels: dict[str, str]

    @property
    def env(self) -> dict[str, dict[str, Any]]:
        return {entry["name"]: entry for entry in self.spec.get("env", [])}

    def value(self, name: str) -> str:
        entry = self.env[name]
        assert "value" in entry, f"{self.owner}: {name} is not a plain value"
        return str(entry["value"])

    def ports(self) -> dict[str, int]:
        return {port["name"]: port["containerPort"] for port in self.spec.get("ports", [])}


def workload_name(document: dict[str, Any]) -> str:
    name = str(document["metadata"]["name"])
    return name.removesuffix("-migrate") if document["kind"] == "Job" else name


def containers(kustomization: str) -> Iterator[Container]:
    for document in render(kustomization):
        if document["kind"] not in {"Deployment", "Job"}:
            continue
        template = document["spec"]["template"]
        for spec in template["spec"]["containers"]:
            yield Container(
                label(document),
                PACKAGE_OF.get(workload_name(document)),
                spec,
                template["metadata"].get("labels", {}),
            )


def deployment_container(kustomization: str, name: str) -> Container:
    deployment = named(kustomization, "Deployment")[name]
    (spec,) = deployment["spec"]["template"]["spec"]["containers"]
    return Container(
        label(deployment), PACKAGE_OF.get(name), spec, deployment["spec"]["template"]["metadata"]["labels"]
    )


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, f"only matchLabels selectors are checked here: {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def pod_labels(kustomization: str) -> dict[str, dict[str, str]]:
    """Workload name -> its pods' labels, for every Deployment and Job."""
    return {
        document["metadata"]["name"]: document["spec"]["template"]["metadata"]["labels"]
        for document in render(kustomization)
        if document["kind"] in {"Deployment", "Job"}
    }


# ---------------------------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_kustomization_renders(kustomization: str) -> None:
    assert render(kustomization), f"{kustomization} renders nothing"


def test_every_overlay_is_tested() -> None:
    found = {str(path.parent.relative_to(K8S)) for path in (K8S / "overlays").rglob("kustomization.yaml")}
    assert found == set(KUSTOMIZATIONS)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_rendered_objects_are_valid_kubernetes(kustomization: str) -> None:
    errors = []
    for document in render(kustomization):
        if document["kind"] in CUSTOM_KINDS:
            continue
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            errors.append(f"{label(document)}: {path}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{label(document)}: no schema for {document['apiVersion']} {document['kind']}")
    assert errors == []


def test_schema_validation_rejects_a_broken_object() -> None:
    deployment = json.loads(json.dumps(named("overlays/production", "Deployment")["edge"]))
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "eight thousand"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 8000
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_only_known_kinds_are_rendered(kustomization: str) -> None:
    kinds = {document["kind"] for document in render(kustomization)}
    if kustomization.endswith("/prepare"):
        assert kinds == {"KafkaTopic", "KafkaUser", "Job"}, (
            "prepare/ holds the topics, the Kafka users and the migrations, nothing else"
        )
    else:
        assert "Job" not in kinds, "migrations run from prepare/, before the rollout"
        assert "KafkaTopic" not in kinds
        assert "KafkaUser" not in kinds


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_everything_is_in_the_overlays_namespace(kustomization: str) -> None:
    namespaces = {
        document["metadata"].get("namespace")
        for document in render(kustomization)
        if document["kind"] != "Namespace"
    }
    assert len(namespaces) == 1, namespaces
    assert None not in namespaces, "every object names its namespace"
    application = named(kustomization.removesuffix("/prepare"), "Namespace")
    assert namespaces == set(application)


# ---------------------------------------------------------------------------------------------- workloads


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_every_service_runs_and_only_dev_runs_the_simulator(overlay: str) -> None:
    deployments = set(named(overlay, "Deployment"))
    expected = {service.name for service in PYTHON_SERVICES.values()} | {"frontend"}
    if overlay.endswith("production"):
        expected -= DEV_ONLY
    assert deployments == expected
    assert set(named(overlay, "Service")) == expected


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_environment_variables_are_the_services_settings(kustomization: str) -> None:
    found = list(containers(kustomization))
    assert found
    for container in found:
        if container.package is None:
            assert container.owner == "Deployment/frontend", container.owner
            assert set(container.env) == {"EDGE_UPSTREAM"}, "nginx.conf's one variable"
            continue
        assert unknown_variables(container.package, container.env) == [], (
            f"{container.owner}: not a setting of {container.package}"
        )


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_credentials_come_from_secrets_by_reference(kustomization: str) -> None:
    rendered = render(kustomization)
    assert not [label(d) for d in rendered if d["kind"] == "Secret"], "no Secret objects: values stay out"
    for container in containers(kustomization):
        if container.package is None:
            continue
        service = PYTHON_SERVICES[container.package]
        for name, entry in container.env.items():
            if name in OPENTELEMETRY_VARIABLES:
                continue
            if service.is_credential(name):
                assert set(entry) == {"name", "valueFrom"}, (
                    f"{container.owner}: {name} must be a secretKeyRef"
                )
                assert set(entry["valueFrom"]) == {"secretKeyRef"}, f"{container.owner}: {name}"
            else:
                assert "secretKeyRef" not in entry.get("valueFrom", {}) or service.is_credential(name)


# Stand-ins for the Secrets' values, of the shape each setting expects and strong enough for
# production's checks: the manifests hold references only, so the test supplies what a Secret would.
SECRET_STAND_INS = {
    "database_url": "postgresql+asyncpg://svc:stand-in-for-a-real-password@db.example:5432/taquilla",
    "redis_url": "redis://:stand-in-for-a-real-password@redis.example:6379/0",
    "key_encryption_key": "c3RhbmQtaW4tZm9yLWEtcmVhbC1mZXJuZXQta2V5LTA=",
    "admission_secret": "stand-in-for-a-real-admission-secret-of-32-characters",
    "stripe_secret_key": "sk_test_stand_in_for_a_real_key",
    "ticket_signing_key": "k1:c3RhbmQtaW4tZm9yLWEtcmVhbC1zaWduaW5nLWtleQ",
    "stripe_webhook_secrets": "whsec_stand_in_for_a_real_secret_0123456789",
    "secret_key": "sk_test_taquilla_simulator",
    "webhook_secret": "whsec_taquilla_simulator_development",
    "principal_secrets": "stand-in-for-the-platform-principal-secret-0123456789",
    "kafka_sasl_password": "stand-in-for-a-password-strimzi-generates",
}


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_each_service_starts_with_the_rendered_environment(
    kustomization: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings class accepts what the manifests set: formats, JSON lists, production's checks."""
    for container in containers(kustomization):
        if container.package is None:
            continue
        service = PYTHON_SERVICES[container.package]
        with monkeypatch.context() as patch:
            for variable in service.variables:
                patch.delenv(variable, raising=False)
            for name, entry in container.env.items():
                if name in OPENTELEMETRY_VARIABLES:
                    continue
                field = service.variables[name]
                value = entry["value"] if "value" in entry else SECRET_STAND_INS[field]
                patch.setenv(name, str(value))
            try:
                service.settings()
            except ValueError as error:
                pytest.fail(
                    f"{container.owner}: {service.settings.__name__} refuses its environment: {error}"
                )


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_services_listen_on_the_ports_their_settings_name(overlay: str) -> None:
    for package in GRPC_SERVICES:
        service = PYTHON_SERVICES[package]
        container = deployment_container(overlay, service.name)
        prefix = service.prefix
        for field, port_name in (("grpc_address", "grpc"), ("metrics_address", "metrics")):
            host, port = parse_address(container.value(f"{prefix}{field.upper()}"))
            assert host == "0.0.0.0", f"{service.name}: {field} must listen on every interface in a pod"
            assert port == service.default_port(field), f"{service.name}: {field} is not the settings' port"
            assert container.ports()[port_name] == port
        assert container.spec["args"] == ["python", "-m", package, "serve"]
    edge = PYTHON_SERVICES["edge"]
    container = deployment_container(overlay, "edge")
    assert container.value("EDGE_HOST") == "0.0.0.0"
    assert int(container.value("EDGE_PORT")) == edge.default_port("port") == container.ports()["http"]
    assert container.spec["args"] == ["python", "-m", "edge"]
    if "psp-sim" in named(overlay, "Deployment"):
        simulator = PYTHON_SERVICES["psp_sim"]
        container = deployment_container(overlay, "psp-sim")
        assert (
            int(container.value("PSP_SIM_PORT"))
            == simulator.default_port("port")
            == container.ports()["http"]
        )
    frontend = deployment_container(overlay, "frontend")
    assert frontend.ports() == {"http": 8080}, "frontend/nginx.conf listens on 8080"


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_services_expose_the_containers_ports(overlay: str) -> None:
    deployments = named(overlay, "Deployment")
    for name, service in named(overlay, "Service").items():
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", (
            f"{name}: reached through the Ingress only"
        )
        (deployment,) = [
            d
            for d in deployments.values()
            if selects(
                {"matchLabels": service["spec"]["selector"]}, d["spec"]["template"]["metadata"]["labels"]
            )
        ]
        ports = deployment_container(overlay, deployment["metadata"]["name"]).ports()
        for port in service["spec"]["ports"]:
            assert ports[port["targetPort"]] == port["port"], f"Service/{name}: {port}"


def addresses(container: Container) -> dict[str, tuple[str, int]]:
    """The other services a container is told to call: variable -> (Service name, port)."""
    found = {}
    for name, entry in container.env.items():
        value = str(entry.get("value", ""))
        if name.endswith("_SVC_ADDRESS"):
            found[name] = parse_address(value)
        elif name in {"TICKETING_SVC_STRIPE_API_BASE", "PSP_SIM_WEBHOOK_URL"} and ".svc" not in value:
            match = re.fullmatch(r"http://([a-z0-9-]+):(\d+)(/.*)?", value)
            if match:
                found[name] = (match.group(1), int(match.group(2)))
    return found


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_every_address_names_a_service_on_its_port(overlay: str) -> None:
    services = named(overlay, "Service")
    for container in containers(overlay):
        for variable, (host, port) in addresses(container).items():
            assert host in services, f"{container.owner}: {variable} names no Service ({host})"
            assert port in {p["port"] for p in services[host]["spec"]["ports"]}, (
                f"{container.owner}: {variable}"
            )
            package = PACKAGE_OF[host]
            if package in GRPC_SERVICES:
                assert port == PYTHON_SERVICES[package].default_port("grpc_address"), (
                    f"{container.owner}: {variable}"
                )


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_urls_agree_across_services(overlay: str) -> None:
    edge = deployment_container(overlay, "edge")
    public_url = edge.value("EDGE_PUBLIC_URL")
    assert "EDGE_TOKEN_ISSUER" not in edge.env, "the issuer is the public URL"
    assert deployment_container(overlay, "identity-svc").value("IDENTITY_SVC_TOKEN_ISSUER") == public_url
    assert (
        deployment_container(overlay, "notification-svc").value("NOTIFICATION_SVC_WEB_APP_URL") == public_url
    )
    assert edge.value("EDGE_WEB_APP_URL") == public_url
    ticketing = deployment_container(overlay, "ticketing-svc")
    assert ticketing.value("TICKETING_SVC_PAYMENT_RETURN_URL") == f"{public_url}/orders/{{ORDER_ID}}"
    assert json.loads(ticketing.value("TICKETING_SVC_PAYMENT_RETURN_ORIGINS")) == [public_url]
    (rule,) = named(overlay, "Ingress")["taquilla"]["spec"]["rules"]
    assert public_url.split("://", 1)[1] == rule["host"]
    namespace = named(overlay, "Namespace")
    (namespace_name,) = namespace
    upstream = deployment_container(overlay, "frontend").value("EDGE_UPSTREAM")
    assert upstream == f"edge.{namespace_name}.svc.cluster.local:8000", (
        "nginx resolves fully qualified names only"
    )


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_the_edge_trusts_forwarded_addresses_from_a_set_network_only(overlay: str) -> None:
    trusted = deployment_container(overlay, "edge").value("EDGE_TRUSTED_PROXIES")
    assert trusted, "the overlay names the Ingress controller's network"
    assert "*" not in trusted, "never *: a fake address per request escapes every limit"


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_environments_are_what_the_overlay_says(overlay: str) -> None:
    expected = "production" if overlay.endswith("production") else "development"
    for container in [*containers(overlay), *containers(f"{overlay}/prepare")]:
        if container.package in GRPC_SERVICES or container.package == "edge":
            prefix = PYTHON_SERVICES[container.package].prefix
            assert container.value(f"{prefix}ENVIRONMENT") == expected, container.owner


# ---------------------------------------------------------------------------------------------- pods


RESTRICTED_CONTAINER = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_pods_run_restricted(kustomization: str) -> None:
    for document in render(kustomization):
        if document["kind"] not in {"Deployment", "Job"}:
            continue
        pod = document["spec"]["template"]["spec"]
        owner = label(document)
        assert pod["securityContext"]["runAsNonRoot"] is True, owner
        assert pod["securityContext"]["runAsUser"] != 0, owner
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, owner
        assert pod.get("automountServiceAccountToken") is False, f"{owner}: no API token in the pod"
        assert not pod.get("hostNetwork"), owner
        assert not pod.get("hostPID"), owner
        volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert {key: context.get(key) for key in RESTRICTED_CONTAINER} == RESTRICTED_CONTAINER, owner
            mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{owner}: a read-only root needs a writable /tmp"
            for path, volume in mounts.items():
                assert "emptyDir" in volumes[volume], f"{owner}: {path} is not an emptyDir"
                assert volumes[volume]["emptyDir"].get("sizeLimit"), f"{owner}: {path} has no size limit"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_containers_have_requests_and_limits(kustomization: str) -> None:
    for container in containers(kustomization):
        resources = container.spec.get("resources", {})
        for kind in ("requests", "limits"):
            assert set(resources.get(kind, {})) == {"cpu", "memory"}, f"{container.owner}: {kind}"


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_deployments_have_startup_readiness_and_liveness_probes(overlay: str) -> None:
    for name in named(overlay, "Deployment"):
        container = deployment_container(overlay, name)
        probes = {kind: container.spec.get(f"{kind}Probe") for kind in ("startup", "readiness", "liveness")}
        assert all(probes.values()), f"{container.owner}: {probes}"
        if container.package in GRPC_SERVICES:
            grpc_port = container.ports()["grpc"]
            for kind, probe in probes.items():
                assert probe["grpc"] == {"port": grpc_port}, f"{container.owner}: {kind} asks grpc.health.v1"
        elif container.package == "edge":
            assert probes["startup"]["httpGet"]["path"] == "/readyz"
            assert probes["liveness"]["httpGet"]["path"] == "/healthz"
        else:
            for probe in probes.values():
                assert probe["httpGet"]["port"] == "http", container.owner
        assert container.spec.get("lifecycle", {}).get("preStop") or name in NOT_AUTOSCALED, (
            f"{container.owner}: pause before SIGTERM while endpoints are removed"
        )


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_every_deployment_has_a_disruption_budget_and_an_autoscaler(overlay: str) -> None:
    budgets = objects(overlay, "PodDisruptionBudget")
    autoscalers = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa for hpa in objects(overlay, "HorizontalPodAutoscaler")
    }
    for name, deployment in named(overlay, "Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert [b for b in budgets if selects(b["spec"]["selector"], labels)], (
            f"{name}: no PodDisruptionBudget"
        )
        if name in NOT_AUTOSCALED:
            assert deployment["spec"]["replicas"] == 1
            assert name not in autoscalers
            continue
        assert "replicas" not in deployment["spec"], f"{name}: the autoscaler owns the count"
        autoscaler = autoscalers[name]
        assert autoscaler["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"]
        assert autoscaler["spec"]["metrics"], f"{name}: which metric drives it"
        strategy = deployment["spec"]["strategy"]
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0, f"{name}: a rollout never lowers capacity"
    assert set(autoscalers) <= set(named(overlay, "Deployment"))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_consumers_scale_no_further_than_the_partitions_they_read(overlay: str) -> None:
    topics = {
        topic["spec"]["topicName"]: topic for topic in objects(f"overlays/{overlay}/prepare", "KafkaTopic")
    }
    autoscalers = {
        h["spec"]["scaleTargetRef"]["name"]: h
        for h in objects(f"overlays/{overlay}", "HorizontalPodAutoscaler")
    }
    assert autoscalers["notification-svc"]["spec"]["maxReplicas"] <= min(
        topics[name]["spec"]["partitions"] for name in CONSUMED_TOPICS["notification-svc"]
    ), "notification_svc does nothing but consume: more replicas than partitions idle"
    for name, consumed in CONSUMED_TOPICS.items():
        for topic in consumed:
            assert topic in topics, f"{name} reads {topic}, which is not created"


# ---------------------------------------------------------------------------------------------- network


def policies_selecting(overlay: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in objects(overlay, "NetworkPolicy") if selects(p["spec"]["podSelector"], labels)]


def peers_allowed(overlay: str, labels: dict[str, str], direction: str, port: int) -> list[dict[str, Any]]:
    """The peers (from/to entries) of the policies selecting `labels` that open `port` in `direction`."""
    key = "from" if direction == "ingress" else "to"
    peers = []
    for policy in policies_selecting(overlay, labels):
        for rule in policy["spec"].get(direction, []):
            if any(p.get("port") == port for p in rule.get("ports", [])):
                assert rule.get(key), f"{policy['metadata']['name']}: {direction} on {port} open to everybody"
                peers += rule[key]
    return peers


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_everything_is_denied_unless_allowed(overlay: str) -> None:
    policies = named(overlay, "NetworkPolicy")
    assert policies["default-deny"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for name, service in named(overlay, "Service").items():
        labels = dict(service["spec"]["selector"])
        selecting = [p for p in policies_selecting(overlay, labels) if p["spec"]["podSelector"]]
        assert selecting, f"Service/{name}: no NetworkPolicy of its own"
        for port in service["spec"]["ports"]:
            assert peers_allowed(overlay, labels, "ingress", port["port"]), (
                f"Service/{name}: port {port['port']}"
            )


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_each_service_is_reached_by_its_callers_only(overlay: str) -> None:
    """A caller is a pod given the service's address; the policies open the way both ends, to no one else."""
    labels = pod_labels(overlay)
    callers: dict[tuple[str, int], set[str]] = {}
    for container in containers(overlay):
        owner = container.owner.split("/", 1)[1]
        for host, port in addresses(container).values():
            callers.setdefault((host, port), set()).add(owner)
    services = named(overlay, "Service")
    for name, service in services.items():
        target = labels[name]
        for port in service["spec"]["ports"]:
            peers = peers_allowed(overlay, target, "ingress", port["port"])
            in_namespace = {
                workload
                for peer in peers
                if "namespaceSelector" not in peer
                for workload, workload_labels in labels.items()
                if selects(peer["podSelector"], workload_labels)
            }
            expected = callers.get((name, port["port"]), set())
            assert in_namespace == expected, (
                f"{name}:{port['port']} admits {in_namespace}, callers are {expected}"
            )
            for caller in expected:
                assert [
                    peer
                    for peer in peers_allowed(overlay, labels[caller], "egress", port["port"])
                    if "namespaceSelector" not in peer and selects(peer["podSelector"], target)
                ], f"{caller} may not call {name}:{port['port']}"


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_only_the_edge_and_the_frontend_are_reachable_from_outside(overlay: str) -> None:
    (ingress,) = objects(overlay, "Ingress")
    backends = {
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == PUBLIC
    for policy in objects(overlay, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                assert "ipBlock" not in peer, f"{policy['metadata']['name']}: ingress from addresses"
                namespace = (
                    peer.get("namespaceSelector", {})
                    .get("matchLabels", {})
                    .get("kubernetes.io/metadata.name")
                )
                if namespace == INGRESS_CONTROLLER_NAMESPACE:
                    selected = {
                        name
                        for name, labels in pod_labels(overlay).items()
                        if selects(policy["spec"]["podSelector"], labels)
                    }
                    assert selected <= PUBLIC, (
                        f"{policy['metadata']['name']}: the Ingress controller reaches {selected}"
                    )


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_each_database_is_reachable_from_its_own_service_only(overlay: str) -> None:
    prepare = f"{overlay}/prepare"
    workloads = {**pod_labels(overlay), **pod_labels(prepare)}
    for workload, labels in workloads.items():
        owner = PACKAGE_OF.get(workload.removesuffix("-migrate"))
        peers = peers_allowed(overlay, labels, "egress", DATABASE_PORT)
        if owner in DATABASES:
            database = DATABASES[owner][0]
            assert labels.get("taquilla.io/database") == database, f"{workload}: label its database"
            assert peers, f"{workload} cannot reach {database}"
            for policy in policies_selecting(overlay, labels):
                if any(
                    p.get("port") == DATABASE_PORT
                    for r in policy["spec"].get("egress", [])
                    for p in r.get("ports", [])
                ):
                    assert policy["spec"]["podSelector"] == {
                        "matchLabels": {"taquilla.io/database": database}
                    }
        else:
            assert not peers, f"{workload} owns no database but may reach port {DATABASE_PORT}"
    databases = {labels.get("taquilla.io/database") for labels in workloads.values()} - {None}
    assert databases == {database for database, _role, _schema in DATABASES.values()}


# ----------------------------------------------------------------------------------------- migrations, topics


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_with_a_database_is_migrated_by_a_job(overlay: str) -> None:
    prepare = f"overlays/{overlay}/prepare"
    jobs = named(prepare, "Job")
    assert set(jobs) == {f"{PYTHON_SERVICES[package].name}-migrate" for package in DATABASES}
    for package in DATABASES:
        name = PYTHON_SERVICES[package].name
        job = jobs[f"{name}-migrate"]
        (spec,) = job["spec"]["template"]["spec"]["containers"]
        assert spec["args"] == ["python", "-m", package, "migrate"]
        assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
        assert job["spec"].get("activeDeadlineSeconds"), f"{name}: a stuck migration must end"
        service = deployment_container(f"overlays/{overlay}", name)
        assert spec["image"] == service.spec["image"], f"{name}: the migration runs the release's image"
        for variable, entry in {e["name"]: e for e in spec["env"]}.items():
            assert service.env.get(variable) == entry, (
                f"{name}: {variable} differs between the Job and the service"
            )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kafka_topics_are_created_as_compose_creates_them(overlay: str) -> None:
    topics = objects(f"overlays/{overlay}/prepare", "KafkaTopic")
    assert sorted(topic["spec"]["topicName"] for topic in topics) == sorted(KAFKA_TOPICS)
    for topic in topics:
        name = topic["metadata"]["name"]
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", name), f"{name}: not a Kubernetes name"
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "taquilla"
        spec = topic["spec"]
        assert set(spec) == {"topicName", "partitions", "replicas", "config"}, name
        assert isinstance(spec["partitions"], int), name
        assert spec["partitions"] >= KAFKA_PARTITIONS, name
        assert isinstance(spec["replicas"], int), name
        assert spec["replicas"] >= 1, name
        assert 1 <= spec["config"]["min.insync.replicas"] <= spec["replicas"], name
        assert isinstance(spec["config"]["retention.ms"], int), name
        assert spec["config"]["retention.ms"] >= 7 * 86_400_000, f"{name}: at least the broker's default week"
    if overlay == "dev":
        assert {topic["spec"]["partitions"] for topic in topics} == {KAFKA_PARTITIONS}, (
            "as docker-compose.yml"
        )


def test_services_read_and_write_the_topics_created() -> None:
    names = set(KAFKA_TOPICS)
    for package in GRPC_SERVICES:
        service = PYTHON_SERVICES[package]
        for field in service.settings.model_fields:
            if field.endswith("topic"):
                assert service.default(field) in names, f"{package}.{field}"


# ---------------------------------------------------------------------------------------------- monitoring


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_kafka_client_signs_in_as_its_own_kafka_user(overlay: str) -> None:
    """SCRAM-SHA-512 as the KafkaUser of the service's name, the password from the Secret Strimzi makes."""
    users = named(f"overlays/{overlay}/prepare", "KafkaUser")
    clients = 0
    for container in containers(f"overlays/{overlay}"):
        if container.package is None:
            continue
        prefix = container.package.upper()
        if f"{prefix}_KAFKA_BOOTSTRAP_SERVERS" not in container.env:
            continue
        clients += 1
        env = container.env
        assert env[f"{prefix}_KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_PLAINTEXT", container.owner
        assert env[f"{prefix}_KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512", container.owner
        user = env[f"{prefix}_KAFKA_SASL_USERNAME"]["value"]
        assert user in users, f"{container.owner}: no KafkaUser {user}"
        assert users[user]["spec"]["authentication"]["type"] == "scram-sha-512"
        assert users[user]["metadata"]["labels"]["strimzi.io/cluster"] == "taquilla"
        secret = env[f"{prefix}_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert secret == {"name": user, "key": "password"}, container.owner
    assert clients >= 4
    assert len(users) == len({u["metadata"]["name"] for u in users.values()})


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_service_monitors_scrape_every_service_under_its_job_name(overlay: str) -> None:
    services = named(overlay, "Service")
    monitors = named(overlay, "ServiceMonitor")
    assert set(monitors) == {
        service.name for package, service in PYTHON_SERVICES.items() if package != "psp_sim"
    }
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        spec = monitor["spec"]
        (service,) = [s for s in services.values() if selects(spec["selector"], s["metadata"]["labels"])]
        job = service["metadata"]["labels"][spec["jobLabel"]]
        assert job == PACKAGE_OF[name], f"{name}: the rules and dashboards select job={PACKAGE_OF[name]}"
        (endpoint,) = spec["endpoints"]
        assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
        assert endpoint["path"] == "/metrics"


def test_prometheus_rules_are_generated_from_the_rule_files() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import k8s_rules
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    assert RULES_OUTPUT.read_text(encoding="utf-8") == k8s_rules.render(), (
        f"{RULES_OUTPUT.relative_to(ROOT)} is stale: make k8s-rules"
    )


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_prometheus_rules_carry_every_rule_group(overlay: str) -> None:
    rules = objects(overlay, "PrometheusRule")
    files = sorted((ROOT / "observability" / "prometheus" / "rules").glob("*.yml"))
    assert len(rules) == len(files)
    groups = [group for rule in rules for group in rule["spec"]["groups"]]
    expected = [group for path in files for group in yaml.safe_load(path.read_text())["groups"]]
    assert groups == expected
    for rule in rules:
        assert rule["apiVersion"] == "monitoring.coreos.com/v1"
        for group in rule["spec"]["groups"]:
            assert group["name"]
            assert group["rules"]
            for entry in group["rules"]:
                assert entry["expr"], entry
                assert ("record" in entry) != ("alert" in entry), entry


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_dashboards_are_config_maps_for_grafanas_sidecar(overlay: str) -> None:
    maps = [
        m
        for m in objects(overlay, "ConfigMap")
        if m["metadata"].get("labels", {}).get("grafana_dashboard") == "1"
    ]
    files = {path.name: path.read_text() for path in DASHBOARDS.glob("*.json")}
    data = {key: value for m in maps for key, value in m["data"].items()}
    assert data == files


@pytest.mark.parametrize("overlay", APPLICATIONS)
def test_no_environment_variable_holds_a_secret_value(overlay: str) -> None:
    """A literal that looks like a key or password in the rendered output is a committed secret."""
    text = yaml.safe_dump_all(render(overlay))
    for pattern in (
        r"sk_(live|test)_\w+",
        r"whsec_\w+",
        r"postgres(ql)?(\+asyncpg)?://[^@\s]+:[^@\s]+@",
        r"redis://:[^@\s]+@",
    ):
        assert not re.search(pattern, text), pattern
