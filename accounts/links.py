"""Links sent by e-mail (Keycloak's action tokens), and the mail that carries them: reset a
password, verify an address, confirm a new address, run required actions. No HTTP here.

A forgotten password is asked for by name, and whether that name is an account's is not the
request's business: the request queues the question (``ask_password_reset``) exactly as it is
asked, and the mail sender answers it after the response has gone (``password_reset_message``),
looking the user up, issuing the link and writing the message only then. The answer to the
request costs the same whether or not an account exists.
"""

from urllib.parse import urlencode

from accounts import action_tokens, audit, login_names, mail
from accounts.models import Realm, User
from accounts.realms import for_realm

Kind = action_tokens.Kind
_PATHS = {
    Kind.RESET_PASSWORD: "login/action/reset-password",
    Kind.VERIFY_EMAIL: "login/action/verify-email",
    Kind.UPDATE_EMAIL: "login/action/update-email",
    Kind.EXECUTE_ACTIONS: "login/action/execute-actions",
}
_SUBJECTS = {
    Kind.RESET_PASSWORD: "Reset your password",
    Kind.VERIFY_EMAIL: "Verify your e-mail address",
    Kind.UPDATE_EMAIL: "Confirm your new e-mail address",
    Kind.EXECUTE_ACTIONS: "Update your account",
}
_BODIES = {
    Kind.RESET_PASSWORD: "Someone asked to reset the password of your account {username}. "
    "If it was you, follow this link within {minutes} minutes to choose a new one:",
    Kind.VERIFY_EMAIL: "Follow this link within {minutes} minutes to verify the e-mail address "
    "of your account {username}:",
    Kind.UPDATE_EMAIL: "Follow this link within {minutes} minutes to make this the e-mail "
    "address of your account {username}:",
    Kind.EXECUTE_ACTIONS: "Your administrator asks you to update your account {username}. "
    "Follow this link within {minutes} minutes to do it:",
}


def _message(user: User, kind: str, *, email: str) -> tuple[str, str]:
    """A new link of ``kind`` for ``user``, as the subject and body of its mail."""
    realm = user.realm
    token = action_tokens.issue(user, kind, email=email)
    link = f"{realm.issuer}/{_PATHS[kind]}?{urlencode({'key': token})}"
    minutes = int(action_tokens.LIFETIMES[kind].total_seconds() // 60)
    intro = _BODIES[kind].format(username=user.username, minutes=minutes)
    return _SUBJECTS[kind], f"{intro}\n\n{link}\n\nIf it was not you, ignore this message.\n"


def _event_type(kind: str) -> str:
    return f"SEND_{kind.upper().replace('-', '_')}"


def send_link(request, user: User, kind: str, *, email: str) -> None:
    """Issue a link of ``kind`` for ``user`` and mail it to ``email``."""
    subject, body = _message(user, kind, email=email)
    mail.send(user.realm, email, subject, body)
    audit.user_event(_event_type(kind), realm=user.realm, request=request, user=user)


def ask_password_reset(realm: Realm, name: str, *, ip_address: str | None) -> None:
    """Queue a forgotten password's question, whatever ``name`` is."""
    mail.ask(realm, {"reset_password": name, "ip": ip_address})


def password_reset_message(realm: Realm, question: dict) -> dict | None:
    """The mail answering a queued question (``ask_password_reset``): a reset link for the
    account the name is, or None when it is none (nothing is sent)."""
    name, ip_address = question["reset_password"], question.get("ip")
    user = _find(realm, name)
    if user is None:
        audit.user_event(
            "RESET_PASSWORD_ERROR",
            realm=realm,
            username=name[:255],
            error="user_not_found",
            ip_address=ip_address,
        )
        return None
    subject, body = _message(user, Kind.RESET_PASSWORD, email=user.email)
    audit.user_event(
        _event_type(Kind.RESET_PASSWORD), realm=realm, user=user, ip_address=ip_address
    )
    return {"to": user.email, "subject": subject, "body": body}


def _find(realm: Realm, name: str) -> User | None:
    """The account a forgotten password's name is, as at the login (the username, or the
    address where the realm allows it), if it is enabled and has an address to mail."""
    users = for_realm(User, realm).filter(is_active=True).exclude(email="")
    return login_names.find(realm, name, users)
