"""docker-compose.yml, the Dockerfile and .env.example agree with the settings.

Docker cannot run on this machine, so the files are read and checked against what the code
reads; the image's build step (collectstatic with production settings) is run for real.
"""

import ast
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = {"migrate", "web", "worker", "beat"}
# Read outside the settings: by manage.py / wsgi / celery, and by oauthlib for the demo and tests.
ENV_READ_ELSEWHERE = {"DJANGO_SETTINGS_MODULE", "OAUTHLIB_INSECURE_TRANSPORT"}


def _string_arg(call: ast.Call) -> str | None:
    if call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
        return call.args[0].value
    return None


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_name(node.value, "os")


def env_names_read(path: Path) -> set[str]:
    """Names read by `env(...)`/`env.xxx(...)` (django-environ) and os.environ/os.getenv."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call):
            func = node.func
            reads = (
                _is_name(func, "env")
                or (isinstance(func, ast.Attribute) and _is_name(func.value, "env"))
                or (isinstance(func, ast.Attribute) and _is_os_environ(func.value))
                or (isinstance(func, ast.Attribute) and func.attr == "getenv" and _is_name(func.value, "os"))
            )
            if reads and (name := _string_arg(node)) and name.isupper():
                names.add(name)
        elif (
            isinstance(node, ast.Subscript)
            and _is_os_environ(node.value)
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
    return names


def project_env_names() -> set[str]:
    """What the deployment is configured with: the project package (settings, celery, wsgi, asgi)
    and manage.py. The apps take configuration from settings; the sandbox's own LIGHTSPEED_SANDBOX_*
    variables configure a separate, non-production process and are documented with it."""
    names: set[str] = set()
    for path in [BASE_DIR / "manage.py", *BASE_DIR.glob("lightsync/**/*.py")]:
        names |= env_names_read(path)
    return names


def settings_env_names() -> set[str]:
    names: set[str] = set()
    for path in (BASE_DIR / "lightsync" / "settings").glob("*.py"):
        names |= env_names_read(path)
    return names


def env_example_names() -> set[str]:
    text = (BASE_DIR / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


def _command(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def test_settings_read_the_environment_variables_the_design_names():
    documented = {
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "EMAIL_URL",
        "FIELD_ENCRYPTION_KEY",
        "SITE_URL",
        "LIGHTSPEED_CLIENT_ID",
        "LIGHTSPEED_CLIENT_SECRET",
        "LIGHTSPEED_OAUTH_URL",
        "LIGHTSPEED_API_URL",
    }

    assert documented <= settings_env_names()
    assert "DJANGO_SETTINGS_MODULE" in project_env_names()


def test_env_example_lists_every_variable_the_code_reads():
    missing = (project_env_names() | ENV_READ_ELSEWHERE) - env_example_names()

    assert not missing, f".env.example does not list {sorted(missing)}"


def test_compose_runs_postgres_redis_and_one_app_image_for_migrate_web_worker_and_beat(compose):
    services = compose["services"]

    assert set(services) == {"postgres", "redis"} | APP_SERVICES
    assert {services[name]["build"] for name in APP_SERVICES} == {"."}
    assert {services[name]["image"] for name in APP_SERVICES} == {"lightsync:latest"}
    assert _command(services["migrate"]) == ["python", "manage.py", "migrate", "--noinput"]
    assert _command(services["web"])[:2] == ["gunicorn", "lightsync.wsgi"]
    assert _command(services["worker"])[:4] == ["celery", "-A", "lightsync", "worker"]
    assert _command(services["beat"])[:4] == ["celery", "-A", "lightsync", "beat"]
    assert services["migrate"]["restart"] == "no"


def test_compose_starts_the_app_only_after_healthy_services_and_a_successful_migrate(compose):
    services = compose["services"]

    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_compose_configures_the_app_from_dotenv_with_production_settings_on_postgres_and_redis(compose):
    read = project_env_names() | ENV_READ_ELSEWHERE
    for name in APP_SERVICES:
        service = compose["services"][name]
        environment = service["environment"]

        assert service["env_file"] == ".env"
        assert set(environment) <= read, f"{name} sets variables nothing reads: {set(environment) - read}"
        assert environment["DJANGO_SETTINGS_MODULE"] == "lightsync.settings.production"
        assert environment["DATABASE_URL"].startswith("postgres://lightsync:")
        assert environment["DATABASE_URL"].endswith("@postgres:5432/lightsync")
        assert environment["REDIS_URL"] == "redis://redis:6379/0"


def test_compose_keeps_postgres_and_redis_data_in_volumes(compose):
    services = compose["services"]

    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}


def _dockerfile() -> list[str]:
    """Instructions of the Dockerfile, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", (BASE_DIR / "Dockerfile").read_text())
    return [
        line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]


def test_the_image_is_python_311_slim_with_runtime_requirements_a_non_root_user_and_gunicorn():
    instructions = _dockerfile()

    assert instructions[0] == "FROM python:3.11-slim"
    assert "RUN pip install -r requirements.txt" in instructions
    assert not [line for line in instructions if "requirements-dev" in line]
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert instructions[-1].startswith('CMD ["gunicorn", "lightsync.wsgi"')


def test_the_image_build_step_collects_static_files_with_production_settings(tmp_path):
    (build_step,) = [line for line in _dockerfile() if "collectstatic" in line]
    words = shlex.split(build_step.removeprefix("RUN "))
    assignments = dict(word.split("=", 1) for word in words[: words.index("python")])
    command = words[words.index("python") : words.index("&&")]
    assert assignments["DJANGO_SETTINGS_MODULE"] == "lightsync.settings.production"

    env = {"PATH": os.environ["PATH"], **assignments, "STATIC_ROOT": str(tmp_path / "static")}
    result = subprocess.run(
        [sys.executable, *command[1:]], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert list((tmp_path / "static" / "admin" / "css").glob("base.*.css.gz"))


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = set((BASE_DIR / ".dockerignore").read_text().split())

    assert {".env", ".venv", "var", ".git"} <= ignored
