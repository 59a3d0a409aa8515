"""A message's body: plain text written by the sender, shown as paragraphs with its http(s) links.

No other markup, no other kind of link, nothing rewritten and nothing added to track who reads it."""

import re

from django.core.exceptions import ValidationError
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

LINK = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# A link of any other kind (ftp://, file://, a javascript:, data:, mailto: or tel: address).
OTHER_LINK = re.compile(
    r"(?<![\w.+-])(?!https?://)[a-z][a-z0-9+.-]*://\S*|(?<![\w.+-])(?:javascript|vbscript|data|mailto|file|tel|sms):\S+",
    re.IGNORECASE,
)
TRAILING = ".,;:!?'\""


def other_links(text: str) -> list[str]:
    """The links in `text` that are not http(s) links."""
    return [match.group(0) for match in OTHER_LINK.finditer(text)]


def validate_links(text: str) -> None:
    refused = other_links(text)
    if refused:
        shown = ", ".join(dict.fromkeys(refused[:3]))
        raise ValidationError(
            f"Links must start with http:// or https://. Change or remove: {shown}", code="link_scheme"
        )


def _split_link(url: str) -> tuple[str, str]:
    """The link and the punctuation after it that belongs to the sentence."""
    tail = ""
    while url and (url[-1] in TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


def _line_html(line: str, link_style: str) -> str:
    parts, position = [], 0
    for match in LINK.finditer(line):
        url, tail = _split_link(match.group(0))
        parts.append(escape(line[position : match.start()]))
        if link_style:
            parts.append(format_html('<a href="{}" style="{}">{}</a>', url, link_style, url))
        else:
            parts.append(format_html('<a class="nhsuk-link" href="{}">{}</a>', url, url))
        parts.append(escape(tail))
        position = match.end()
    parts.append(escape(line[position:]))
    return "".join(parts)


def paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [block.strip("\n") for block in re.split(r"\n\s*\n", text) if block.strip()]


def body_html(text: str, *, email: bool = False) -> SafeString:
    """The body as HTML: a paragraph for each block between blank lines, a line break for a single
    newline, http(s) links made clickable as they are written; everything else escaped. For an
    email (`email`), the links carry their colour inline, as mail programs want."""
    link_style = "color: #005eb8;" if email else ""
    return mark_safe(  # noqa: S308 (every piece of text in it went through escape or format_html)
        "".join(
            "<p>" + "<br>".join(_line_html(line, link_style) for line in block.split("\n")) + "</p>\n"
            for block in paragraphs(text)
        )
    )
