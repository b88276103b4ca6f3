"""deploy/k8s: the base and the production overlay render (kubectl's kustomize) into objects
that the Kubernetes API's schemas accept (kubernetes-validate), and say what the application
needs: its probes, its secrets as files, its command and port as the image and gunicorn have
them."""

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ["base", "overlays/production"]
# The Kubernetes version whose schemas the objects must satisfy.
KUBERNETES_VERSION = "1.30.0"
# The production path's command (deploy/gunicorn.conf.py says how gunicorn is started).
GUNICORN = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "authserver.wsgi"]


def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail(
            "kubectl is missing: .ci/run installs Debian's kubernetes-client "
            "(apt-get install kubernetes-client)"
        )
    return found


def render(overlay: str) -> list[dict]:
    result = subprocess.run(
        [_kubectl(), "kustomize", str(K8S / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def _one(objects, kind: str, name: str) -> dict:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _container(deployment: dict, name: str) -> dict:
    (found,) = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name
    ]
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_against_the_kubernetes_schemas(overlay):
    objects = render(overlay)

    assert objects
    for each in objects:
        try:
            kubernetes_validate.validate(each, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{each['kind']}/{each['metadata']['name']}: {error.message}")


def test_the_production_overlay_holds_the_whole_deployment():
    objects = render("overlays/production")
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}

    for expected in [
        ("Namespace", "authserver"),
        ("Deployment", "authserver"),
        ("Deployment", "authserver-logouts"),
        ("Deployment", "authserver-mail"),
        ("Service", "authserver"),
        ("Job", "authserver-migrate"),
        ("PodDisruptionBudget", "authserver"),
        ("HorizontalPodAutoscaler", "authserver"),
        ("NetworkPolicy", "authserver"),
        ("NetworkPolicy", "default-deny-ingress"),
        ("Deployment", "orders"),
        ("Deployment", "payments"),
        ("Deployment", "tokencheck"),
        ("Deployment", "gateway"),
        ("Service", "gateway"),
        ("Service", "postgres"),
        ("Service", "redis"),
    ]:
        assert expected in kinds, expected
    assert all(
        o["metadata"].get("namespace") == "authserver" for o in objects if o["kind"] != "Namespace"
    )
    for name in ("postgres", "redis"):
        assert _one(objects, "Service", name)["spec"]["type"] == "ExternalName"


def test_the_authorization_server_runs_as_in_production():
    objects = render("overlays/production")
    deployment = _one(objects, "Deployment", "authserver")
    pod = deployment["spec"]["template"]["spec"]
    container = _container(deployment, "authserver")
    config = _one(
        objects, "ConfigMap", next(ref["configMapRef"]["name"] for ref in container["envFrom"])
    )["data"]

    assert deployment["spec"]["replicas"] >= 2
    assert _one(objects, "HorizontalPodAutoscaler", "authserver")["spec"]["minReplicas"] >= 2
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["image"] == "authserver:0.1.0"
    # The image's command (Containerfile), unchanged.
    assert "command" not in container and "args" not in container
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    limits = container["resources"]["limits"]
    assert int(config["AUTHSERVER_WORKERS"]) == int(limits["cpu"]) + 1
    assert config["AUTHSERVER_URL"].startswith("https://")
    assert config["AUTHSERVER_LOG_FORMAT"] == "json"
    (port,) = container["ports"]
    service = _one(objects, "Service", "authserver")
    assert service["spec"]["ports"][0]["targetPort"] == port["name"]
    assert port["containerPort"] == int(_containerfile_env()["AUTHSERVER_BIND"].rsplit(":")[1])


def test_secrets_are_files_for_the_variables_that_read_files():
    objects = render("overlays/production")
    file_variables = _file_variables()
    for kind, name, container_name in [
        ("Deployment", "authserver", "authserver"),
        ("Job", "authserver-migrate", "migrate"),
    ]:
        workload = _one(objects, kind, name)
        pod = workload["spec"]["template"]["spec"]
        container = next(c for c in pod["containers"] if c["name"] == container_name)
        env = {item["name"]: item for item in container.get("env", [])}
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        secret_volumes = {v["name"] for v in pod["volumes"] if "secret" in v}
        given = {name for name in env if name.endswith("_FILE")}
        assert given >= {"DJANGO_SECRET_KEY_FILE", "AUTHSERVER_KEY_ENCRYPTION_KEY_FILE"}
        for variable in given:
            assert variable in file_variables, f"{variable}: the settings read no such file"
            path = env[variable]["value"]
            assert any(path.startswith(mounts[volume] + "/") for volume in secret_volumes), (
                f"{variable}: {path} is not in a mounted secret"
            )
        for variable in ("DJANGO_SECRET_KEY", "AUTHSERVER_KEY_ENCRYPTION_KEY"):
            assert variable not in env, f"{variable} must come as a file"


def test_the_containerfile_runs_the_production_command():
    text = (ROOT / "Containerfile").read_text()
    instructions = _instructions(text)

    (cmd,) = instructions["CMD"]
    assert json.loads(cmd) == GUNICORN
    assert GUNICORN[-1] in (ROOT / "deploy" / "gunicorn.conf.py").read_text().split('"""')[1]
    (base,) = instructions["FROM"]
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", base)
    (user,) = instructions["USER"]
    assert user != "root" and user != "0"
    (healthcheck,) = instructions["HEALTHCHECK"]
    assert "deploy/healthcheck.py" in healthcheck
    assert (ROOT / "deploy" / "healthcheck.py").exists()


def test_the_gateway_config_routes_what_the_gateway_routes():
    conf = (K8S / "base" / "gateway-nginx.conf").read_text()

    for route in ("/realms/", "/admin/", "/static/", "^/api/orders", "^/api/payments"):
        assert f"location {route}" in conf or f"location ~ {route}" in conf, route
    assert "/metrics" not in conf
    assert "stub_status;" in conf
    assert "proxy_request_buffering on;" in conf


def _containerfile_env() -> dict:
    env = {}
    for line in _instructions((ROOT / "Containerfile").read_text())["ENV"]:
        for pair in shlex.split(line):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


def _instructions(text: str) -> dict[str, list[str]]:
    """Each Containerfile instruction's arguments, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    found: dict[str, list[str]] = {}
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        found.setdefault(word.upper(), []).append(rest.strip())
    return found


def _file_variables() -> set[str]:
    """NAME_FILE for every NAME the settings read as a secret (env.secret, generated_secret)."""
    settings = (ROOT / "authserver" / "settings.py").read_text()
    names = re.findall(r'env\.(?:secret|generated_secret)\(\s*"([A-Z_]+)"', settings)
    return {f"{name}_FILE" for name in names}


def test_the_gateway_config_is_valid_nginx(tmp_path):
    """nginx -t on the ConfigMap's files, with the cluster's names and mounted certificates
    replaced by loopback and certificates made here."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: .ci/run installs Debian's package")
    certificate, key = _self_signed(tmp_path)
    for source, target in [
        ("gateway-nginx.conf", "nginx.conf"),
        ("gateway-api.conf", "api.conf"),
        ("gateway-api-headers.conf", "api-headers.conf"),
    ]:
        text = (K8S / "base" / source).read_text()
        # The pod's writable emptyDir.
        text = text.replace(" /tmp/", f" {tmp_path}/")
        text = text.replace("/etc/nginx/gateway/", f"{tmp_path}/")
        for mounted in ("/etc/nginx/tls/", "/etc/nginx/upstream-tls/"):
            text = text.replace(f"{mounted}tls.crt", str(certificate))
            text = text.replace(f"{mounted}tls.key", str(key))
            text = text.replace(f"{mounted}ca.crt", str(certificate))
        text = re.sub(r"server (authserver|orders|payments|tokencheck):", "server 127.0.0.1:", text)
        (tmp_path / target).write_text(text)

    check = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-c",
            str(tmp_path / "nginx.conf"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert check.returncode == 0, check.stderr


def _self_signed(directory: Path) -> tuple[Path, Path]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gateway.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path, key_path = directory / "tls.crt", directory / "tls.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


def test_every_variable_the_image_and_pods_set_is_one_the_server_reads():
    objects = render("overlays/production")
    deployment = _one(objects, "Deployment", "authserver")
    container = _container(deployment, "authserver")
    config = _one(objects, "ConfigMap", container["envFrom"][0]["configMapRef"]["name"])["data"]
    given = set(config) | {item["name"] for item in container["env"]} | set(_containerfile_env())
    read = "\n".join(
        (ROOT / path).read_text()
        for path in ("authserver/settings.py", "deploy/gunicorn.conf.py", "deploy/healthcheck.py")
    )
    # Set for the variables that name it ($(POD_IP)), and Python's and pip's own.
    given = {name for name in given if name != "POD_IP" and not name.startswith(("PYTHON", "PIP_"))}

    for name in given:
        base = name.removesuffix("_FILE")
        assert f'"{base}"' in read, f"{name}: nothing reads it"
