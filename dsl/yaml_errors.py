"""Plain-words descriptions of YAML errors, with the line they are on (nlu.yml, FAQ files)."""

from __future__ import annotations

import yaml


def describe_yaml_error(exc: yaml.YAMLError, text: str) -> tuple[int, str]:
    """(line, problem in plain words) for a YAML error raised while reading `text`."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "invalid YAML"
        if "<stream end>" in problem or "end of stream" in problem:
            opened = exc.context_mark
            if exc.context and opened and mark and opened.line < mark.line:
                line = opened.line + 1  # where the unclosed bracket or quote opened
                what = exc.context.removeprefix("while parsing ").removeprefix("while scanning ")
                problem = f"{what} is not closed before the end of the file"
            else:
                problem = "the file ends inside a value (an unclosed bracket or quote?)"
        # a mark at the end of the file points past the last line: name the last written one
        line = min(line, max(1, len(text.rstrip().splitlines())))
    else:  # ReaderError: a character YAML does not allow
        position = getattr(exc, "position", 0)
        line = text.count("\n", 0, position) + 1
        problem = "a character YAML does not allow"
    if "<block end>" in problem or "<block mapping start>" in problem:
        problem = "this line's indentation does not match the lines above it"
    elif "mapping values are not allowed" in problem:
        problem = "a `:` where none is expected (put text that holds a colon in quotes)"
    elif "'\\t'" in problem:
        problem = "a tab (indent with spaces)"
    return line, problem
