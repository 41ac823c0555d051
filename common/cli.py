"""Chinese first in the command framework's own words: usage, headings, errors (click).

Our help texts are written Chinese first; click's own messages — ``Usage:``, ``Options``,
``Missing option '--period'``, ``Invalid value for …``, ``No such command …``, ``Show this
message and exit.`` — are English. click marks each with gettext (``_()``/``ngettext()``
from the standard ``gettext`` module); ``install()`` points those hooks at ``translate``, which
puts the Chinese before click's English, keeping click's placeholders, so nothing is lost
when a message is not in the table (it stays English). This is the one place the command
framework is localised; ``guanai/cli.py`` calls ``install()`` before the commands run, so the
node, aggregator, inspector and guanai commands all read the same.
"""

from __future__ import annotations

import importlib

# click's message id → "中文 English" (the same placeholders). Errors name the item in
# Chinese; the English after it is click's own, so a search for it still finds the docs.
MESSAGES: dict[str, str] = {
    "Usage:": "用法 Usage:",
    "Options": "选项 Options",
    "Commands": "命令 Commands",
    "Positional arguments": "参数 Positional arguments",
    "Show this message and exit.": "显示本帮助并退出 Show this message and exit.",
    "Show the version and exit.": "显示版本并退出 Show the version and exit.",
    "Error: {message}": "错误 Error: {message}",
    "Try '{command} {option}' for help.": "查看帮助 Try '{command} {option}' for help.",
    "Missing argument": "缺少参数 Missing argument",
    "Missing option": "缺少选项 Missing option",
    "Missing parameter": "缺少参数 Missing parameter",
    "Missing {param_type}": "缺少 Missing {param_type}",
    "Missing parameter: {param_name}": "缺少参数 Missing parameter: {param_name}",
    "Missing command.": "缺少命令 Missing command.",
    "No such command {name!r}.": "没有此命令 No such command {name!r}.",
    "No such option {name!r}.": "没有此选项 No such option {name!r}.",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带取值 does not take a value.",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要取值 requires an argument.",
    "Option {name!r} requires {nargs} arguments.":
        "选项 {name!r} 需要 {nargs} 个取值 requires {nargs} arguments.",
    "Invalid value for {param_hint}: {message}": "取值无效 Invalid value for {param_hint}: {message}",
    "Invalid value: {message}": "取值无效 Invalid value: {message}",
    "Got unexpected extra argument ({args})": "多余的参数 Got unexpected extra argument ({args})",
    "Got unexpected extra arguments ({args})": "多余的参数 Got unexpected extra arguments ({args})",
    "Did you mean {possibility}?": "是否要用 Did you mean {possibility}?",
    "(Did you mean one of: {possibilities}?)": "（是否要用 Did you mean one of: {possibilities}?）",
    "{value!r} is not {choice}.": "{value!r} 不是可选值 is not {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} 不在可选值中 is not one of {choices}.",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数 is not a valid {number_type}.",
    "{value} is not in the range {range}.": "{value} 超出范围 is not in the range {range}.",
    "{value!r} does not match the format {format}.":
        "{value!r} 格式不符 does not match the format {format}.",
    "{value!r} does not match the formats {formats}.":
        "{value!r} 格式不符 does not match the formats {formats}.",
    "{value!r} is not a valid boolean. Recognized values: {states}":
        "{value!r} 不是是/否值 is not a valid boolean. Recognized values: {states}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在 does not exist.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录 is a directory.",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件 is a file.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读 is not readable.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写 is not writable.",
    "Could not open file {filename!r}: {message}":
        "无法打开文件 Could not open file {filename!r}: {message}",
    "file": "文件 file",
    "directory": "目录 directory",
    "path": "路径 path",
    "Aborted!": "已中止 Aborted!",
    "Do you want to continue?": "是否继续 Do you want to continue?",
    "Confirm the action without prompting.": "不再询问，直接执行 Confirm the action without prompting.",
    "default: {default}": "默认 default: {default}",
    "env var: {var}": "环境变量 env var: {var}",
    "required": "必填 required",
}

# click's modules that mark messages with gettext's ``_`` / ``ngettext``.
CLICK_MODULES = ("click.core", "click.exceptions", "click.types", "click.parser",
                 "click.formatting", "click.decorators", "click.termui", "click.utils")


def translate(message: str) -> str:
    """``message`` (one of click's gettext ids) with Chinese before it; unknown ids unchanged."""
    return MESSAGES.get(message, message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    """gettext's ``ngettext`` for click: the form for ``n``, translated."""
    return translate(singular if n == 1 else plural)


def install() -> None:
    """Point click's gettext hooks at ``translate``; idempotent, affects click only."""
    for name in CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = translate
        if hasattr(module, "ngettext"):
            module.ngettext = translate_plural
