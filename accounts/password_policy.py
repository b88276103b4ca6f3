"""Keycloak's password policy string, e.g. ``length(8) and digits(1) and notUsername``."""

import re
from dataclasses import dataclass

from accounts import password_blacklists

_TERM = re.compile(r"^\s*([A-Za-z]+)\s*(?:\(\s*([^)]*)\s*\))?\s*$")

# Keycloak policies that concern hashing or history rather than the password itself: accepted
# in a realm file and ignored, since hashing here is always Argon2id.
_IGNORED = {"hashAlgorithm", "hashIterations", "passwordHistory", "forceExpiredPasswordChange"}


@dataclass(frozen=True)
class _Rule:
    name: str
    value: int | str

    def violation(self, password: str, *, username: str, email: str) -> str | None:
        n = self.value
        match self.name:
            case "length" if len(password) < n:
                return f"Use at least {n} characters."
            case "maxLength" if len(password) > n:
                return f"Use at most {n} characters."
            case "digits" if sum(c.isdigit() for c in password) < n:
                return f"Use at least {n} digit(s)."
            case "lowerCase" if sum(c.islower() for c in password) < n:
                return f"Use at least {n} lower-case letter(s)."
            case "upperCase" if sum(c.isupper() for c in password) < n:
                return f"Use at least {n} upper-case letter(s)."
            case "specialChars" if sum(not c.isalnum() for c in password) < n:
                return f"Use at least {n} special character(s)."
            case "notUsername" if username and password.lower() == username.lower():
                return "The password must not be the username."
            case "notEmail" if email and password.lower() == email.lower():
                return "The password must not be the email address."
            case "passwordBlacklist":
                try:
                    listed = password_blacklists.contains(str(n), password)
                except password_blacklists.BlacklistError:
                    # The list went missing since the policy was set: refuse rather than pass.
                    return "The password cannot be checked against the password blacklist."
                if listed:
                    return "The password is on the blacklist of common passwords."
        return None


_DEFAULTS = {
    "length": 8,
    "maxLength": 64,
    "digits": 1,
    "lowerCase": 1,
    "upperCase": 1,
    "specialChars": 1,
    "notUsername": 0,
    "notEmail": 0,
}


# The one policy whose argument is a name: a list of words in the server's blacklist folder.
_BLACKLIST = "passwordBlacklist"


class PasswordPolicyError(ValueError):
    pass


def parse(policy: str) -> list[_Rule]:
    """The rules of a policy string; raises PasswordPolicyError naming an unknown or bad term."""
    rules = []
    for term in filter(str.strip, re.split(r"\s+and\s+", policy.strip())):
        match = _TERM.match(term)
        if not match:
            raise PasswordPolicyError(f"cannot read password policy term {term!r}")
        name, argument = match.group(1), (match.group(2) or "").strip()
        if name in _IGNORED:
            continue
        if name == _BLACKLIST:
            try:
                password_blacklists.path_of(argument)
            except password_blacklists.BlacklistError as error:
                raise PasswordPolicyError(str(error)) from None
            rules.append(_Rule(name, argument))
            continue
        if name not in _DEFAULTS:
            raise PasswordPolicyError(f"unknown password policy {name!r}")
        if argument in {"", "undefined"}:
            value = _DEFAULTS[name]
        elif argument.isascii() and argument.isdigit():
            value = int(argument)
        else:
            raise PasswordPolicyError(f"password policy {name} needs a number, not {argument!r}")
        rules.append(_Rule(name, value))
    return rules


def violations(policy: str, password: str, *, username: str = "", email: str = "") -> list[str]:
    """What is wrong with ``password`` under ``policy``; empty when it is acceptable."""
    found = []
    for rule in parse(policy):
        message = rule.violation(password, username=username, email=email)
        if message:
            found.append(message)
    return found


class RealmPasswordPolicyValidator:
    """Django password validator enforcing the user's realm policy wherever a password is set
    (login pages, the admin console, management commands)."""

    def validate(self, password, user=None):
        from django.core.exceptions import ValidationError

        realm = getattr(user, "realm", None)
        if realm is None or not realm.password_policy:
            return
        found = violations(
            realm.password_policy,
            password,
            username=getattr(user, "username", ""),
            email=getattr(user, "email", ""),
        )
        if found:
            raise ValidationError(found, code="password_policy")

    def get_help_text(self):
        return "Your password must satisfy the realm's password policy."
