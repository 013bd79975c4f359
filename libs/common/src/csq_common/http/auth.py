"""API-key bearer auth with scopes (read ⊂ write ⊂ admin), keys from CSQ_API_KEYS.

Only digests of the keys are kept (``settings.parse_api_keys``): the presented key is hashed and
compared with every configured digest in constant time, so neither the keys nor the time taken
tell which key, if any, matched."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from csq_common.errors import Forbidden, Unauthorized
from csq_common.http.dependencies import get_settings
from csq_common.settings import ApiKey, BaseServiceSettings, key_digest

_bearer = HTTPBearer(auto_error=False, description="API key from CSQ_API_KEYS")


def find_key(keys: Iterable[ApiKey], presented: str) -> ApiKey | None:
    """The configured key whose digest matches ``presented``'s, comparing against every key."""
    presented_digest = key_digest(presented)
    found = None
    for api_key in keys:
        if hmac.compare_digest(api_key.digest, presented_digest):
            found = api_key
    return found


def require_scope(scope: str):
    async def dependency(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        settings: Annotated[BaseServiceSettings, Depends(get_settings)],
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise Unauthorized("missing Authorization: Bearer <api key>")
        api_key = find_key(settings.api_keys, credentials.credentials)
        if api_key is None:
            raise Unauthorized("unknown API key")
        if scope not in api_key.scopes:
            raise Forbidden(f"this API key lacks the {scope!r} scope")
        return api_key

    dependency.__name__ = f"require_{scope}"
    return dependency


ReadScope = Annotated[ApiKey, Depends(require_scope("read"))]
WriteScope = Annotated[ApiKey, Depends(require_scope("write"))]
AdminScope = Annotated[ApiKey, Depends(require_scope("admin"))]
