"""Checking an extraction template before it is kept: every fault named with its line.

YAML or JSON is loaded with the loader invoice2data reads its own templates with;
each pattern is compiled with the engine invoice2data uses; the node tree maps
each key back to its line, so that an error says where to look.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

import yaml

from untxt.errors import InvalidTemplateError

# Entries a template may hold once YAML aliases are expanded: a few kilobytes of
# aliases can otherwise stand for billions of entries.
_MAX_NODES = 50_000
# The loader invoice2data reads its own templates with.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSERS = ("regex", "lines", "static")
_TYPES = ("int", "float", "date", "datetime")
_GROUPS = ("sum", "min", "max", "first", "last", "join")
_LINE_PATTERNS = ("line", "first_line", "last_line", "skip_line")

Path = tuple[str | int, ...]


def check_template(text: str) -> Any:
    """The template's mapping, checked; :class:`InvalidTemplateError` names the first fault."""
    data = _load(text)
    _Checker(data, _node_lines(text)).check()
    return data


def invalid(message: str, line: int | None = None) -> InvalidTemplateError:
    error = InvalidTemplateError(message)
    if line is not None:
        error.extra["line"] = line
    return error


def _load(text: str) -> Any:
    """The template's mapping, from JSON or YAML (of which JSON is almost a subset)."""
    json_error = None
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            json_error = exc
    try:
        return yaml.load(text, Loader=_LOADER)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        if json_error is not None:
            where = f"line {json_error.lineno}, column {json_error.colno}"
            raise invalid(
                f"template is not valid JSON: {json_error.msg} at {where}", json_error.lineno
            ) from None
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)
        if mark is None and isinstance(position, int):
            line = text.count("\n", 0, position) + 1
            raise invalid(f"template is not valid YAML: {exc} (line {line})", line) from None
        if mark is None:
            raise invalid(f"template is not valid YAML: {exc}") from None
        problem = " ".join(
            p for p in (getattr(exc, "context", None), getattr(exc, "problem", None)) if p
        )
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        raise invalid(f"template is not valid YAML: {problem} at {where}", mark.line + 1) from None


def _node_lines(text: str) -> dict[Path, tuple[int, int]]:
    """For each key path of the template, the 1-based lines of its key and of its value."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except (yaml.YAMLError, ValueError, RecursionError):
        return {}
    lines: dict[Path, tuple[int, int]] = {}
    stack: list[tuple[Path, Any, int]] = [((), root, 1)]
    while stack and len(lines) < _MAX_NODES:
        path, node, key_line = stack.pop()
        if node is None:
            continue
        lines.setdefault(path, (key_line, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                step = key.value if isinstance(key, yaml.ScalarNode) else str(key.value)
                stack.append(((*path, step), value, key.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(
                ((*path, i), item, item.start_mark.line + 1) for i, item in enumerate(node.value)
            )
    return lines


class _Checker:
    """Checks a loaded template as invoice2data will use it, failing on the first fault."""

    def __init__(self, data: Any, lines: dict[Path, tuple[int, int]]) -> None:
        self.data = data
        self.lines = lines

    def fail(self, path: Path, message: str, *, at_key: bool = False) -> NoReturn:
        line = None
        for depth in range(len(path), -1, -1):
            if path[:depth] in self.lines:
                key_line, value_line = self.lines[path[:depth]]
                line = key_line if at_key or depth < len(path) else value_line
                break
        where = ".".join(map(str, path)) or "template"
        raise invalid(f"{where}{f' (line {line})' if line else ''}: {message}", line)

    def check(self) -> None:
        data = self.data
        if not isinstance(data, dict):
            self.fail((), f"a template is a mapping (keywords, fields, options), not {_kind(data)}")
        self._size()
        if "keywords" not in data:
            self.fail((), "keywords are missing: the texts a document must print to be read by it")
        self._texts(("keywords",), data["keywords"], required=True)
        if "exclude_keywords" in data:
            self._texts(("exclude_keywords",), data["exclude_keywords"])
        fields = data.get("fields")
        if fields is not None and not isinstance(fields, dict):
            self.fail(
                ("fields",), f"fields are a mapping of names to patterns, not {_kind(fields)}"
            )
        for key, value in (fields or {}).items():
            self._field(("fields", key), key, value)
        if "lines" in data:
            self._lines(("lines",), data["lines"])
        if "tables" in data:
            self._tables(("tables",), data["tables"])
        if data.get("options") is not None:
            self._options(("options",), data["options"])
        priority = data.get("priority", 5)
        if isinstance(priority, bool) or not isinstance(priority, (int, float)):
            self.fail(("priority",), "priority is a number (5 unless given)")
        required = data.get("required_fields", [])
        if not isinstance(required, list) or not all(isinstance(f, str) for f in required):
            self.fail(("required_fields",), "required_fields is a list of field names")
        for key in ("issuer", "template_name"):
            if isinstance(data.get(key), (list, dict)):
                self.fail((key,), f"{key} is a string")

    def _size(self) -> None:
        count, stack = 0, [self.data]
        while stack:
            item = stack.pop()
            count += 1
            if count > _MAX_NODES:
                self.fail((), f"template holds more than {_MAX_NODES} entries")
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    def _texts(self, path: Path, value: Any, *, required: bool = False) -> None:
        items = value if isinstance(value, list) else [value]
        if required and not items:
            self.fail(path, "list at least one keyword")
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                where = (*path, index) if isinstance(value, list) else path
                self.fail(where, "a keyword is a non-empty string, matched as printed")

    def _field(self, path: Path, key: Any, value: Any) -> None:
        if not isinstance(key, str):
            self.fail(path, "a field's name is a string", at_key=True)
        if key.startswith("static_"):
            return
        if isinstance(value, (str, list)):
            self._patterns(path, value)
            return
        if not isinstance(value, dict):
            self.fail(path, "a field is a pattern, a list of patterns, or a mapping with a parser")
        parser = value.get("parser")
        if parser not in _PARSERS:
            self.fail(
                path, f"parser must be one of {', '.join(_PARSERS)}, not {parser!r}", at_key=True
            )
        if parser == "static" and "value" not in value:
            self.fail(path, "a static field needs a value", at_key=True)
        if parser == "lines":
            self._lines(path, value)
        if parser != "regex":
            return
        if "regex" not in value:
            self.fail(path, "a regex field needs a regex", at_key=True)
        self._patterns((*path, "regex"), value["regex"])
        if "type" in value and value["type"] not in _TYPES:
            self.fail((*path, "type"), f"type must be one of {', '.join(_TYPES)}")
        if "group" in value and value["group"] not in _GROUPS:
            self.fail((*path, "group"), f"group must be one of {', '.join(_GROUPS)}")
        if "replace" in value:
            self._replace((*path, "replace"), value["replace"])

    def _patterns(self, path: Path, value: Any) -> None:
        if isinstance(value, list):
            for index, item in enumerate(value):
                self._pattern((*path, index), item)
        else:
            self._pattern(path, value)

    def _pattern(self, path: Path, pattern: Any) -> None:
        from invoice2data.extract import _regex

        if not isinstance(pattern, str):
            self.fail(path, f"a pattern is a string, not {_kind(pattern)}")
        try:
            _regex.compile(pattern)
        except Exception as exc:  # the engine's own error type, re's or regex's
            self.fail(path, f"pattern {pattern!r} does not compile: {exc}")

    def _replace(self, path: Path, pairs: Any, *, single: bool = True) -> None:
        """``[pattern, replacement]`` pairs (or, where ``single``, one such pair)."""
        from invoice2data.extract import _regex

        if (
            single
            and isinstance(pairs, list)
            and len(pairs) == 2
            and all(isinstance(p, str) for p in pairs)
        ):
            pairs = [pairs]
        if not isinstance(pairs, list):
            self.fail(path, "replace is a list of [pattern, replacement] pairs")
        for index, pair in enumerate(pairs):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str)):
                self.fail((*path, index), "a replacement is a [pattern, replacement] pair")
            self._pattern((*path, index, 0), pair[0])
            try:
                _regex.compile(pair[0]).sub(pair[1], "")
            except Exception as exc:  # the engine's own error type, re's or regex's
                self.fail((*path, index, 1), f"replacement {pair[1]!r} is not valid: {exc}")

    def _lines(self, path: Path, settings: Any) -> None:
        if not isinstance(settings, dict):
            self.fail(
                path, f"lines settings are a mapping (start, end, line), not {_kind(settings)}"
            )
        rules: list[tuple[Path, Any]] = [(path, settings)]
        if "rules" in settings:
            if not isinstance(settings["rules"], list) or not settings["rules"]:
                self.fail((*path, "rules"), "rules is a list of mappings (start, end, line)")
            rules = [((*path, "rules", i), rule) for i, rule in enumerate(settings["rules"])]
        for where, rule in rules:
            if not isinstance(rule, dict):
                self.fail(where, f"a rule is a mapping (start, end, line), not {_kind(rule)}")
            for key in ("start", "end", "line"):
                if key not in rule:
                    self.fail(where, f"lines need {key}", at_key=True)
            self._pattern((*where, "start"), rule["start"])
            self._pattern((*where, "end"), rule["end"])
            for key in _LINE_PATTERNS:
                if key in rule:
                    self._patterns((*where, key), rule[key])
            self._types(where, rule.get("types", settings.get("types")))
        if "replace" in settings:
            replace = settings["replace"]
            entries = [replace] if isinstance(replace, dict) else replace
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                self.fail((*path, "replace"), "replace maps line fields to replacement pairs")
            for entry in entries:
                for key, pairs in entry.items():
                    self._replace((*path, "replace", key), pairs)

    def _tables(self, path: Path, tables: Any) -> None:
        if not isinstance(tables, list):
            self.fail(path, "tables are a list of mappings (start, end, body)")
        for index, table in enumerate(tables):
            where = (*path, index)
            if not isinstance(table, dict):
                self.fail(where, f"a table is a mapping (start, end, body), not {_kind(table)}")
            for key in ("start", "end", "body"):
                if key not in table:
                    self.fail(where, f"a table needs {key}", at_key=True)
            for key in ("start", "end", "body", "field_separator", "line_separator"):
                if key in table:
                    self._pattern((*where, key), table[key])
            self._types(where, table.get("types"))

    def _types(self, path: Path, types: Any) -> None:
        if types is None:
            return
        if not isinstance(types, dict):
            self.fail((*path, "types"), "types map line fields to int, float, date or datetime")
        for key, kind in types.items():
            if kind not in _TYPES:
                self.fail((*path, "types", key), f"type must be one of {', '.join(_TYPES)}")

    def _options(self, path: Path, options: Any) -> None:
        if not isinstance(options, dict):
            self.fail(path, f"options are a mapping, not {_kind(options)}")
        languages = options.get("languages", [])
        if not isinstance(languages, list):
            self.fail((*path, "languages"), "languages is a list of 2-letter codes, like [nl]")
        for index, code in enumerate(languages):
            if not (isinstance(code, str) and len(code) == 2 and code.isalpha()):
                self.fail((*path, "languages", index), f"{code!r} is not a 2-letter language code")
        separator = options.get("decimal_separator", ".")
        if not (isinstance(separator, str) and len(separator) == 1):
            self.fail((*path, "decimal_separator"), "decimal_separator is one character")
        if "replace" in options:
            self._replace((*path, "replace"), options["replace"], single=False)
        formats = options.get("date_formats", [])
        if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
            self.fail((*path, "date_formats"), "date_formats is a list of strptime formats")
        if not isinstance(options.get("currency", ""), str):
            self.fail((*path, "currency"), "currency is a code, like EUR")


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", type(None): "nothing"}
    return names.get(type(value), f"a {type(value).__name__}")
