from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UsernameField
from django.core.validators import MaxLengthValidator

from tandem.accounts.models import ReadingFont, ReadingSize, Theme, User, time_zone_choices
from tandem.accounts.services import username_taken


class SignUpForm(forms.Form):
    username = UsernameField(
        max_length=150,
        help_text="Usernames are public: partners invite you by it and it shows on your "
        "profile, so this form says if one is taken. Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        validators=[User.username_validator],
    )
    email = forms.EmailField(
        help_text="For password resets and notifications; never shown to anyone.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not only digits, not a common password and not "
        "like your username or e-mail address.",
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


USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


class LoginForm(AuthenticationForm):
    """Log-in. A username longer than any account's is refused as a form error before any
    lookup, password hashing or lockout bookkeeping."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets max_length after the field is built, so nothing checks it.
        self.fields["username"].validators.append(MaxLengthValidator(USERNAME_MAX_LENGTH))

    def clean(self):
        if "username" in self.errors:
            return self.cleaned_data  # no account has such a name: nothing to look up
        return super().clean()


class WriterPasswordChangeForm(PasswordChangeForm):
    """Password change that says, before the writer types, what a new password needs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = SignUpForm.base_fields["password1"].help_text
