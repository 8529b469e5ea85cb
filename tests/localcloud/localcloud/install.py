"""Install what the local cloud needs: Debian packages and the services' virtualenv (standard library only).

Runs with the system python before the virtualenv exists; `python -m localcloud.install` does both steps.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time

from localcloud.config import SOURCE_DIR, Paths

APT_PACKAGES = ("postgresql", "rabbitmq-server")
CONSTRAINTS = SOURCE_DIR / "constraints.txt"
REQUIREMENTS = SOURCE_DIR / "requirements.txt"
DRIVER_DIR = SOURCE_DIR / "magnum_driver"


def _missing_packages() -> list[str]:
    missing = []
    # Debian's own python3 creates virtualenvs only with python3-venv installed.
    if subprocess.run([sys.executable, "-c", "import ensurepip, venv"], capture_output=True).returncode != 0:
        missing.append("python3-venv")
    for package in APT_PACKAGES:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        if "install ok installed" not in result.stdout:
            missing.append(package)
    return missing


def ensure_apt_packages(report=print) -> None:
    missing = _missing_packages()
    if not missing:
        return
    report(f"apt-get install {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(install, env=env, check=True, stdout=subprocess.DEVNULL)


def _editable_projects() -> list:
    projects = [SOURCE_DIR]
    if (DRIVER_DIR / "pyproject.toml").exists() or (DRIVER_DIR / "setup.py").exists():
        projects.append(DRIVER_DIR)
    return projects


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (CONSTRAINTS, REQUIREMENTS):
        digest.update(path.read_bytes())
    for project in _editable_projects():
        for name in ("pyproject.toml", "setup.py", "setup.cfg"):
            if (project / name).exists():
                digest.update(str(project / name).encode() + (project / name).read_bytes())
    return digest.hexdigest()


def ensure_venv(paths: Paths, report=print) -> None:
    """Create or update the virtualenv when the pinned requirements or the local projects changed."""
    stamp = paths.venv / ".localcloud-installed"
    fingerprint = _fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint and paths.python.exists():
        return
    started = time.monotonic()
    if not paths.python.exists():
        report(f"creating virtualenv {paths.venv}")
        shutil.rmtree(paths.venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(paths.venv)], check=True)
    pip = [str(paths.python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-c", str(CONSTRAINTS)]
    editables = [argument for project in _editable_projects() for argument in ("-e", str(project))]
    report("installing the OpenStack services (pinned by constraints.txt)")
    try:
        # uv installs the ~190 packages several times faster than pip; pip remains the fallback.
        subprocess.run([*pip, "uv"], check=True)
        subprocess.run([str(paths.bin("uv")), "pip", "install", "-q", "--compile-bytecode",
                        "--python", str(paths.python), "-c", str(CONSTRAINTS), "-r", str(REQUIREMENTS), *editables],
                       check=True)
    except (subprocess.CalledProcessError, OSError) as error:
        report(f"uv failed ({error}); installing with pip")
        subprocess.run([*pip, "-r", str(REQUIREMENTS), *editables], check=True)
    stamp.write_text(fingerprint)
    report(f"virtualenv ready in {time.monotonic() - started:.0f} s")


def main() -> None:
    paths = Paths()
    paths.root.mkdir(parents=True, exist_ok=True)
    ensure_apt_packages()
    ensure_venv(paths)


if __name__ == "__main__":
    main()
