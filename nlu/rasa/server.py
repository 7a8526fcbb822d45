"""Rasa 3.6.21 in its own Python 3.10 venv: install, train a bot's data, serve it on loopback.

Rasa 3.6 needs Python 3.10 (voxflow runs on 3.11) and brings TensorFlow 2.12, so it lives in a
venv of its own, by default ~/.cache/voxflow/rasa-3.6.21 (`VOXFLOW_RASA_VENV` moves it),
outside the work tree so that a fresh checkout, CI's included, reuses it. Packages are pinned
by constraints-3.6.21.txt beside this file. The server listens on 127.0.0.1 only, with
telemetry off, and is stopped by its process id.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nlu.rasa.project import DIET_EPOCHS, write_project
from runtime.intents import load_training_data

RASA_VERSION = "3.6.21"
CONSTRAINTS = Path(__file__).with_name(f"constraints-{RASA_VERSION}.txt")
VENV_ENV = "VOXFLOW_RASA_VENV"
HOST = "127.0.0.1"  # loopback only: the server has no authentication
START_TIMEOUT_S = 300  # loading TensorFlow and the model takes 20-60 s on two cores


class RasaSetupError(RuntimeError):
    """Rasa cannot be installed, trained or started; the message says why and what to do."""


def default_venv() -> Path:
    configured = os.environ.get(VENV_ENV, "").strip()
    return Path(configured) if configured else (
        Path.home() / ".cache" / "voxflow" / f"rasa-{RASA_VERSION}")


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2",
               SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONWARNINGS="ignore")
    return env


def _version_key(path: str) -> tuple[int, ...]:
    match = re.search(r"3\.10\.(\d+)", path)
    return (int(match.group(1)),) if match else (-1,)


def find_python310() -> Path:
    """A Python 3.10 interpreter: pyenv's newest 3.10.x, else `python3.10` on PATH."""
    roots: list[str] = []
    pyenv = shutil.which("pyenv") or str(Path.home() / ".pyenv" / "bin" / "pyenv")
    if Path(pyenv).is_file():
        done = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if done.returncode == 0 and done.stdout.strip():
            roots.append(done.stdout.strip())
    roots += [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    found: list[str] = []
    for root in dict.fromkeys(r for r in roots if r):
        found += glob.glob(os.path.join(root, "versions", "3.10*", "bin", "python3.10"))
    if found:
        return Path(max(found, key=_version_key))
    on_path = shutil.which("python3.10")
    if on_path:
        return Path(on_path)
    raise RasaSetupError("Rasa 3.6 runs on Python 3.10 and none was found (looked in pyenv's "
                         "versions and on PATH); install one, e.g. `pyenv install 3.10`")


def _fingerprint() -> str:
    return hashlib.sha256(CONSTRAINTS.read_bytes()).hexdigest()


def ensure_rasa(venv: Path | None = None, say: Callable[[str], None] = print) -> Path:
    """The venv's `rasa` executable, installing Rasa first when the venv lacks it (about four
    minutes and 2.7 GB); a venv installed from other constraints is rebuilt."""
    venv = venv or default_venv()
    rasa = venv / "bin" / "rasa"
    marker = venv / ".voxflow-constraints"
    if rasa.is_file() and marker.is_file() and marker.read_text().strip() == _fingerprint():
        return rasa
    python = find_python310()
    say(f"installing Rasa {RASA_VERSION} into {venv} (Python {python}); this takes minutes")
    venv.parent.mkdir(parents=True, exist_ok=True)
    _run([str(python), "-m", "venv", "--clear", str(venv)], "create the venv")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
          "--disable-pip-version-check", "-c", str(CONSTRAINTS), f"rasa=={RASA_VERSION}"],
         f"install rasa=={RASA_VERSION}")
    marker.write_text(_fingerprint())
    return rasa


def _run(command: list[str], what: str, cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, env=rasa_env(), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RasaSetupError(f"could not {what} (exit {done.returncode}):\n{tail}")


def train(bot: Path, rasa: Path, workdir: Path, epochs: int = DIET_EPOCHS,
          say: Callable[[str], None] = print) -> Path:
    """Train the bot's nlu.yml with Rasa; returns the model (reused when the data, domain and
    config are unchanged)."""
    nlu = bot / "nlu.yml" if bot.is_dir() else bot
    data = load_training_data(nlu)  # our checks first: clearer errors than Rasa's
    fingerprint = write_project(data, nlu.read_text(encoding="utf-8"), workdir, epochs)
    model = workdir / "models" / f"nlu-{fingerprint}.tar.gz"
    if model.is_file():
        return model
    say(f"training Rasa on {nlu} (DIET, {epochs} epochs)")
    _run([str(rasa), "train", "nlu", "--config", "config.yml", "--nlu", "data/nlu.yml",
          "--domain", "domain.yml", "--out", "models", "--fixed-model-name",
          f"nlu-{fingerprint}"], "train the Rasa model", cwd=workdir)
    return model


@dataclass
class RasaServer:
    pid: int
    url: str
    log: Path

    def stop(self) -> None:
        stop(self.pid)


def start(rasa: Path, model: Path, workdir: Path, port: int = 5005) -> RasaServer:
    """Start `rasa run --enable-api` on 127.0.0.1:port and wait until it answers."""
    log = workdir / "rasa-server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(rasa), "run", "--enable-api", "-i", HOST, "-p", str(port), "-m", str(model)],
            cwd=workdir, env=rasa_env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: stopped by pid, never by name
    (workdir / "rasa-server.pid").write_text(str(process.pid))
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            raise RasaSetupError(f"rasa run exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(f"{url}/", timeout=2) as resp:
                if resp.status == 200:
                    return RasaServer(process.pid, url, log)
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    stop(process.pid)
    raise RasaSetupError(f"rasa run did not answer on {url} within {START_TIMEOUT_S} s "
                         f"(log: {log})")


def stop(pid: int, timeout_s: float = 20.0) -> None:
    """Stop the server (and the process group it leads) by its process id."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                finished, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child: poll for it instead
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return
                finished = 0
            if finished:
                return
            time.sleep(0.2)


def serve(bot: Path, port: int, workdir: Path, epochs: int = DIET_EPOCHS) -> int:
    """`voxflow nlu rasa-serve`: install, train, serve in the foreground until interrupted."""
    rasa = ensure_rasa()
    model = train(bot, rasa, workdir, epochs)
    server = start(rasa, model, workdir, port)
    print(f"Rasa {RASA_VERSION} serves {bot} at {server.url} (pid {server.pid}, log "
          f"{server.log}).\nRun the bot against it with VOXFLOW_RASA_URL={server.url}; "
          "Ctrl-C stops it.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping Rasa", file=sys.stderr)
    finally:
        server.stop()
    return 0
