"""What a command gets: the parsed command, the session (its client), the notebook's folder,
and ways to show things and to record what it created."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..errors import UsageError
from ..session import Session, TrailEntry
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

    @property
    def client(self) -> Any:
        return self.session.client

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

    def record(self, entity: Any, *, action: bool = False) -> Any:
        """Add what this command did to the session's trail (for %aml export): the entity it
        created or changed, or None for a delete (then -n/--endpoint-name name what went);
        honour --export. `action`: the entity is what an action made (a batch invoke's job), not
        the thing the noun names: the entry is keyed by -n and keeps the flags for export."""
        file = self.flag("file")
        command = self.command
        entry = TrailEntry.of(
            command.noun, command.verb, None if action else entity,
            name=self.flag("name"), endpoint_name=self.flag("endpoint_name"),
            line=("%aml " if command.body is None else "%%aml ") + command.line,
            body=command.body,
            source=str((self.cwd / file).resolve()) if file else None,
            base_path=str(((self.cwd / file).resolve().parent) if file else self.cwd),
        )
        if action:
            entry.entity, entry.params = entity, dict(command.args)
        self.session.record(entry)
        target = self.flag("export")
        if target and not action:
            from ..export import export_entity_yaml

            export_entity_yaml(entity, self.cwd / target)
        return entity
