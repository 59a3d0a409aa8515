"""A message's body: plain text shown as paragraphs with its http(s) links, everything else escaped;
links of any other kind refused."""

import pytest
from django.core.exceptions import ValidationError

from mailings.text import body_html, validate_links


def test_blank_lines_make_paragraphs_and_single_newlines_line_breaks():
    assert body_html("First\nline two\n\n\n Second") == "<p>First<br>line two</p>\n<p> Second</p>\n"


def test_html_in_the_body_is_shown_as_text():
    assert body_html('<script>alert("x")</script> & <b>bold</b>') == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>\n"
    )


@pytest.mark.parametrize(
    ("text", "link", "after"),
    [
        ("Read https://www.england.nhs.uk/alerts/.", "https://www.england.nhs.uk/alerts/", "."),
        ("(see https://nhs.uk/a)", "https://nhs.uk/a", ")"),
        (
            "see https://en.wikipedia.org/wiki/Insulin_(medication), then",
            "https://en.wikipedia.org/wiki/Insulin_(medication)",
            ", then",
        ),
        ("HTTP://nhs.uk/x?a=1&b=2", "HTTP://nhs.uk/x?a=1&amp;b=2", ""),
    ],
)
def test_http_links_are_clickable_as_written(text, link, after):
    html = body_html(text)
    assert f'<a class="nhsuk-link" href="{link}">{link}</a>{after}' in html


def test_an_email_link_carries_its_colour_inline():
    assert (
        body_html("https://nhs.uk", email=True)
        == '<p><a href="https://nhs.uk" style="color: #005eb8;">https://nhs.uk</a></p>\n'
    )


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "JavaScript:void(0)",
        "ftp://files.nhs.uk/a.pdf",
        "file:///C:/alerts.docx",
        "mailto:mso@nhs.net",
        "data:text/html,hello",
        "vbscript:msgbox",
        "sftp://server/x",
    ],
)
def test_links_that_are_not_http_are_refused(text):
    with pytest.raises(ValidationError, match="Links must start with http:// or https://"):
        validate_links(f"Please open {text} today")


@pytest.mark.parametrize(
    "text",
    [
        "The webinar starts at 14:00: join at https://teams.microsoft.com/l/meetup-join/abc",
        "Tel: 020 7946 0000. Email mso@nhs.net",
        "Key points: one, two",
        "Visit www.england.nhs.uk",
    ],
)
def test_ordinary_text_is_not_taken_for_a_link(text):
    validate_links(text)
