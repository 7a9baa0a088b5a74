"""Words inside sentences, in any of the site's languages."""

from django.utils.translation import get_language


def in_sentence(label) -> str:
    """A choice's label (a state, a kind, a side) placed inside a sentence: lower-cased in English ("the
    program is closed"), kept as written in German, whose nouns keep their capital and whose sentences
    quote a label ("den Status „Abgeschlossen“")."""
    text = str(label)
    return text.lower() if (get_language() or "en").startswith("en") else text
