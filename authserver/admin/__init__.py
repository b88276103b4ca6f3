"""The admin console (Django's admin, with the console's own site: accounts.console), one module
per resource page, in the order of the console's menu. Django's admin autodiscovery imports this
package, which registers every page.

Every page of a realm-owned object is a ``base.RealmScopedAdmin``: lists filtered and labelled
by realm, pickers within the edited object's realm, another realm's objects absent (404), every
change an admin event, and every posted change checked by the grant rule of
accounts.permissions, as the admin API's are.
"""

from authserver.admin import (  # noqa: F401 (registering is what importing them does)
    client_scopes,
    clients,
    consents,
    console_accounts,
    events,
    groups,
    keys,
    realm_files,
    realms,
    registration,
    roles,
    sessions,
    users,
)
