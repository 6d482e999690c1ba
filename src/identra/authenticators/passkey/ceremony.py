"""The WebAuthn ceremonies, through the ``webauthn`` package (py_webauthn 3.x).

The relying party is the issuer: its host is the RP id, its scheme+host+port the only
accepted origin. Registration asks for a discoverable credential (resident key required) with
user verification and no attestation; authentication always requires user verification, so a
passkey alone is a strong first factor. ES256, EdDSA and RS256 keys are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

TIMEOUT_MS = 300_000
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
_TRANSPORTS = {t.value: t for t in AuthenticatorTransport}


@dataclass(frozen=True)
class RelyingParty:
    id: str  # the issuer's host name
    origin: str  # scheme://host[:port]
    name: str

    @classmethod
    def for_issuer(cls, issuer: str, name: str = "") -> RelyingParty:
        parts = urlsplit(issuer)
        host = parts.hostname or "localhost"
        return cls(host, f"{parts.scheme}://{parts.netloc}", name or host)


def descriptor(lookup: str, transports: tuple[str, ...]) -> PublicKeyCredentialDescriptor:
    known = [_TRANSPORTS[t] for t in transports if t in _TRANSPORTS]
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(lookup), transports=known or None)


def registration_options(
    rp: RelyingParty,
    *,
    user_handle: bytes,
    username: str,
    display_name: str,
    challenge: bytes,
    exclude: list[PublicKeyCredentialDescriptor],
) -> str:
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_handle,
        user_name=username,
        user_display_name=display_name,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            require_resident_key=True,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=exclude,
        supported_pub_key_algs=ALGORITHMS,
    )
    return options_to_json(options)


def authentication_options(
    rp: RelyingParty, *, challenge: bytes, allow: list[PublicKeyCredentialDescriptor]
) -> str:
    options = generate_authentication_options(
        rp_id=rp.id,
        challenge=challenge,
        timeout=TIMEOUT_MS,
        allow_credentials=allow,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def verify_registration(
    rp: RelyingParty, credential: RegistrationCredential, challenge: bytes
) -> VerifiedRegistration:
    return verify_registration_response(
        credential=credential,
        expected_challenge=challenge,
        expected_rp_id=rp.id,
        expected_origin=rp.origin,
        require_user_presence=True,
        require_user_verification=True,
        supported_pub_key_algs=ALGORITHMS,
    )


def verify_authentication(
    rp: RelyingParty,
    credential: AuthenticationCredential,
    challenge: bytes,
    public_key: bytes,
) -> VerifiedAuthentication:
    """Checks everything but the signature counter, which the caller compares itself (so that
    a counter going backwards on a valid signature can be told apart and audited)."""
    return verify_authentication_response(
        credential=credential,
        expected_challenge=challenge,
        expected_rp_id=rp.id,
        expected_origin=rp.origin,
        credential_public_key=public_key,
        credential_current_sign_count=0,
        require_user_verification=True,
    )


def counter_ok(stored: int, seen: int) -> bool:
    """WebAuthn §6.1.1: a counter that does not increase (unless both are 0) is suspicious."""
    return (stored == 0 and seen == 0) or seen > stored
