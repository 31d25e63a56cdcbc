"""What a command gets: the parsed command, the session (its client), the notebook's folder,
and ways to show things and to record what it created."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import UsageError
from ..session import Session
from .parser import Command
from .yaml_input import load_entity, load_fields, parse_overrides

__all__ = ["Context"]


@dataclass
class Context:
    command: Command
    session: Session
    cwd: Path
    show: Callable[[Any], None] = print  # display() in a notebook
    beneath: Callable[[Any], None] | None = None  # displays beneath the result (beneath.py); else show
    in_kernel: bool = False  # a notebook frontend can render widgets
    notices: list[str] = field(default_factory=list)

    @property
    def client(self) -> Any:
        return self.session.client

    @property
    def is_local(self) -> bool:
        return self.session.backend == "local"

    def show_beneath(self, obj: Any) -> None:
        """Display `obj` beneath the command's result (the children of the entity it returns)."""
        (self.beneath or self.show)(obj)

    def flag(self, name: str, default: Any = None) -> Any:
        return self.command.args.get(name, default)

    def from_yaml(self, noun: str, **field_flags: Any) -> Any:
        """The entity of `-f FILE` or the cell body; flags like -n/-v override its fields."""
        overrides = [{k: v} for k, v in field_flags.items() if v is not None]
        overrides += parse_overrides(self.flag("set"))
        return load_entity(noun, file=self.flag("file"), body=self.command.body, cwd=self.cwd, overrides=overrides)

    def from_fields(self, noun: str, **fields: Any) -> Any:
        """The entity the flags describe, loaded like a YAML file so that `--set` overrides its
        fields exactly as with `-f`."""
        return load_fields(noun, fields, cwd=self.cwd, overrides=parse_overrides(self.flag("set")))

    def refuse_set(self, instead: str) -> None:
        """For a command whose flags build no YAML document: `--set` would be silently ignored."""
        if self.flag("set"):
            raise UsageError(f"--set overrides fields of a YAML: {instead}")

    @property
    def has_yaml(self) -> bool:
        return bool(self.flag("file") or self.command.body is not None)

    def record(self, entity: Any) -> Any:
        """Add a create/change to the session's trail (for %aml export); honour --export."""
        file = self.flag("file")
        self.session.record(
            "%aml " + self.command.line if self.command.body is None else "%%aml " + self.command.line,
            entity,
            body=self.command.body,
            source=str((self.cwd / file).resolve()) if file else None,
            base_path=str(((self.cwd / file).resolve().parent) if file else self.cwd),
        )
        target = self.flag("export")
        if target:
            from ..export import export_entity_yaml

            export_entity_yaml(entity, self.cwd / target)
        return entity
