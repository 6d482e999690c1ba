"""Application resources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from identra.admin.apps import NewApp
from identra.management.schemas.common import Description, Name, Omittable, Resource, Strict
from identra.storage.repositories.client_settings import OIDC_OPTIONS, oidc_option

Uri = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
ScopeToken = Annotated[str, StringConstraints(pattern=r"^[\x21\x23-\x5B\x5D-\x7E]{1,128}$")]
Ttl = Annotated[int, Field(ge=60, le=365 * 86400)]
RateLimit = Annotated[int, Field(strict=True, ge=1, le=1_000_000)]
# OIDC Core §8 / OIDC Registration §2 (decision 0027).
SubjectType = Literal["public", "pairwise"]
IdTokenAlg = Literal["RS256", "PS256", "ES256", "EdDSA"]
SUBJECT_TYPE_DOC = "OIDC Core §8: pairwise gives each sector its own unlinkable sub"
SECTOR_DOC = (
    "https URL of a JSON array listing every redirect URI (fetched when set); its host is the "
    "pairwise sector"
)
RATE_DOC = "token requests a minute this client may make, counted across all nodes; null: no limit"
ALG_DOC = "algorithm of the ID tokens (and logout tokens): one the deployment has an active key for"


class AppCreate(Strict):
    name: Name
    type: Literal["web", "spa", "native", "m2m"]
    description: Description = ""
    redirect_uris: list[Uri] = Field(default_factory=list, max_length=50)
    post_logout_redirect_uris: list[Uri] = Field(default_factory=list, max_length=50)
    scopes: list[ScopeToken] = Field(default_factory=list, max_length=100)
    audiences: list[Uri] = Field(default_factory=list, max_length=20)
    grant_types: list[Annotated[str, StringConstraints(max_length=100)]] | None = Field(
        None, max_length=10
    )
    access_token_format: Literal["jwt", "opaque"] = "jwt"
    access_token_ttl: Ttl | None = None
    refresh_token_ttl: Ttl | None = None
    pkce_required: bool = True
    skip_consent: bool = Field(False, description="first-party app: never ask for consent")
    backchannel_logout_uri: Uri | None = Field(None, description="OIDC Back-Channel Logout 1.0")
    backchannel_logout_session_required: bool = False
    subject_type: SubjectType = Field("public", description=SUBJECT_TYPE_DOC)
    sector_identifier_uri: Uri | None = Field(None, description=SECTOR_DOC)
    id_token_signed_response_alg: IdTokenAlg = Field("RS256", description=ALG_DOC)
    token_rate_limit: RateLimit | None = Field(None, description=RATE_DOC)

    def to_new_app(self) -> NewApp:
        """The service's input: sign-in options go into the application's settings."""
        values = self.model_dump()
        options = {k: values.pop(k) for k in SETTINGS_FIELDS}
        return NewApp(**values, settings=options)


class AppPatch(Strict):
    """Fields present are replaced; ``null`` resets a token lifetime to the default."""

    name: Name = Omittable()
    description: Description = Omittable()
    enabled: bool = Omittable()
    redirect_uris: list[Uri] = Omittable(max_length=50)
    post_logout_redirect_uris: list[Uri] = Omittable(max_length=50)
    scopes: list[ScopeToken] = Omittable(max_length=100)
    audiences: list[Uri] = Omittable(max_length=20)
    access_token_format: Literal["jwt", "opaque"] = Omittable()
    access_token_ttl: Ttl | None = None
    refresh_token_ttl: Ttl | None = None
    pkce_required: bool = Omittable()
    skip_consent: bool = Omittable()
    backchannel_logout_uri: Uri | None = None
    backchannel_logout_session_required: bool = Omittable()
    subject_type: SubjectType = Omittable()
    sector_identifier_uri: Uri | None = None
    id_token_signed_response_alg: IdTokenAlg = Omittable()
    token_rate_limit: RateLimit | None = None


class AppOut(Resource):
    name: str
    type: str
    description: str
    enabled: bool
    client_id: str
    token_endpoint_auth_method: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    response_types: list[str]
    scopes: list[str]
    audiences: list[str]
    pkce_required: bool
    access_token_format: str
    access_token_ttl: int | None
    refresh_token_ttl: int | None
    skip_consent: bool = False
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = False
    subject_type: str = "public"
    sector_identifier_uri: str | None = None
    id_token_signed_response_alg: str = "RS256"
    token_rate_limit: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_settings(cls, data: Any) -> Any:
        """Sign-in options live in the application's ``settings`` document."""
        settings = getattr(data, "settings", None)
        if not isinstance(settings, dict):
            return data
        values = {name: getattr(data, name) for name in cls.model_fields if hasattr(data, name)}
        values.update({k: settings[k] for k in SETTINGS_FIELDS if k in settings})
        # A dynamically registered client's OIDC options may come from its registration.
        for name in OIDC_OPTIONS:
            value = oidc_option(settings, name)
            if value is not None:
                values[name] = value
            else:
                values.pop(name, None)
        return values


# Application options stored in ``applications.settings`` rather than columns of their own.
SETTINGS_FIELDS = (
    "skip_consent",
    "backchannel_logout_uri",
    "backchannel_logout_session_required",
    "token_rate_limit",
    *OIDC_OPTIONS,
)


class AppCreated(AppOut):
    client_secret: str | None = Field(None, description="shown once, at creation only")


class SecretOut(Strict):
    client_id: str
    client_secret: str
