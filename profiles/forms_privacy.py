"""The erase page's confirmation: HR types the person's email or the word ERASE."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Person

ERASE_WORD = "ERASE"


class EraseConfirmForm(forms.Form):
    confirmation = forms.CharField(
        label=gettext_lazy("Type the person's email address, or the word ERASE"),
        max_length=254,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}),
    )

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_confirmation(self):
        typed = self.cleaned_data["confirmation"]
        if typed != ERASE_WORD and typed.casefold() != self.person.email.casefold():
            raise forms.ValidationError(
                _("That is neither %(email)s nor the word %(word)s: nothing was erased.")
                % {"email": self.person.email, "word": ERASE_WORD}
            )
        return typed
