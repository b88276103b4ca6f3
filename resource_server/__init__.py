"""The sample resource server: a framework-free bearer-token validator (``auth``), the Django
glue around it (authentication, authorization, edge protection) and two services built with it,
``orders`` and ``payments``.

It imports nothing from ``authserver`` or ``accounts``: it knows the issuer URL, nothing else,
as any resource server of any authorization server would (import-linter checks it).
"""
