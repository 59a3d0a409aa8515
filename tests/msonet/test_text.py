"""A label inside a sentence or a visually hidden text keeps its acronyms in capitals."""

import pytest
from django.template import Context, Template

from msonet.text import mid_sentence


@pytest.mark.parametrize(
    ("label", "reads"),
    [
        ("Generic MSO mailbox", "generic MSO mailbox"),
        ("Named MDSO", "named MDSO"),
        ("MHRA registration updated", "MHRA registration updated"),
        ("ODS organisations", "ODS organisations"),
        ("NHS trust", "NHS trust"),
        ("ICB", "ICB"),
        ("GP practice", "GP practice"),
        ("MSOs in post", "MSOs in post"),
        ("MSO's mailbox", "MSO's mailbox"),
        ("Sub-ICB location", "sub-ICB location"),
        ("Integrated care board", "integrated care board"),
        ("A date", "a date"),
        ("", ""),
    ],
)
def test_a_label_reads_in_a_sentence_with_its_acronyms_in_capitals(label, reads):
    assert mid_sentence(label) == reads


def test_the_template_filter_keeps_acronyms_and_escapes_the_label():
    template = Template("{% load nhsuk %}Change<span>{{ label|mid_sentence }}</span>")
    assert (
        template.render(Context({"label": "Generic MSO <mailbox>"})) == "Change<span>generic MSO &lt;mailbox&gt;</span>"
    )
