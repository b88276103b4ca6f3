"""RFC 9449 §8, §9: every answer to a request that carries a DPoP proof offers a fresh nonce in
``DPoP-Nonce``, which the client puts in its next proofs (required of the clients whose
``dpop.nonce.required`` is ``true``; ``use_dpop_nonce`` tells one that sent none or a stale one
to try again with this one)."""

import functools

from authserver.protocol import dpop


def offers_nonce(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if dpop.HEADER in request.headers:
            response[dpop.NONCE_HEADER] = dpop.nonce(request.realm)
        return response

    return wrapped
