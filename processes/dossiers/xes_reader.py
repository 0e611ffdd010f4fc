"""The streaming XES reader (IEEE 1849): traces one at a time from a plain or gzip stream.

``lxml.etree.iterparse`` with entities, DTDs and the network off; each event is cleared once read
and each trace once handed over, so the memory holds one trace whatever the size of the log. The
``<global>`` defaults and the log's own attributes are collected in a ``LogHeader``; attribute values
are read as the text XES writes (the caller parses dates), nested attributes are ignored.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePath

from flask_babel import gettext as _
from lxml import etree

#: Placeholders that OpenXES writes as the default of a global attribute: no value at all.
PLACEHOLDERS = frozenset({"UNKNOWN", "__INVALID__"})
#: Globals never give their default to an event or trace: an identity or a time cannot be a default.
NO_DEFAULT = frozenset({"concept:name", "time:timestamp", "concept:instance", "identity:id"})


def _local(tag) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parse_timestamp(text: str) -> datetime:
    """An xs:dateTime as XES writes it (offset or Z, any fraction); without an offset it is taken as UTC."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def _open(stream) -> io.BufferedIOBase:
    """A binary stream of the XML, gunzipped when the content is gzip (by its magic bytes, not its name)."""
    if not hasattr(stream, "peek"):
        stream = io.BufferedReader(stream) if hasattr(stream, "readinto") else io.BufferedReader(_Raw(stream))
    return gzip.GzipFile(fileobj=stream) if stream.peek(2)[:2] == b"\x1f\x8b" else stream


class _Raw(io.RawIOBase):
    """A file-like object with only ``read`` as a raw stream (for ``BufferedReader``)."""

    def __init__(self, stream):
        self.stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


@dataclass
class RawTrace:
    """One trace as read: its attributes and its events' attributes (key → value, top level only)."""

    index: int  # 1-based, in the file
    attributes: dict[str, str]
    events: list[dict[str, str]]
    line: int = 0


@dataclass
class LogHeader:
    attributes: dict[str, str] = field(default_factory=dict)
    trace_defaults: dict[str, str] = field(default_factory=dict)
    event_defaults: dict[str, str] = field(default_factory=dict)


class XesSyntaxError(Exception):
    """The file is not a well-formed XES log: the message says where and why."""


def _attributes(element) -> dict[str, str]:
    """The top-level attributes of an element (only attribute elements carry a ``key``)."""
    values = {}
    for child in element:
        key = child.get("key")
        if key is not None:
            value = child.get("value")
            if value is not None and value not in PLACEHOLDERS:
                values[key] = value
    return values


def _defaults(element) -> dict[str, str]:
    return {key: value for key, value in _attributes(element).items() if key not in NO_DEFAULT}


def read_traces(source, header: LogHeader) -> Iterator[RawTrace]:
    """Stream the traces of an XES document (a path or a binary stream, plain or gzip); *header* is filled
    with the log's attributes and globals.

    Each event is cleared once read and each trace once yielded, so memory holds one trace at a time.
    Raises XesSyntaxError for a document that is not well-formed XML or not an XES log.
    """
    if isinstance(source, (str, PurePath)):
        with open(source, "rb") as stream:
            yield from _traces(stream, header)
    else:
        yield from _traces(source, header)


def _traces(stream, header: LogHeader) -> Iterator[RawTrace]:
    parser = etree.iterparse(_open(stream), events=("end",), tag=("{*}event", "{*}trace", "{*}global"),
                             resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True,
                             remove_pis=True, huge_tree=False)
    index = 0
    events: list[dict[str, str]] = []
    seen_log = False
    try:
        for _event, element in parser:
            tag = element.tag
            parent = element.getparent()
            parent_tag = parent.tag if parent is not None else ""
            if tag.endswith("event") and parent_tag.endswith("trace"):
                events.append(_attributes(element))
                element.clear()
            elif tag.endswith("trace") and _local(parent_tag) == "log":
                if not seen_log:
                    seen_log = True
                    header.attributes.update(_attributes(parent))
                index += 1
                yield RawTrace(index, _attributes(element), events, element.sourceline or 0)
                events = []
                element.clear()
                while element.getprevious() is not None:
                    del parent[0]
            elif tag.endswith("global") and _local(parent_tag) == "log":
                scope = element.get("scope", "event")
                (header.trace_defaults if scope == "trace" else header.event_defaults).update(_defaults(element))
        root = parser.root
    except etree.XMLSyntaxError as error:
        raise XesSyntaxError(_("The file is not well-formed XML (line %(line)s, column %(column)s): %(message)s",
                               line=error.lineno, column=error.offset, message=error.msg)) from error
    except (OSError, EOFError, zlib.error) as error:
        raise XesSyntaxError(_("The file cannot be read as XES or gzip: %(message)s", message=str(error))) from error
    if root is None or _local(root.tag) != "log":
        raise XesSyntaxError(_("The document is not an XES event log: its root element is <%(tag)s>, not <log>.",
                               tag=_local(root.tag) if root is not None else ""))
    if not seen_log:
        header.attributes.update(_attributes(root))
