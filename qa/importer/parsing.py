"""Reading a bank file into plain Python data: YAML (with line numbers on every mapping and
duplicate fields as errors) or JSON (duplicate fields as errors too)."""

from __future__ import annotations

import gc
import json
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from qa.importer.files import EXTENSIONS, BankFileError


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold back the cyclic garbage collector while millions of small objects are made.

    A large bank is millions of YAML nodes, strings and dicts, none of them in a reference
    cycle; every allocation threshold crossed would otherwise start a collection that walks
    all of them again, which makes parsing a 100k-question bank several times slower.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Mapping(dict):
    """A YAML mapping that remembers the line it started on (for error messages)."""

    line: int | None = None


# libyaml's parser when it is available: the pure-Python one takes minutes on a large bank.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_BUILDING = object()


class _Loader(_SafeLoader):
    """Safe YAML with line numbers on mappings, and duplicate fields as errors (PyYAML
    silently keeps the last one, which would hide a copy-paste mistake).

    A bank file is text in mappings and lists, so the document is built by one direct walk
    over the nodes; any other node (numbers, booleans, dates, merge keys, explicit tags) is
    handed to PyYAML's own constructors, which give it its usual meaning.
    """

    def construct_document(self, node):
        self._built: dict[Any, Any] = {}
        try:
            return self._build(node)
        finally:
            self._built = {}
            self.constructed_objects = {}
            self.recursive_objects = {}

    def _build(self, node) -> Any:
        kind, tag = node.__class__, node.tag
        if kind is ScalarNode and tag == _STR:
            return node.value
        built = self._built.get(node)
        if built is not None:  # an alias: the same node again
            if built is _BUILDING:
                raise ConstructorError(None, None, "found unconstructable recursive node",
                                       node.start_mark)
            return built
        if kind is MappingNode and tag == _MAP and all(
            key.__class__ is ScalarNode and key.tag == _STR for key, _value in node.value
        ):
            self._built[node] = _BUILDING
            data = Mapping()
            data.line = node.start_mark.line + 1
            for key_node, _value_node in node.value:
                if key_node.value in data:
                    _duplicate(node, key_node, key_node.value)
                data[key_node.value] = None
            for key_node, value_node in node.value:
                data[key_node.value] = self._build(value_node)
        elif kind is SequenceNode and tag == _SEQ:
            self._built[node] = _BUILDING
            data = [self._build(item) for item in node.value]
        else:
            data = self.construct_object(node, deep=True)
        self._built[node] = data
        return data

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise ConstructorError("while constructing a mapping", node.start_mark,
                                       "found unhashable key", key_node.start_mark)
            if key in seen:
                _duplicate(node, key_node, key)
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def _duplicate(node, key_node, key) -> None:
    raise ConstructorError("while constructing a mapping", node.start_mark,
                           f"found duplicate field {key!r}", key_node.start_mark)


def _construct_map(loader: _Loader, node) -> Iterator[Mapping]:
    data = Mapping()
    data.line = node.start_mark.line + 1
    yield data
    data.update(loader.construct_mapping(node))


_Loader.add_constructor(_MAP, _construct_map)


class DuplicateField(ValueError):
    """A JSON object gives the same field twice (json.loads would keep the last silently)."""


def no_duplicate_fields(pairs: list[tuple[str, Any]]) -> dict:
    """json.loads's object_pairs_hook: a dict, refusing a field given twice."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise DuplicateField(f"duplicate field {key!r}", key)
        data[key] = value
    return data


def parse(path: Path, label: str) -> Any:
    """The file's data, or BankFileError naming the file and (where known) the line."""
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise BankFileError([f"{label}: unsupported file type {suffix or '(none)'!r}; "
                             f"use .yaml, .yml or .json"])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BankFileError([f"{label}: file not found"]) from None
    except IsADirectoryError:
        raise BankFileError([f"{label}: is a directory, not a bank file"]) from None
    except UnicodeDecodeError as exc:
        raise BankFileError([f"{label}: not UTF-8 text (byte {exc.start})"]) from None
    if suffix == ".json":
        try:
            return json.loads(text, object_pairs_hook=no_duplicate_fields)
        except json.JSONDecodeError as exc:
            raise BankFileError([f"{label}: invalid JSON at line {exc.lineno}, column "
                                 f"{exc.colno}: {exc.msg}"]) from None
        except ValueError as exc:
            raise BankFileError([f"{label}: invalid JSON: {exc}"]) from None
        except RecursionError:
            raise BankFileError([f"{label}: invalid JSON: nested too deeply"]) from None
    if text.strip() and not text.endswith("\n"):
        # A copy that stopped short parses when the cut falls inside an answer's block (every
        # key still there): the line break a whole file ends with tells most such cuts apart
        # (not one that fell exactly at the end of a line).
        raise BankFileError([f"{label}: the file does not end with a line break, as a whole "
                             "YAML file does: it looks cut off. If it is whole, end it with a "
                             "line break."])
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "syntax error"
        raise BankFileError([f"{label}: invalid YAML{where}: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise BankFileError([f"{label}: invalid YAML: {exc}"]) from None
