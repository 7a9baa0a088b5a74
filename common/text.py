"""Words inside sentences, in any of the site's languages."""

from functools import cache

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


def choice_words(model, field: str) -> dict:
    """choice_labels of `model`'s `field` in the current language, made once per language and shared
    (read it, don't change it): a page asks for them for every row it shows, and a kept fragment keys on
    the plain strings."""
    return _choice_words_in(model, field, get_language())


@cache
def _choice_words_in(model, field: str, language: str) -> dict:
    return choice_labels(model._meta.get_field(field))
