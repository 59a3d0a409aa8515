"""How a label reads inside a sentence, for every page, email and message that puts one there."""

import re

# An acronym opening a label: two or more capitals or digits, perhaps plural or possessive
# ("MSO", "MHRA", "ODS", "NHS", "ICB", "GP", "MSOs", "MSO's").
_ACRONYM = re.compile(r"[A-Z][A-Z0-9]+(?:s|'s|’s)?(?![\w])")


def mid_sentence(label) -> str:
    """The label as it reads after "Change", "Tick" or inside a sentence: its first letter in small
    letters, the rest as written, so acronyms keep their capitals ("Generic MSO mailbox" reads
    "generic MSO mailbox", "Sub-ICB location" "sub-ICB location"); a label that starts with an
    acronym ("MHRA registration updated", "NHS trust") is left as it is."""
    text = str(label)
    if not text or _ACRONYM.match(text):
        return text
    return text[0].lower() + text[1:]
