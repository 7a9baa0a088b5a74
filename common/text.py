"""Words inside sentences, in any of the site's languages."""

from django.utils.translation import get_language


def in_sentence(label) -> str:
    """A choice's label (a state, a kind, a side) placed inside a sentence: lower-cased in English ("the
    program is closed"), kept as written in German, whose nouns keep their capital and whose sentences
    quote a label ("den Status „Abgeschlossen“")."""
    text = str(label)
    return text.lower() if (get_language() or "en").startswith("en") else text


def choice_labels(field) -> dict:
    """A model field's choices as {value: label}, each label translated once: a page of 50 rows reads
    them from here rather than asking get_FOO_display (a translation each) 50 times."""
    return {value: str(label) for value, label in field.flatchoices}
