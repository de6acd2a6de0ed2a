from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import UsernameField

from tandem.accounts.models import ReadingFont, ReadingSize, Theme, User, time_zone_choices
from tandem.accounts.services import email_taken, username_taken


class SignUpForm(forms.Form):
    username = UsernameField(
        max_length=150,
        help_text="Letters, digits and @ . + - _ only. This is how partners invite you.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        validators=[User.username_validator],
    )
    email = forms.EmailField(
        help_text="For password resets and, later, notifications.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not only digits, not a common password.",
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if username_taken(username):
            raise forms.ValidationError("That username is taken.")
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if email_taken(email):
            raise forms.ValidationError("An account already uses that email address.")
        return email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ.")
        elif first:
            candidate = User(username=cleaned.get("username", ""), email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=80,
        required=False,
        help_text="Shown beside your username. Any script, emoji welcome.",
    )
    time_zone = forms.ChoiceField(choices=time_zone_choices, initial="UTC")
    bio = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 5}))


class ReadingForm(forms.Form):
    theme = forms.ChoiceField(choices=Theme.choices, widget=forms.RadioSelect)
    reading_font = forms.ChoiceField(
        label="Typeface", choices=ReadingFont.choices, widget=forms.RadioSelect
    )
    reading_size = forms.ChoiceField(label="Text size", choices=ReadingSize.choices)
