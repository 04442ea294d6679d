"""The Jinja2 sandbox every template renders in, and how a failure in one is reported.

A publication's own ``templates/`` folder arrives with pull requests, and both CI's
``check`` and the editor's ``render`` run it, so a template must not be able to run code,
read files, or hang the machine:

- Jinja's ``SandboxedEnvironment`` refuses ``__class__``, ``__globals__`` and every other
  ``_`` attribute; on top of that no attribute of a path (``style.folder.read_text()``), no
  module, and none of pydantic's own model API (``parse_file`` reads any file) is reachable.
- A publication's template files must be regular files of at most ``MAX_TEMPLATE_BYTES``
  that really lie inside its ``templates/`` folder: a symbolic link to ``~/.ssh/id_rsa``
  or ``/dev/zero`` is refused, not included.
- Work is metered per render: calls, attribute lookups, operators, filters and loop items
  each cost a step (a ``range`` its length, a call or filter a step more per
  ``CHARS_PER_STEP`` characters it is given), at most ``MAX_STEPS``, and a render stops
  after ``MAX_SECONDS`` of CPU time, since one step of markdown may cost a thousand of
  attribute lookups; no string, list or output grows past ``MAX_TEXT``; no format call or
  slow filter is given more than ``MAX_ARGUMENT`` characters (one call of either runs to its
  end before the clock is read again); macros nest at most ``MAX_MACRO_DEPTH`` deep.

Every refusal is a ``jinja2.sandbox.SecurityError``, which ``template_failure`` turns into
one line naming the template file and line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import re
import string
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache, update_wrapper, wraps
from itertools import islice
from pathlib import Path, PurePath
from types import (
    BuiltinMethodType,
    FunctionType,
    MappingProxyType,
    MethodType,
    ModuleType,
    TracebackType,
)
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.runtime import Macro, Namespace, Undefined, markup_join, str_join
from jinja2.sandbox import (
    SandboxedEnvironment,
    SecurityError,
    is_internal_attribute,
    safe_range,
)
from jinja2.visitor import NodeTransformer
from markupsafe import Markup
from pydantic import BaseModel

from newsletter.errors import NewsletterError

# A 1,000-paper issue takes about 100,000 steps in any built-in style, and its HTML is
# about 3 million characters: the limits leave room for issues a hundred times larger.
MAX_STEPS = 10_000_000
# The same issue renders in under a second: on a slow, loaded machine there is still room.
MAX_SECONDS = 5.0
MAX_TEXT = 20_000_000
MAX_ARGUMENT = 1 << 20  # as an entry file: markdown runs at ~5 µs a character, sort at ~2
CHARS_PER_STEP = 64
_CLOCK_EVERY = 1024  # steps between two readings of the clock
MAX_MACRO_DEPTH = 64
# Frames an include may add to the stack: each level of {% include %} takes one. Well
# below Python's recursion limit, so a template that includes itself stops cleanly.
MAX_INCLUDE_FRAMES = 200
MAX_NESTING = 16  # lists in lists: data is at most three deep
MAX_TEMPLATE_BYTES = 1 << 20  # as for an entry file
MAX_INT_BITS = 1 << 16  # ~20,000 digits; an int takes quadratic time to print

_TEXT = (str, Markup)
_SCALARS = frozenset({str, Markup, int, float, bool, type(None)})
_CONTAINERS = (list, tuple, set, frozenset, deque)
# Concrete types, not the Mapping ABC: an isinstance() against an ABC is slow, and these
# are every mapping a template can make or be given.
_WALKED = (*_CONTAINERS, dict, MappingProxyType, Namespace)
# Every name pydantic's BaseModel defines; a set, as hasattr() on the class is slow.
_PYDANTIC_API = frozenset(dir(BaseModel))
# Attribute values that lead nowhere further, returned without a closer look.
_PLAIN = frozenset({str, Markup, int, float, bool, type(None), list, tuple, dt.date})
_METHODS = (MethodType, BuiltinMethodType)
_VERDICTS: dict[tuple[type, str, type], bool] = {}
_SAFE_FUNCTIONS: dict[Callable[..., Any], bool] = {}


class TemplateRenderError(NewsletterError):
    """A template failed: where (the template file and line) and what, for ``render``'s
    one-line error and for ``check``'s ``template-error`` problem. ``ran_out`` when it
    used up its steps or its CPU time: the failure that costs the most to meet again."""

    def __init__(self, path: Path, line: int, detail: str, *, ran_out: bool = False) -> None:
        self.path, self.line, self.detail, self.ran_out = path, line, detail, ran_out
        super().__init__(f"{_shown(path)}:{line}: template error: {detail}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Made again from its fields when it comes back from a worker of ``--jobs``
        # (pickle would pass __init__ the message alone).
        return (_remade, (self.path, self.line, self.detail, self.ran_out))


def _remade(path: Path, line: int, detail: str, ran_out: bool) -> TemplateRenderError:
    return TemplateRenderError(path, line, detail, ran_out=ran_out)


class RanOut(SecurityError):
    """A render stopped for its steps or its CPU time (see ``_Meter``)."""


def _shown(path: Path | str) -> str:
    from newsletter.entries.problems import display_path

    return display_path(path)


# --- the meter ------------------------------------------------------------------------


class _Meter:
    """One render's use so far: steps, text stored into containers, macro depth, and the
    depth of the Python stack it started at (includes nest on it); and when its time is up.

    ``limit`` is the step count at which ``check`` runs next: the one comparison each step
    already made against ``MAX_STEPS`` also tells when to read the clock."""

    __slots__ = ("base", "deadline", "depth", "limit", "steps", "stored")

    def __init__(self) -> None:
        self.steps = 0
        self.stored = 0
        self.depth = 0
        self.base = _stack_depth()
        self.deadline = time.thread_time() + MAX_SECONDS
        self.limit = _CLOCK_EVERY

    def check(self) -> None:
        if self.steps > MAX_STEPS:
            raise RanOut(f"the template takes more than {MAX_STEPS:,} steps; a loop "
                         "or a recursion that does not end?")
        if time.thread_time() > self.deadline:
            raise RanOut(f"the template takes more than {MAX_SECONDS:g} s of CPU "
                         "time; a loop or a recursion that does not end?")
        self.limit = min(self.steps + _CLOCK_EVERY, MAX_STEPS)


def _stack_depth(limit: int = 1 << 16) -> int:
    frame, depth = sys._getframe(1), 0
    while frame is not None and depth < limit:
        frame, depth = frame.f_back, depth + 1
    return depth


# A context variable, not an attribute of the (shared, cached) environment: renders in
# threads each have their own.
_METER: ContextVar[_Meter | None] = ContextVar("newsletter_template_meter", default=None)


def _charge(steps: int) -> None:
    meter = _METER.get()
    if meter is not None:  # None while compiling: constant folding calls filters
        meter.steps += steps
        if meter.steps > meter.limit:
            meter.check()


def _charge_text(size: int, what: str) -> None:
    """A call or filter given ``size`` characters: a step per ``CHARS_PER_STEP`` of them,
    so a long text brings the next look at the clock nearer; refused past
    ``MAX_ARGUMENT``, as one such call is not stopped halfway."""
    if size > MAX_ARGUMENT:
        raise SecurityError(f"{what} is given more than {MAX_ARGUMENT:,} characters")
    _charge(size // CHARS_PER_STEP)


def _too_long(what: str) -> SecurityError:
    return SecurityError(f"{what} would be longer than {MAX_TEXT:,} characters")


def _children(value: Any) -> Iterable[Any]:
    """What ``str(value)`` prints of a container (one of ``_WALKED``)."""
    if isinstance(value, _CONTAINERS):
        return value
    if isinstance(value, Namespace):
        value = object.__getattribute__(value, "_Namespace__attrs")
    return [*value.keys(), *value.values()]


def _weigh(value: Any) -> int:
    """About how long ``str(value)`` is, walking containers; raises past ``MAX_TEXT`` or
    ``MAX_NESTING``. A list holding one list twice, nested forty times, is small in memory
    but prints 2**40 items: this is checked wherever a value is about to become text.

    Models and dataclasses count as one object: their data is bounded by the entry files,
    and what a template adds to their lists is weighed as it is added (``_store``)."""
    if type(value) in _SCALARS:
        return len(value) if isinstance(value, str) else 8
    if not isinstance(value, _WALKED):
        return 64
    total = visited = 0
    stack = [(value, 0)]
    try:
        while stack:
            item, depth = stack.pop()
            if depth >= MAX_NESTING:
                raise SecurityError(f"a value nested more than {MAX_NESTING} deep")
            for child in _children(item):
                visited += 1
                kind = type(child)
                if kind is str or kind is Markup:
                    total += len(child) + 4
                elif kind in _SCALARS:
                    total += 8
                elif isinstance(child, _WALKED):
                    stack.append((child, depth + 1))
                else:
                    if isinstance(child, Undefined):
                        str(child)  # strict: raises what it stands for (an unsafe access)
                    total += 64
            if total > MAX_TEXT:
                raise _too_long("a value")
    finally:
        _charge(visited)
    return total


def _store(args: Iterable[Any]) -> None:
    """What a template puts into a list, dict or namespace: weighed against one budget per
    render, so many small additions cannot add up to more than ``MAX_TEXT`` either."""
    meter = _METER.get()
    weight = sum(_weigh(arg) for arg in args)
    if meter is not None:
        meter.stored += weight
        if meter.stored > MAX_TEXT:
            raise _too_long("what the template stores")


class _Namespace(Namespace):
    """``namespace()``; ``{% set ns.x = ... %}`` is an assignment no other hook sees."""

    def __setitem__(self, name: str, value: Any) -> None:
        _store([value])
        super().__setitem__(name, value)


# --- formatting -----------------------------------------------------------------------

_NUMBERS = re.compile(r"\d+")
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_spec(spec: str) -> None:
    """A width or precision in a format spec (``{:>99999999}``, ``%99999999d``) is the
    size of the text it makes."""
    if any(int(number) > MAX_TEXT for number in _NUMBERS.findall(spec)):
        raise _too_long("a formatted value")


@lru_cache(maxsize=1024)  # format strings are the template's own constants, used per paper
def _printf_problem(template: str) -> str | None:
    for match in _PRINTF.finditer(template):
        width, precision = match.groups()
        if "*" in (width, precision):  # a width taken from the values: not worth allowing
            return "a '*' width in a % format is not allowed"
        if any(int(number) > MAX_TEXT for number in (width, precision) if number):
            return f"a formatted value would be longer than {MAX_TEXT:,} characters"
    return None


def _check_printf(template: str, values: Any) -> None:
    problem = _printf_problem(template)
    if problem is not None:
        raise SecurityError(problem)
    if type(values) not in _SCALARS:
        _weigh(values)


def _check_format(template: str, args: Iterable[Any]) -> None:
    for _, field, spec, _ in string.Formatter().parse(template):
        if field is not None and spec:
            if "{" in spec:
                raise SecurityError("a nested {} in a format spec is not allowed")
            _check_spec(spec)
    for arg in args:
        _weigh(arg)


# --- str methods and filters that make more text than they are given ------------------


def _int_arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str,
             default: int = 0) -> int:
    value = args[index] if len(args) > index else kwargs.get(name, default)
    return value if isinstance(value, int) else default


def _len_arg(args: tuple[Any, ...], kwargs: dict[str, Any], index: int, name: str) -> int:
    """How much text an argument adds each time it is used: a string's length, an int
    (an indent) as itself."""
    value = args[index] if len(args) > index else kwargs.get(name, "")
    if isinstance(value, int):
        return value
    return len(value) if isinstance(value, str) else _weigh(value)


def _estimate_str_method(name: str, text: str, args: tuple[Any, ...],
                         kwargs: dict[str, Any]) -> int:
    size = len(text)
    if name in ("center", "ljust", "rjust", "zfill"):
        return max(size, _int_arg(args, kwargs, 0, "width"))
    if name == "expandtabs":
        return size * max(1, _int_arg(args, kwargs, 0, "tabsize", 8))
    if name == "replace":
        return (size + 1) * max(1, _len_arg(args, kwargs, 1, "new"))
    if name == "translate":
        return size * max(1, _len_arg(args, kwargs, 0, "table"))
    if name == "join" and args:
        return _weigh(args[0]) + size * _size(args[0])
    return size


def _estimate_filter(name: str, value: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> int:
    size = len(value) if isinstance(value, str) else _weigh(value)
    if name == "center":
        return max(size, _int_arg(args, kwargs, 0, "width", 80))
    if name == "indent":
        lines = value.count("\n") + 1 if isinstance(value, str) else 1
        return size + lines * _len_arg(args, kwargs, 0, "width")
    if name == "wordwrap":
        return size * (1 + _len_arg(args, kwargs, 2, "wrapstring"))
    if name == "replace":
        return (size + 1) * max(1, _len_arg(args, kwargs, 1, "new"))
    if name == "join":
        return size + _size(value) * _len_arg(args, kwargs, 0, "d")
    if name in ("batch", "slice"):  # with fill_with, that many items are made
        return _int_arg(args, kwargs, 0, "linecount" if name == "batch" else "slices")
    if name == "tojson":
        return size * (1 + MAX_NESTING * _len_arg(args, kwargs, 0, "indent"))
    return size


# Filters that turn their value into text: what they are given is weighed first.
_STRINGIFYING = frozenset({
    "capitalize", "center", "e", "escape", "forceescape", "format", "indent", "join",
    "lower", "pprint", "replace", "safe", "string", "striptags", "title", "tojson", "trim",
    "truncate", "upper", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr"})
_AMPLIFYING = frozenset({"batch", "center", "indent", "wordwrap", "replace", "join",
                         "slice", "sum", "tojson"})
# Filters that run Python code per character or item (or, for sort, per comparison):
# given at most MAX_ARGUMENT of them, as one call is not stopped halfway.
_SLOW = frozenset({"dictsort", "groupby", "max", "min", "sort", "title", "truncate",
                   "unique", "urlize", "wordwrap"})


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter as the sandbox runs it: charged a step, and more for a long value (a slow
    filter refuses a very long one); its value weighed when it becomes text, its output
    estimated first when it can be much larger than its input."""
    # A filter marked pass_context/pass_eval_context/pass_environment gets that first.
    skip = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    amplifies = name in _AMPLIFYING
    weighs = name in _STRINGIFYING or amplifies
    slow = name in _SLOW

    @wraps(func)  # keeps jinja_pass_arg, so Jinja still passes the context
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if len(args) <= skip:
            _charge(1)
        else:
            value = args[skip]
            size = len(value) if isinstance(value, (str, *_CONTAINERS, dict)) else 0
            if slow and size > MAX_ARGUMENT:
                raise SecurityError(f"|{name} is given more than {MAX_ARGUMENT:,} "
                                    "characters or items")
            _charge(1 + size // CHARS_PER_STEP)
        if weighs and len(args) > skip:
            value, rest = args[skip], args[skip + 1:]
            if name == "join" and not isinstance(value, (str, *_CONTAINERS)):
                value = list(value)  # a generator: counted before it is joined
                args = (*args[:skip], value, *rest)
            if name == "format" and isinstance(value, str):
                _check_printf(value, rest)
                if kwargs:
                    _weigh(kwargs)
            elif type(value) not in _SCALARS:
                _weigh(value)
            if amplifies and _estimate_filter(name, value, rest, kwargs) > MAX_TEXT:
                raise _too_long(f"the result of |{name}")
        result = func(*args, **kwargs)
        if isinstance(result, str) and len(result) > MAX_TEXT:
            raise _too_long(f"the result of |{name}")
        return result

    return guarded


# --- templates as compiled ---------------------------------------------------------------


def _loop_items(context: Any, iterable: Any) -> Any:
    """What ``{% for %}`` iterates: a step per item, so no loop runs unmetered."""
    try:
        count = len(iterable)
    except TypeError:  # a generator (a filter's output): counted as it goes
        return _counted(iterable)
    _charge(count + 1)
    return iterable


def _counted(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        _charge(1)
        yield item


def _template_name(context: Any, name: Any) -> Any:
    """The name of an ``{% include %}``, ``{% import %}`` or ``{% extends %}``, as it is
    looked up: a step, and refused when the includes nest too deeply."""
    _charge(1)
    meter = _METER.get()
    if meter is not None and _stack_depth(meter.base + MAX_INCLUDE_FRAMES + 1) > (
            meter.base + MAX_INCLUDE_FRAMES):
        raise SecurityError("templates nested too deeply; an include that includes itself?")
    return name


def _joined(context: Any, *parts: Any) -> Any:
    """``a ~ b``: Jinja joins these with no hook of its own; a doubling chain of
    ``{% set s = s ~ s %}`` lines would otherwise reach any size."""
    _charge(1)
    total = 0
    for part in parts:
        total += len(part) if isinstance(part, str) else _weigh(part)
    if total > MAX_TEXT:
        raise _too_long("a ~ concatenation")
    return markup_join(parts) if context.eval_ctx.autoescape else str_join(parts)



class _Metering(NodeTransformer):
    """Routes loops and ``~`` through the sandbox's ``call``, the one hook Jinja offers."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _internal_call("_loop_items", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _internal_call("_joined", list(node.nodes), node.lineno)

    def _named(self, node: nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends
               ) -> nodes.Node:
        self.generic_visit(node)
        node.template = _internal_call("_template_name", [node.template], node.lineno)
        return node

    visit_Include = visit_Import = visit_FromImport = visit_Extends = _named


def _internal_call(name: str, args: list[nodes.Expr], lineno: int) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name, lineno=lineno), args, [], None, None,
                      lineno=lineno)


@contextlib.contextmanager
def metered() -> Iterator[_Meter]:
    """One render's meter, for what runs inside: compiling the template (Jinja folds
    constant expressions then, calling filters), rendering it, and tidying its output. A
    meter already running is the one used: the limits are for all of it together."""
    meter = _METER.get()
    if meter is not None:
        yield meter
        return
    meter = _Meter()
    token = _METER.set(meter)
    try:
        yield meter
    finally:
        _METER.reset(token)


class _MeteredTemplate(jinja2.Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        with metered():
            return super().render(*args, **kwargs)


class _ContainedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that holds a publication's templates inside its ``templates/``
    folder, and to the size of an entry file."""

    def __init__(self, search_path: tuple[Path, ...], trusted: Path) -> None:
        super().__init__(search_path)
        trusted_prefix = os.path.realpath(trusted) + os.sep
        # None: a built-in folder. Else the real path the files must lie in: the
        # publication's (already real) folder plus the literal name ``templates``, so that
        # ``templates`` itself being a link to elsewhere is refused too.
        self._roots = [
            None if os.path.realpath(folder).startswith(trusted_prefix)
            else os.path.join(os.path.realpath(folder.parent.parent), folder.parent.name)
            for folder in search_path]

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str, Callable[[], bool]]:
        from jinja2.loaders import split_template_path

        pieces = split_template_path(template)  # refuses '..'
        for folder, root in zip(self.searchpath, self._roots, strict=True):
            filename = os.path.join(folder, *pieces)
            if root is None:
                if os.path.isfile(filename):
                    with open(filename, encoding="utf-8") as file:
                        return file.read(), os.path.normpath(filename), lambda: True
                continue
            if not os.path.lexists(filename):
                continue
            real = os.path.realpath(filename)
            shown = _shown(filename)
            if not real.startswith(root + os.sep):
                raise SecurityError(f"{shown} leads outside the publication's templates/ "
                                    "folder")
            if not os.path.isfile(real):
                raise SecurityError(f"{shown} is not a regular file")
            with open(real, "rb") as file:
                raw = file.read(MAX_TEMPLATE_BYTES + 1)
            if len(raw) > MAX_TEMPLATE_BYTES:
                raise SecurityError(f"{shown} is over {MAX_TEMPLATE_BYTES >> 20} MB")
            try:
                return raw.decode("utf-8"), os.path.normpath(filename), lambda: True
            except UnicodeDecodeError as exc:
                raise SecurityError(f"{shown} is not UTF-8 text") from exc
        raise jinja2.TemplateNotFound(template)


class TemplateSandbox(SandboxedEnvironment):
    """The environment every template renders in; see the module's docstring."""

    template_class = _MeteredTemplate
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, search_path: tuple[Path, ...], trusted: Path, **options: Any) -> None:
        super().__init__(loader=_ContainedLoader(search_path, trusted),
                         finalize=_printable, **options)
        self.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs of filler
        self.globals["range"] = _range
        self.globals["namespace"] = _Namespace
        self.filters = {name: _guard_filter(name, func) for name, func in self.filters.items()}
        self._loop_items = _loop_items
        self._joined = _joined
        self._template_name = _template_name

    def compile(self, source: Any, name: str | None = None, filename: str | None = None,
                raw: bool = False, defer_init: bool = False) -> Any:
        if isinstance(source, str):
            source = self.parse(source, name, filename)
        if isinstance(source, nodes.Template):
            source = _Metering().visit(source)
        return super().compile(source, name, filename, raw, defer_init)

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]
        """Every template's output, and every {% set %} block and macro body: counted
        while it is produced, so a loop printing the same string cannot fill the memory.
        In batches, so the counting runs in C."""
        chunks = iter(parts)
        kept: list[str] = []
        total = 0
        while batch := list(islice(chunks, 1024)):
            total += sum(map(len, batch))
            if total > MAX_TEXT:
                raise _too_long("the output")
            kept += batch
        return "".join(kept)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if attr.startswith("_"):
            return False
        if isinstance(obj, BaseModel):
            # Fields and our own methods; not pydantic's API (parse_file, model_rebuild ...).
            return attr not in _PYDANTIC_API
        if isinstance(obj, PurePath) or isinstance(value, ModuleType):
            return False  # a path's methods read, write and delete files
        return not is_internal_attribute(obj, attr)

    def getattr(self, obj: Any, attribute: str) -> Any:
        # The sandbox's getattr, faster: it runs for every `a.b` of every template.
        meter = _METER.get()
        if meter is not None:
            meter.steps += 1
            if meter.steps > meter.limit:
                meter.check()
        try:
            value = getattr(obj, attribute)
        except AttributeError:
            try:
                return obj[attribute]
            except (TypeError, LookupError):
                return self.undefined(obj=obj, name=attribute)
        if attribute.startswith("_"):
            return self.unsafe_undefined(obj, attribute)
        kind = type(value)
        if kind in _PLAIN:  # data, not a way further: only a model's API is refused
            if attribute in _PYDANTIC_API and isinstance(obj, BaseModel):
                return self.unsafe_undefined(obj, attribute)
            return value
        if kind in _METHODS:
            wrapped = self.wrap_str_format(value)
            if wrapped is not None:
                return wrapped
        # The verdict depends on the types and the name only, so it is worked out once.
        key = (type(obj), attribute, kind)
        safe = _VERDICTS.get(key)
        if safe is None:
            safe = _VERDICTS[key] = self.is_safe_attribute(obj, attribute, value)
        return value if safe else self.unsafe_undefined(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _charge(1)
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format(template, (*args, *kwargs.values()))
            return wrapped(*args, **kwargs)

        return update_wrapper(checked, value)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _charge(1)
        if operator == "*":
            _check_product(left, right)
        elif operator == "**":
            if (isinstance(left, int) and isinstance(right, int) and abs(left) > 1
                    and right > 0 and left.bit_length() * right > MAX_INT_BITS):
                raise SecurityError(f"a number over {MAX_INT_BITS:,} bits")
        elif operator == "%" and isinstance(left, str):
            _check_printf(left, right)
        elif (operator == "+" and not isinstance(left, (int, float))
              and _size(left) + _size(right) > MAX_TEXT):
            raise _too_long("a + sum")
        return self.binop_table[operator](left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any,
             **kwargs: Any) -> Any:
        if __obj is _loop_items or __obj is _joined or __obj is _template_name:
            # Compiled in by _Metering; compared by identity, as __obj may be unhashable.
            return __obj(__context, *args)
        meter = _METER.get()
        if meter is not None:
            meter.steps += 1
            if meter.steps > meter.limit:
                meter.check()
        kind = type(__obj)
        if kind is Macro:  # template code: what it prints is weighed as it prints it
            if meter is None:
                return __context.call(__obj, *args, **kwargs)
            return __self._call_macro(meter, __context, __obj, args, kwargs)
        if kind is not BuiltinMethodType and not __self._safely_callable(__obj, kind):
            raise SecurityError(f"{__obj!r} is not safely callable")
        owner = __obj.__self__ if kind in _METHODS else None
        if isinstance(owner, str):
            name = __obj.__name__
            if name == "join" and args and not isinstance(args[0], (str, *_CONTAINERS)):
                args = (list(args[0]), *args[1:])  # a generator: counted first
            if _estimate_str_method(name, owner, args, kwargs) > MAX_TEXT:
                raise _too_long(f"the result of .{name}()")
        elif isinstance(owner, (*_CONTAINERS, dict)):
            _store((*args, *kwargs.values()))  # append, extend, update ...
        else:  # f.prose() and the like: what they are given is what they work through
            size = 0
            for arg in (*args, *kwargs.values()):
                kind = type(arg)
                if kind is str or kind is Markup:
                    size += len(arg)
                elif kind not in _SCALARS and isinstance(arg, _WALKED):
                    size += _weigh(arg)
            if size >= CHARS_PER_STEP:
                _charge_text(size, f"{getattr(__obj, '__name__', 'a function')}()")
        return __context.call(__obj, *args, **kwargs)

    @staticmethod
    def _call_macro(meter: _Meter, context: Any, macro: Macro, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        meter.depth += 1
        try:
            if meter.depth > MAX_MACRO_DEPTH:
                raise SecurityError(f"macros nested more than {MAX_MACRO_DEPTH} deep; a "
                                    "macro that calls itself without end?")
            return context.call(macro, *args, **kwargs)
        finally:
            meter.depth -= 1

    def _safely_callable(self, obj: Any, kind: type) -> bool:
        """``is_safe_callable``, its verdict kept per function: the lookups of its marker
        attributes fail slowly, on every call of f.bold."""
        func = obj.__func__ if kind is MethodType else obj
        try:
            return _SAFE_FUNCTIONS[func]
        except (KeyError, TypeError):  # not seen yet, or not hashable
            pass
        safe = self.is_safe_callable(obj)
        if kind is MethodType or kind is FunctionType:
            _SAFE_FUNCTIONS[func] = safe
        return safe


def _range(*args: int) -> range:
    try:
        items = safe_range(*args)
    except OverflowError as exc:  # the sandbox's own limit, MAX_RANGE items
        raise SecurityError(str(exc)) from None
    _charge(len(items))
    return items


def _printable(value: Any) -> Any:
    """``{{ value }}``: weighed before it is printed (see ``_weigh``)."""
    if type(value) not in _SCALARS and isinstance(value, _WALKED):
        _weigh(value)
    return value


def _size(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return 0


def _check_product(left: Any, right: Any) -> None:
    if isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise SecurityError(f"a number over {MAX_INT_BITS:,} bits")
        return
    for sequence, times in ((left, right), (right, left)):
        if isinstance(times, int) and not isinstance(sequence, (int, float)):
            # A list is weighed, not counted: [long_list] * n holds n times its items.
            size = len(sequence) if isinstance(sequence, str) else _weigh(sequence)
            if size * times > MAX_TEXT:
                raise _too_long("a * repetition")


# --- reporting --------------------------------------------------------------------------


def template_failure(exc: BaseException, search_path: tuple[Path, ...], builtin: Path,
                     fallback: Path) -> TemplateRenderError | None:
    """The failure of a render as the template file and line to fix (the innermost
    publication template the exception passed through, else the innermost template), or
    None when it is newsletter's own: not a Jinja error, and no publication template on
    the stack."""
    folders = tuple(str(folder) + os.sep for folder in search_path)
    ours = str(builtin) + os.sep
    innermost = own = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:  # Jinja gives template code's frames the template's file and line
        filename = tb.tb_frame.f_code.co_filename
        if filename.startswith(folders):
            innermost = (Path(filename), tb.tb_lineno)
            if not filename.startswith(ours):
                own = innermost
        tb = tb.tb_next
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
        own = (Path(exc.filename), exc.lineno or 1)
    if isinstance(exc, jinja2.TemplateNotFound):
        detail = f"template '{exc.name}' not found"
    elif isinstance(exc, jinja2.TemplateError):
        detail = exc.message or type(exc).__name__
    elif own is None:
        return None
    elif isinstance(exc, RecursionError):
        detail = "templates nested too deeply; an include or a loop that calls itself?"
    else:
        detail = f"{type(exc).__name__}: {exc}"
    where, line = own or innermost or (fallback, 1)
    return TemplateRenderError(where, line, detail.rstrip("."),
                               ran_out=isinstance(exc, RanOut))


def frozen_view(value: Any) -> Any:
    """A style as templates see it: its dicts read-only, since the style is cached and
    shared by every issue a process checks or renders."""
    from types import MappingProxyType

    changes = {field.name: MappingProxyType(getattr(value, field.name))
               for field in dataclasses.fields(value)
               if isinstance(getattr(value, field.name), dict)}
    return dataclasses.replace(value, **changes)
