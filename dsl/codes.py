"""Every diagnostic code, with a one-line title. Codes are stable: never reuse or renumber one.

docs/flow-language.md documents each code, and tests/dsl/cases/err/ holds one case per code.
"""

CODES: dict[str, str] = {
    # F01xx syntax
    "F0101": "unexpected token",
    "F0102": "unexpected end of file",
    "F0103": "bad indentation",
    "F0104": "unterminated string",
    "F0105": "unexpected character",
    "F0106": "invalid expression inside a string",
    "F0107": "keyword used as a name",
    # F02xx names and declarations
    "F0201": "unknown step",
    "F0202": "duplicate name",
    "F0203": "unknown queue",
    "F0204": "unknown hours",
    "F0205": "unknown hook",
    "F0206": "unknown knowledge collection",
    "F0207": "unknown intent",
    "F0208": "unknown sub-flow",
    "F0209": "unknown function",
    "F0210": "unknown field of caller",
    "F0211": "unknown slot type or spoken format",
    "F0212": "unknown value",
    "F0213": "missing or repeated flow header or start",
    "F0214": "setting given twice",
    # F03xx menus and input steps
    "F0301": "duplicate key in a menu",
    "F0302": "duplicate phrase in a menu",
    "F0303": "duplicate intent in a menu",
    "F0304": "invalid key",
    "F0305": "menu without a prompt or choices",
    "F0306": "handler that can never run",
    "F0307": "menu key shadows a global handler",
    "F0308": "handler not allowed here",
    # F04xx control flow and data flow
    "F0401": "variable may not be set",
    "F0402": "input step with no way out",
    "F0403": "unreachable step",
    "F0404": "step falls off its end",
    "F0405": "unreachable statement",
    "F0406": "return outside a sub-flow",
    # F05xx types
    "F0501": "type mismatch in a comparison",
    "F0502": "arithmetic on a value that is not a number",
    "F0503": "wrong kind of operand",
    "F0504": "spoken format does not fit the value",
    # F06xx literal values
    "F0601": "invalid pattern",
    "F0602": "invalid duration",
    "F0603": "invalid time of day",
    "F0604": "invalid date",
    "F0605": "unknown time zone",
    "F0606": "invalid digit count",
    "F0607": "confidence out of range",
    "F0608": "invalid language tag",
    "F0609": "number out of range",
    # F07xx files, imports, hooks
    "F0701": "circular import",
    "F0702": "file not found or unreadable",
    "F0703": "hooks module does not parse",
    "F0704": "hook called with the wrong number of arguments",
    "F0705": "invalid training data",
}
