"""The payment service (audience ``payments``): records who paid, the end user of the token,
and which service acted for them, the token's ``act`` party or else its client."""
