"""The versioned JSON IR: nodes to JSON and back, and the JSON Schema that describes it.

A node serialises as an object with "node" (its class name) and its fields; fields equal to
their default are left out, and spans are [line, column, end_line, end_column]. The schema is
generated from the node classes (`python -m dsl.ir > dsl/ir.schema.json`) and shipped with the
package; a test keeps the two in step.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from functools import cache
from importlib import resources
from typing import Any

from dsl import tree as T
from dsl.source import Span

IR_VERSION = 1
SCHEMA_FILE = "ir.schema.json"


class IRError(ValueError):
    """The JSON is not a voxflow IR document this version can read."""


@cache
def _fields(cls: type) -> tuple[tuple[str, Any, Any], ...]:
    hints = typing.get_type_hints(cls, vars(T))
    out = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else dataclasses.MISSING
        out.append((f.name, hints[f.name], default))
    return tuple(out)


def to_json(node: Any) -> Any:
    if isinstance(node, T.Node):
        out: dict[str, Any] = {"node": type(node).__name__}
        for name, _hint, default in _fields(type(node)):
            value = getattr(node, name)
            if default is not dataclasses.MISSING and value == default:
                continue
            out[name] = to_json(value)
        return out
    if isinstance(node, Span):
        return node.to_json()
    if isinstance(node, tuple):
        return [to_json(v) for v in node]
    return node


def from_json(data: Any, hint: Any = None) -> Any:
    if isinstance(data, dict):
        name = data.get("node")
        cls = T.NODE_TYPES.get(name) if isinstance(name, str) else None
        if cls is None:
            raise IRError(f"unknown node type {name!r}")
        kwargs = {}
        for fname, fhint, _default in _fields(cls):
            if fname in data:
                kwargs[fname] = from_json(data[fname], fhint)
        try:
            return cls(**kwargs)
        except TypeError as exc:
            raise IRError(f"{name}: {exc}") from None
    if isinstance(data, list):
        if hint is Span or (hint is not None and Span in typing.get_args(hint)):
            return Span.from_json(data)
        inner = None
        args = typing.get_args(hint)
        if args and typing.get_origin(hint) is tuple:
            inner = args[0]
        return tuple(from_json(v, inner) for v in data)
    return data


def document(program: T.Program, source: str, imports: dict[str, dict]) -> dict[str, Any]:
    return {"ir_version": IR_VERSION, "source": source, "program": to_json(program),
            "imports": imports}


def load_document(doc: dict[str, Any]) -> T.Program:
    version = doc.get("ir_version") if isinstance(doc, dict) else None
    if version != IR_VERSION:
        raise IRError(f"IR version {version!r} is not supported (this voxflow reads version "
                      f"{IR_VERSION}); recompile the flow")
    program = from_json(doc["program"])
    if not isinstance(program, T.Program):
        raise IRError("the document's program is not a Program node")
    return program


# ---- JSON Schema -------------------------------------------------------------------------------


def _type_schema(hint: Any) -> dict[str, Any]:
    if hint is Span:
        return {"$ref": "#/$defs/Span"}
    if isinstance(hint, type) and issubclass(hint, T.Node):
        return {"$ref": f"#/$defs/{hint.__name__}"}
    origin = typing.get_origin(hint)
    if origin is tuple:
        return {"type": "array", "items": _type_schema(typing.get_args(hint)[0])}
    if origin in (types.UnionType, typing.Union):
        options = [_type_schema(a) for a in typing.get_args(hint)]
        return {"anyOf": options}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean",
              type(None): "null"}
    if hint in simple:
        return {"type": simple[hint]}
    raise TypeError(f"no schema for {hint!r}")


def build_schema() -> dict[str, Any]:
    defs: dict[str, Any] = {
        "Span": {"type": "array", "items": {"type": "integer", "minimum": 0},
                 "minItems": 4, "maxItems": 4,
                 "description": "line, column, end line, end column (1-based; end exclusive)"},
    }
    for name, cls in T.NODE_TYPES.items():
        props: dict[str, Any] = {"node": {"const": name}}
        required = ["node"]
        for fname, hint, default in _fields(cls):
            props[fname] = _type_schema(hint)
            if default is dataclasses.MISSING:
                required.append(fname)
        defs[name] = {"type": "object", "properties": props, "required": required,
                      "additionalProperties": False}
        if cls.__doc__ and not cls.__doc__.startswith(name + "("):
            defs[name]["description"] = " ".join(cls.__doc__.split())
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "voxflow-ir-v1",
        "title": "voxflow flow IR",
        "type": "object",
        "properties": {
            "ir_version": {"const": IR_VERSION},
            "source": {"type": "string"},
            "program": {"$ref": "#/$defs/Program"},
            "imports": {"type": "object", "additionalProperties": {"$ref": "#"}},
        },
        "required": ["ir_version", "source", "program", "imports"],
        "additionalProperties": False,
        "$defs": defs,
    }


def shipped_schema() -> dict[str, Any]:
    return json.loads(resources.files("dsl").joinpath(SCHEMA_FILE).read_text(encoding="utf-8"))


if __name__ == "__main__":
    json.dump(build_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
