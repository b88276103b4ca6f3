"""OpenID Connect Back-Channel Logout 1.0: when an SSO session ends, each client that was issued
tokens in it and registered a back-channel logout URI is told so, server to server, with a
logout token signed by the realm; from a durable outbox, retried with backoff, never in the way
of the user's logout."""
