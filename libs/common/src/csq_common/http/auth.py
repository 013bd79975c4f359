"""API-key bearer auth with scopes (read ⊂ write ⊂ admin), keys from CSQ_API_KEYS."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from csq_common.errors import Forbidden, Unauthorized
from csq_common.settings import ApiKey

_bearer = HTTPBearer(auto_error=False, description="API key from CSQ_API_KEYS")


def _find_key(keys: dict[str, ApiKey], presented: str) -> ApiKey | None:
    found = None
    for key, api_key in keys.items():  # compare against every key in constant time
        if hmac.compare_digest(key.encode(), presented.encode()):
            found = api_key
    return found


def require_scope(scope: str):
    async def dependency(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> ApiKey:
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise Unauthorized("missing Authorization: Bearer <api key>", )
        api_key = _find_key(request.app.state.api_keys, credentials.credentials)
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
