"""`EnvironmentBuilder(client)`: base image, conda and pip packages, a live preview of the
CLI v2 YAML, create; then the local build's progress and log when the backend offers a build.

Create writes the YAML next to the notebook (`environments/<name>.yml`) so the recorded line
`%aml environment create --file environments/<name>.yml` re-creates the same environment."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any

import traitlets as t

from ..errors import AmlMagicError, UnsupportedError, ValidationError
from ..files import write_text_atomic
from ..rules import DEFAULT_IMAGE
from .base import AmlWidget
from .static import esc, html_card

__all__ = ["EnvironmentBuilder", "environment_spec"]

SCHEMA = "https://azuremlschemas.azureedge.net/latest/environment.schema.json"


def _lines(text: str) -> list[str]:
    # A comma also separates packages, but not inside a specifier (`numpy>=1.26,<2`) or extras
    # (`pandas[excel,plot]`): split only where the next item is not a version operator or in [].
    return [s.strip() for s in re.split(r"\n|,(?![^\[]*\])(?!\s*[<>=!~])", text) if s.strip()]


def environment_spec(name: str, version: str, image: str, conda_packages: str, pip_packages: str,
                     python: str = "3.11") -> dict:
    """The CLI v2 environment YAML as a dict; the conda file is inline."""
    spec: dict = {"$schema": SCHEMA, "name": name or "my-env"}
    if version:
        spec["version"] = version
    spec["image"] = image or DEFAULT_IMAGE
    conda, pip = _lines(conda_packages), _lines(pip_packages)
    if conda or pip:
        deps: list = [f"python={python}", *conda]
        if pip:
            deps += ["pip", {"pip": pip}]
        spec["conda_file"] = {"name": spec["name"], "channels": ["conda-forge"], "dependencies": deps}
    return spec


class EnvironmentBuilder(AmlWidget):
    _kind = t.Unicode("environment_builder").tag(sync=True)
    name = t.Unicode("my-env").tag(sync=True)
    version = t.Unicode("").tag(sync=True)
    image = t.Unicode(DEFAULT_IMAGE).tag(sync=True)
    conda_packages = t.Unicode("").tag(sync=True)
    pip_packages = t.Unicode("").tag(sync=True)
    yaml_preview = t.Unicode("").tag(sync=True)
    build_status = t.Unicode("").tag(sync=True)
    build_log = t.Unicode("").tag(sync=True)

    def __init__(self, client: Any, folder: str | os.PathLike = "environments", **kwargs: Any):
        super().__init__(**kwargs)
        self.client = client
        self.folder = Path(folder)
        self.observe(lambda _change: self._preview(), ["name", "version", "image", "conda_packages", "pip_packages"])
        self._preview()

    def __repr__(self) -> str:
        return f"EnvironmentBuilder(name={self.name!r})"

    def spec(self) -> dict:
        return environment_spec(self.name, self.version, self.image, self.conda_packages, self.pip_packages)

    def _preview(self) -> None:
        import yaml

        self.yaml_preview = yaml.safe_dump(self.spec(), sort_keys=False)

    def do_create(self) -> Any:
        from azure.ai.ml.entities import Environment

        spec = self.spec()
        if not self.name:
            raise ValidationError("the environment needs a name")
        path = self.folder / f"{spec['name']}.yml"
        write_text_atomic(path, self.yaml_preview)
        env = Environment(name=spec["name"], version=spec.get("version"), image=spec["image"],
                          conda_file=spec.get("conda_file"))
        created = self.client.environments.create_or_update(env)
        self._did("environment", "create", created, file=str(path))
        self._start_build(created)
        return created

    def wait_built(self, timeout: float) -> bool:
        """Block until the build thread has finished (tests, headless notebooks)."""
        thread = getattr(self, "_thread", None)
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _start_build(self, env: Any) -> None:
        """Build in a thread (`environments.build`), its log in the widget; a backend that builds
        on first use (Azure) says so through UnsupportedError, shown as the build status."""
        self.build_status = "building"
        self.build_log = ""

        def run() -> None:
            try:
                python = self.client.environments.build(env.name, str(env.version),
                                                        lambda line: self._append_log(line + "\n"))
                self.build_status = f"built: {python}"
            except UnsupportedError as exc:
                self.build_status = f"registered {env.name}:{env.version}; {exc}"
            except AmlMagicError as exc:  # the build failed: show why in the widget
                self.build_status = f"failed: {exc}"
            finally:
                self.refresh_displays()

        self._thread = threading.Thread(target=run, name="amlmagic-env-build", daemon=True)
        self._thread.start()

    def _append_log(self, text: str) -> None:
        self.build_log = (self.build_log + text)[-20_000:]

    def static_html(self) -> str:
        body = f"<pre>{esc(self.yaml_preview)}</pre>"
        if self.build_status:
            body += f"<div>build: {esc(self.build_status)}</div>"
        return html_card("Environment", body, kind="aml-environment-builder")
