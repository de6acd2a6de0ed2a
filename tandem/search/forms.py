from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from tandem.search.query import MAX_QUERY_LENGTH, ParsedQuery, parse
from tandem.search.selectors import KINDS, MAX_PAGE, Filters
from tandem.threads.models import Rating, Status, Thread, Warning


class SearchForm(forms.Form):
    # No max_length here: parse() says how long the query was and what the cap is.
    q = forms.CharField(
        label="Search for",
        required=False,
        strip=False,
        widget=forms.TextInput(
            attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH, "autocomplete": "off"}
        ),
    )
    kind = forms.ChoiceField(
        choices=[(kind, kind.title()) for kind in KINDS], required=False, widget=forms.HiddenInput
    )
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[("relevance", "Best match"), ("date", "Newest first")],
        required=False,
    )
    tag = forms.CharField(label="Tag", required=False, max_length=100)
    rating = forms.ChoiceField(
        label="Rating", choices=[("", "Any rating"), *Rating.choices], required=False
    )
    warning = forms.ChoiceField(
        label="Warning", choices=[("", "Any warnings"), *Warning.choices], required=False
    )
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *Status.choices], required=False
    )
    writer = forms.CharField(label="Writer (username)", required=False, max_length=150)
    muse = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    thread = forms.CharField(required=False, max_length=16, widget=forms.HiddenInput)
    mine = forms.BooleanField(label="My threads only", required=False)
    after = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    before = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={"invalid": "That page number is not a number."},
    )

    parsed: ParsedQuery | None = None

    def clean_q(self) -> str:
        raw = self.cleaned_data.get("q") or ""
        self.parsed = parse(raw)  # ValidationError with the sentence to show
        return raw.strip()

    def clean_page(self) -> int:
        page = self.cleaned_data.get("page") or 1
        if page > MAX_PAGE:
            raise ValidationError(
                f"Results stop at page {MAX_PAGE}. Add a word or a filter to narrow the search."
            )
        return page

    def clean(self):
        data = super().clean()
        after, before = data.get("after"), data.get("before")
        if after and before and after > before:
            self.add_error("before", "The end date is before the start date.")
        data["kind"] = data.get("kind") or "posts"
        data["sort"] = data.get("sort") or "relevance"
        return data

    def filters(self, thread: Thread | None) -> Filters:
        """The selectors' filters from the checked form (the page and the API both ask here).
        ``thread`` is the scope's thread when the reader may read it (``search_scope``)."""
        data = self.cleaned_data
        if data["thread"] and thread is None:
            # A thread this reader may not read, or none at all: the same empty answer.
            return Filters(unreadable_thread=True)
        return Filters(
            tag=data["tag"].strip(),
            rating=data["rating"],
            warning=data["warning"],
            status=data["status"],
            muse=data["muse"],
            writer=data["writer"].strip(),
            mine=data["mine"],
            after=data["after"],
            before=data["before"],
            thread=thread,
        )
