from django import forms
from django.contrib.auth import password_validation

from accounts import login_names
from accounts.models import User


class LoginForm(forms.Form):
    username = forms.CharField(max_length=255, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(max_length=1024, strip=False, widget=forms.PasswordInput)


class UpdatePasswordForm(forms.Form):
    """Keycloak's field names, so scripted logins written for it work here too."""

    password_new = forms.CharField(
        label="New password", max_length=1024, strip=False, widget=forms.PasswordInput
    )
    password_confirm = forms.CharField(
        label="Confirm password", max_length=1024, strip=False, widget=forms.PasswordInput
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def add_prefix(self, field_name):
        return field_name.replace("_", "-")

    def clean(self):
        data = super().clean()
        new, confirm = data.get("password_new"), data.get("password_confirm")
        if new and confirm and new != confirm:
            raise forms.ValidationError("The passwords do not match.")
        if new:
            password_validation.validate_password(new, self.user)
        return data


class OneTimeCodeForm(forms.Form):
    """Keycloak's field name (``otp``): a code from the authenticator, or a recovery code."""

    otp = forms.CharField(label="One-time code", max_length=20, strip=True)


class ConfigureTOTPForm(forms.Form):
    # Keycloak's names: totp (the code) and userLabel (the device's name).
    totp = forms.CharField(label="One-time code", max_length=12, strip=True)
    userLabel = forms.CharField(label="Device name", max_length=64, required=False, strip=True)


class UpdateProfileForm(forms.Form):
    """The user's names and address; a new address may not be another user's of the realm
    (unless it allows duplicate e-mails)."""

    email = forms.EmailField(label="E-mail", max_length=254)
    firstName = forms.CharField(label="First name", max_length=255)
    lastName = forms.CharField(label="Last name", max_length=255)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        email = self.cleaned_data["email"]
        if email.lower() != self.user.email.lower() and login_names.email_taken(
            self.user.realm, email, other_than=self.user
        ):
            raise forms.ValidationError(login_names.EMAIL_TAKEN)
        return email


class ChangePasswordForm(forms.Form):
    current = forms.CharField(
        label="Current password", max_length=1024, strip=False, widget=forms.PasswordInput
    )
    new = forms.CharField(
        label="New password", max_length=1024, strip=False, widget=forms.PasswordInput
    )
    confirm = forms.CharField(
        label="Confirm new password", max_length=1024, strip=False, widget=forms.PasswordInput
    )
    sign_out_others = forms.BooleanField(label="Sign out my other sessions", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        data = super().clean()
        new, confirm = data.get("new"), data.get("confirm")
        if new and confirm and new != confirm:
            self.add_error("confirm", "The passwords do not match.")
        elif new:
            try:
                password_validation.validate_password(new, self.user)
            except forms.ValidationError as error:
                self.add_error("new", error)
        return data


class DeviceNameForm(forms.Form):
    name = forms.CharField(label="Device name", max_length=64, strip=True)


class ForgotPasswordForm(forms.Form):
    username = forms.CharField(label="Username or e-mail", max_length=255, strip=True)


class RegistrationForm(forms.Form):
    """Keycloak's field names (username, email, firstName, lastName, password, password-confirm)."""

    username = forms.CharField(label="Username", max_length=255, strip=True, required=False)
    email = forms.EmailField(label="E-mail", max_length=254)
    firstName = forms.CharField(label="First name", max_length=255)
    lastName = forms.CharField(label="Last name", max_length=255)
    password = forms.CharField(
        label="Password", max_length=1024, strip=False, widget=forms.PasswordInput
    )
    password_confirm = forms.CharField(
        label="Confirm password", max_length=1024, strip=False, widget=forms.PasswordInput
    )

    def __init__(self, *args, realm, **kwargs):
        super().__init__(*args, **kwargs)
        self.realm = realm
        if not realm.registration_email_as_username:
            self.fields["username"].required = True

    def add_prefix(self, field_name):
        return field_name.replace("_", "-")

    def clean(self):
        data = super().clean()
        if self.realm.registration_email_as_username and data.get("email"):
            data["username"] = data["email"].lower()
        password, confirm = data.get("password"), data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", "The passwords do not match.")
        elif password and data.get("username"):
            candidate = User(
                realm=self.realm,
                username=data["username"],
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data
