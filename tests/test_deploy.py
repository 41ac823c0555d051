"""deploy/: what can be checked on a machine without systemd running, a container engine or a
cluster — units verified by systemd-analyze, manifests against the Kubernetes schema, the
compose file's structure, and the install script and the compose bootstrap actually run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
import yaml

from aggregator.cli.configfile import load_config as load_aggregator_config
from aggregator.store.sqlite import Store
from node.config import load_config as load_node_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
GUANAI = Path(sys.executable).parent / "guanai"
UNITS = ["guanai-aggregator.service", "guanai-aggregator-web.service", "guanai-node.service",
         "guanai-backup@.service", "guanai-backup@.timer"]


# ---------------------------------------------------------------- systemd

def _verify(folder: Path, *units: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", "verify", *units], cwd=folder,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def units(tmp_path):
    """The units with ExecStart pointing at this checkout's guanai (verify wants it to exist)."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    for name in UNITS:
        text = (DEPLOY / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace("/opt/guanai/bin/guanai", str(GUANAI)))
        if "@." in name:
            instance = name.replace("@.", "@node.")
            (tmp_path / instance).write_text((tmp_path / name).read_text())
    return tmp_path


def test_systemd_units_verify_cleanly(units):
    result = _verify(units, "guanai-aggregator.service", "guanai-aggregator-web.service",
                     "guanai-node.service",
                     "guanai-backup@node.service", "guanai-backup@node.timer")
    assert result.returncode == 0, result.stderr
    assert str(units) not in result.stderr, result.stderr  # no warning about our files


def test_systemd_verify_catches_a_mistake(units):
    unit = units / "guanai-node.service"
    unit.write_text(unit.read_text().replace("ProtectSystem=strict", "ProtectSystem=strikt"))
    assert str(units) in _verify(units, "guanai-node.service").stderr


def test_services_run_hardened_as_a_dedicated_user_and_restart_on_failure():
    for name in ("guanai-aggregator.service", "guanai-aggregator-web.service",
                 "guanai-node.service"):
        text = (DEPLOY / "systemd" / name).read_text()
        for line in ("User=guanai", "Restart=on-failure", "ProtectSystem=strict",
                     "NoNewPrivileges=yes", "StateDirectory=guanai", "CapabilityBoundingSet=\n"):
            assert line in text, f"{name} lacks {line!r}"
    assert "aggregator serve --config /etc/guanai/aggregator.toml" in (
        DEPLOY / "systemd" / "guanai-aggregator.service").read_text()
    assert "aggregator web --config /etc/guanai/aggregator.toml" in (
        DEPLOY / "systemd" / "guanai-aggregator-web.service").read_text()
    assert "node --config /etc/guanai/node.toml run" in (
        DEPLOY / "systemd" / "guanai-node.service").read_text()
    assert (DEPLOY / "systemd" / "guanai.sysusers.conf").read_text().count("\nu guanai ") == 1


# ---------------------------------------------------------------- configuration examples

def test_example_configurations_are_valid():
    node = load_node_config(DEPLOY / "config" / "node.toml")
    assert node.checked["node.db"] == Path("/var/lib/guanai/node.db")
    assert node.checked["log.format"] == "json"
    load_node_config(DEPLOY / "compose" / "node.toml")
    aggregator = load_aggregator_config(DEPLOY / "config" / "aggregator.toml")
    assert aggregator.checked["metrics.listen"] == "127.0.0.1:9464"
    configmap = _kubernetes()[0]
    path = DEPLOY / "kubernetes" / "aggregator.toml"
    try:
        path.write_text(configmap["data"]["aggregator.toml"])
        assert load_aggregator_config(path).checked["server.listen"] == "0.0.0.0:50051"
    finally:
        path.unlink()


# ---------------------------------------------------------------- Kubernetes

def _kubernetes() -> list[dict]:
    return list(yaml.safe_load_all((DEPLOY / "kubernetes" / "aggregator.yaml").read_text()))


@pytest.fixture
def validate():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")

    def check(resource: dict) -> None:
        kubernetes_validate.validate(resource, "1.30.0", strict=True)
    return check


def test_kubernetes_manifests_match_the_schema(validate):
    resources = _kubernetes()
    assert [r["kind"] for r in resources] == ["ConfigMap", "Secret", "StatefulSet", "Service",
                                              "Ingress"]
    for resource in resources:
        validate(resource)


def test_the_schema_check_catches_a_misspelt_field(validate):
    statefulset = _kubernetes()[2]
    statefulset["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    with pytest.raises(Exception, match="readinessProbes"):
        validate(statefulset)


def test_the_aggregator_pod_has_a_volume_grpc_probes_and_its_keys_from_a_secret():
    _, secret, statefulset, service, _ = _kubernetes()
    pod = statefulset["spec"]["template"]["spec"]
    assert statefulset["spec"]["replicas"] == 1  # one writer per SQLite store
    container = pod["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == 50051
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    claim = statefulset["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
    assert mounts[claim] == "/var/lib/guanai"
    keys = next(v for v in pod["volumes"] if "secret" in v)
    assert keys["secret"]["secretName"] == secret["metadata"]["name"]
    restore = pod["initContainers"][0]
    assert any(m["name"] == keys["name"] for m in restore["volumeMounts"])
    assert all(value == "" for value in secret["data"].values())  # no key material committed
    assert {p["port"] for p in service["spec"]["ports"]} == {50051, 9464}


# ---------------------------------------------------------------- compose

def test_compose_file_starts_a_province_two_counties_and_schools():
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    services = compose["services"]
    for name, service in services.items():
        assert service["image"] == "guanai:0.1.0", name
        for volume in service["volumes"]:
            source = volume.split(":")[0]
            assert source in compose["volumes"] or (DEPLOY / "compose" / source).exists(), volume
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
    for config in compose.get("configs", {}).values():
        assert (DEPLOY / "compose" / config["file"]).exists()
    aggregators = {n: s for n, s in services.items() if "serve" in s.get("command", [])}
    schools = {n: s for n, s in services.items() if "run" in s.get("command", [])}
    assert sorted(aggregators) == ["county-610102", "county-610103", "province"]
    assert len(schools) >= 3
    for name, service in schools.items():
        parent = next(iter(service["depends_on"]))
        assert service["depends_on"][parent]["condition"] == "service_healthy"
        assert "healthcheck" in services[parent], name
    bootstrap = (DEPLOY / "compose" / "bootstrap.sh").read_text()
    for name in schools:
        assert f"school {name.removeprefix('school-')} " in bootstrap
    for name in aggregators:
        assert re.search(rf"\b{name.removeprefix('county-')}\b|\bprovince\b", bootstrap)


def test_compose_bootstrap_sets_up_the_federation(tmp_path):
    """The setup service's script, run for real with this checkout's guanai (≈40 s)."""
    state = tmp_path / "state"
    env = {**os.environ, "PATH": f"{GUANAI.parent}{os.pathsep}{os.environ['PATH']}"}
    script = DEPLOY / "compose" / "bootstrap.sh"
    run = subprocess.run(["sh", str(script), str(state)], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    again = subprocess.run(["sh", str(script), str(state)], env=env, capture_output=True,
                           text=True, timeout=60)
    assert "already set up" in again.stdout
    expected = {"610000": ["4161000006", "610102", "610103"],
                "610102": ["2161010001", "3161010002"], "610103": ["2161030004"]}
    for region, members in expected.items():
        store = Store(state / region / "aggregator.db")
        try:
            assert [m.member_id for m in store.members()] == members
            assert store.get_meta("region") == region
        finally:
            store.close()


# ---------------------------------------------------------------- image and install script

def test_the_image_and_the_makefile_install_with_the_same_script():
    containerfile = (DEPLOY / "Containerfile").read_text()
    runs = [line for line in containerfile.splitlines() if line.startswith("RUN ")]
    assert any("deploy/install.sh /opt/guanai" in line for line in runs)
    assert "sh deploy/install.sh --dev $(VENV)" in (ROOT / "Makefile").read_text()
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"]["find"]["include"]
    for package in packages:
        assert f"COPY {package.rstrip('*')} " in containerfile, package
    assert "USER 10001" in containerfile


def test_install_script_installs_a_working_guanai(tmp_path):
    """deploy/install.sh as the image runs it, offline: this venv's packages stand in for PyPI."""
    source = tmp_path / "src"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                            "--exclude-standard"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run = subprocess.run(["sh", str(source / "deploy" / "install.sh"), str(venv)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().endswith("guanai, version 0.1.0")
    for package in ("guanai", "protos", "privacy", "node", "aggregator", "inspector", "synth"):
        assert (Path(site) / package / "__init__.py").is_file(), package  # copied, not linked
    assert (Path(site) / "protos" / "catalogue" / "v1.toml").is_file()
    assert (venv / "bin" / "guanai").is_file()
