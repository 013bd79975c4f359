"""API-key bearer auth with scopes (read ⊂ write ⊂ admin), keys from CSQ_API_KEYS.

A key may be an agent's own (``agent_id`` set): only routes that depend on
``require_scope(scope, agent_scoped=True)`` accept it, and they limit what it reads to that
agent (:func:`agent_filter`); every other route answers it 403.

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


def require_scope(scope: str, *, agent_scoped: bool = False):
    """The dependency that admits a key holding ``scope``; agents' own keys only if ``agent_scoped``."""

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
        if api_key.agent_id is not None and not agent_scoped:
            raise Forbidden("this API key is an agent's own: it reads only that agent's reviews")
        return api_key

    dependency.__name__ = f"require_{scope}_agent_scoped" if agent_scoped else f"require_{scope}"
    return dependency


def agent_filter(api_key: ApiKey, agent_id: str | None, *, field: str = "agent_id") -> str | None:
    """The agent a request may read: the key's own agent for an agent's key (asking for another
    one is 403), else the ``agent_id`` the request filters on (None: every agent)."""
    if api_key.agent_id is None:
        return agent_id
    if agent_id is not None and agent_id != api_key.agent_id:
        raise Forbidden(f"this API key is {api_key.agent_id!r}'s own: {field} must be theirs or left out")
    return api_key.agent_id


ReadScope = Annotated[ApiKey, Depends(require_scope("read"))]
WriteScope = Annotated[ApiKey, Depends(require_scope("write"))]
AdminScope = Annotated[ApiKey, Depends(require_scope("admin"))]
#: Read or write scope, accepting an agent's own key too (the route then limits it to that agent).
AgentReadScope = Annotated[ApiKey, Depends(require_scope("read", agent_scoped=True))]
AgentWriteScope = Annotated[ApiKey, Depends(require_scope("write", agent_scoped=True))]
