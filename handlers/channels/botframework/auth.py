"""A gate for Bot Framework bearer tokens that fails closed, fast, and never waits on the network.

botframework-connector validates tokens with a blocking `requests` download of the signing keys (no
timeout, on the event loop) and answers many forged tokens with an exception that becomes a 500. The
gate runs before CloudAdapter.process and mirrors what botbuilder 4.17.1 accepts for a public-cloud (or
US-government) bot without skills:

- Bot Framework channel tokens: issuer https://api.botframework.com, audience = the app id, signed by a
  key from login.botframework.com that is endorsed for the activity's channel, `serviceurl` claim equal
  to the activity's serviceUrl.
- Emulator tokens (Azure AD issuers botbuilder lists): signed by an Azure AD key, `ver` claim present,
  `appid` (v1) or `azp` (v2) = the app id. The audience must also be the app id: botbuilder would treat
  any other audience as a skill token and reject it.
- Skill tokens: rejected, as botbuilder rejects them without a claims validator.

Signing keys come from the OpenID metadata with an aiohttp client (5 s timeout), are cached for 24 h and
refreshed in a background task. A request never waits for them: no keys yet, or an unknown key id, is a
401 at once, and asks for a refresh that runs at most once a minute.

`TokenGate.start()` also hands the gate's keys to botbuilder's own key cache, so the validation that
runs after the gate (inside adapter.process) never downloads keys itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from botframework.connector.auth import (
    AuthenticationConstants,
    ChannelValidation,
    EmulatorValidation,
    GovernmentChannelValidation,
    GovernmentConstants,
    JwtTokenValidation,
    SkillValidation,
)
from botframework.connector.auth.jwt_token_extractor import JwtTokenExtractor
from jwt.algorithms import RSAAlgorithm

log = logging.getLogger(__name__)

ALGORITHM = "RS256"  # botbuilder's header list allows RS384/512 but it only ever verifies RS256
CLOCK_SKEW_SECONDS = 5 * 60  # botbuilder's clock tolerance
MAX_TOKEN_CHARS = 16 * 1024
MAX_DOCUMENT_BYTES = 1024 * 1024  # metadata and key documents are a few KB


@dataclass(frozen=True)
class AuthResult:
    """ok, or why not: a short reason for the log, never token content."""

    ok: bool
    reason: str = ""


ACCEPTED = AuthResult(True)


def _reject(reason: str) -> AuthResult:
    return AuthResult(False, reason)


@dataclass(frozen=True)
class SigningKey:
    """One key of a JWKS; the attribute names are the ones botbuilder's token extractor reads."""

    public_key: Any
    endorsements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cloud:
    """Where one cloud's tokens come from (botbuilder's constants)."""

    channel_issuer: str
    channel_metadata_url: str
    emulator_metadata_url: str


PUBLIC_CLOUD = Cloud(
    channel_issuer=AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
    channel_metadata_url=AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    emulator_metadata_url=AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
)
GOVERNMENT_CLOUD = Cloud(
    channel_issuer=GovernmentConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
    channel_metadata_url=GovernmentConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL,
    emulator_metadata_url=GovernmentConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
)
EMULATOR_ISSUERS = frozenset(EmulatorValidation.TO_BOT_FROM_EMULATOR_TOKEN_VALIDATION_PARAMETERS.issuer)


def cloud_for(channel_service: str) -> Cloud:
    """The cloud for botbuilder's ChannelService setting: empty = public, or the US government cloud."""
    if not channel_service:
        return PUBLIC_CLOUD
    if JwtTokenValidation.is_government(channel_service):
        return GOVERNMENT_CLOUD
    raise ValueError("Only the public and the US government Bot Framework clouds are supported")


@dataclass(eq=False)  # identity semantics: one live key set per metadata URL
class SigningKeys:
    """The signing keys behind one OpenID metadata document, refreshed in a background task.

    `get` never does I/O. The task refreshes every `max_age`, retries failures with back-off, and a
    `request_refresh()` (an unknown key id) brings the next refresh forward, but not closer than
    `min_gap` to the previous attempt, so a flood of forged key ids costs at most one download a minute.
    """

    metadata_url: str
    timeout: float = 5.0
    max_age: float = 24 * 3600.0
    min_gap: float = 60.0
    retry_after: float = 30.0
    max_retry_after: float = 30 * 60.0
    _keys: dict[str, SigningKey] | None = field(default=None, init=False)
    _last_attempt: float = field(default=float("-inf"), init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _task: asyncio.Task | None = field(default=None, init=False)

    @property
    def loaded(self) -> bool:
        return self._keys is not None

    def get(self, key_id: str) -> SigningKey | None:
        return (self._keys or {}).get(key_id)

    def request_refresh(self) -> None:
        self._wake.set()

    def start(self, session: aiohttp.ClientSession) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(session), name=f"signing-keys {self.metadata_url}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, session: aiohttp.ClientSession) -> None:
        failures = 0
        while True:
            ok = await self.refresh(session)
            failures = 0 if ok else failures + 1
            backoff = min(self.retry_after * 2 ** max(failures - 1, 0), self.max_retry_after)
            await self._wait(self.max_age if ok else backoff)

    async def _wait(self, seconds: float) -> None:
        """Sleep `seconds`, or until a refresh is requested and `min_gap` has passed since the last one."""
        self._wake.clear()
        try:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel (close()) racing a wake-up
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            return
        await asyncio.sleep(max(0.0, self._last_attempt + self.min_gap - time.monotonic()))

    async def refresh(self, session: aiohttp.ClientSession) -> bool:
        """Download the keys once; on failure keep the keys we have (they were genuine) and say why."""
        self._last_attempt = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                metadata = await _get_json(session, self.metadata_url)
                jwks = await _get_json(session, str(metadata["jwks_uri"]))
            keys = _parse_jwks(jwks["keys"])
        except Exception as exc:  # any failure: the task must live on and retry
            log.warning("Could not refresh signing keys from %s: %s", self.metadata_url, _describe(exc))
            return False
        self._keys = keys
        log.info("Loaded %d signing keys from %s", len(keys), self.metadata_url)
        return True


async def _get_json(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise ValueError(f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    return json.loads(body)


def _parse_jwks(entries: Iterable[Any]) -> dict[str, SigningKey]:
    """The usable RSA keys by key id; entries that are not (another key type, junk) are skipped."""
    keys: dict[str, SigningKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str) or entry.get("kty") != "RSA":
            continue
        try:
            public_key = RSAAlgorithm.from_jwk(entry)
        except (jwt.PyJWTError, ValueError, TypeError):
            continue
        endorsements = entry.get("endorsements") or []
        keys[entry["kid"]] = SigningKey(public_key, tuple(e for e in endorsements if isinstance(e, str)))
    if not keys:
        raise ValueError("no usable RSA keys in the key set")
    return keys


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _BotbuilderKeys:
    """Stands in for botbuilder's _OpenIdMetadata (its blocking, timeout-less key download) in its cache."""

    def __init__(self, keys: SigningKeys) -> None:
        self.keys = keys

    async def get(self, key_id: str) -> SigningKey:
        key = self.keys.get(key_id)
        if key is None:  # botbuilder turns PermissionError into 401 (and a missing key into a 500)
            raise PermissionError("Unknown signing key")
        return key


class TokenGate:
    """Checks the Authorization header of a POST /api/messages before botbuilder sees the request."""

    def __init__(
        self,
        app_id: str,
        channel_service: str = "",
        *,
        channel_metadata_url: str | None = None,
        emulator_metadata_url: str | None = None,
        fetch_timeout: float = 5.0,
        refresh_min_gap: float = 60.0,
        share_with_botbuilder: bool = True,
    ) -> None:
        if not app_id:
            raise ValueError("TokenGate needs the bot's app id")
        self.app_id = app_id
        self.cloud = cloud_for(channel_service)
        self.channel_keys = SigningKeys(
            channel_metadata_url or self.cloud.channel_metadata_url, fetch_timeout, min_gap=refresh_min_gap
        )
        self.emulator_keys = SigningKeys(
            emulator_metadata_url or self.cloud.emulator_metadata_url, fetch_timeout, min_gap=refresh_min_gap
        )
        self.share_with_botbuilder = share_with_botbuilder
        self._session: aiohttp.ClientSession | None = None
        self._started = False
        self._installed: dict[str, tuple[_BotbuilderKeys, Any]] = {}

    async def start(self) -> None:
        """Start downloading the keys (for the app's on_startup); returns at once."""
        if self._started:
            return
        self._started = True
        # trust_env: honour HTTPS_PROXY/NO_PROXY like botbuilder's `requests` does
        self._session = aiohttp.ClientSession(trust_env=True)
        for keys in (self.channel_keys, self.emulator_keys):
            keys.start(self._session)
        if self.share_with_botbuilder:
            self._install_in_botbuilder()

    async def close(self) -> None:
        """Stop the refresh tasks and give botbuilder back its own key cache (for the app's on_cleanup)."""
        for keys in (self.channel_keys, self.emulator_keys):
            await keys.close()
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._uninstall_from_botbuilder()

    async def check(self, authorization_header: str | None, channel_id: str, service_url: str) -> AuthResult:
        """ACCEPTED, or a rejection with a short reason. Never waits on the network."""
        await self.start()  # no-op once started (or closed); a gate used without start() still gets keys
        token, problem = _bearer_token(authorization_header)
        if problem:
            return _reject(problem)
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return _reject("token is not a valid JWT")
        if header.get("alg") != ALGORITHM:
            return _reject("token algorithm not allowed")
        key_id = header.get("kid")
        if not isinstance(key_id, str) or not key_id:
            return _reject("token has no key id")
        return self._check_claims(token, key_id, claims, channel_id, service_url)

    def _check_claims(
        self, token: str, key_id: str, claims: dict, channel_id: str, service_url: str
    ) -> AuthResult:
        # botbuilder's order: a skill token is recognised (and, without a claims validator, refused) first
        if SkillValidation.is_skill_claim(claims):
            return _reject("skill tokens are not accepted")
        issuer = claims.get("iss")
        if not isinstance(issuer, str):
            return _reject("token issuer not accepted")
        if issuer in EMULATOR_ISSUERS:
            keys, check_identity = self.emulator_keys, self._check_emulator_claims
        elif issuer == self.cloud.channel_issuer:
            keys, check_identity = self.channel_keys, self._check_channel_claims
        else:
            return _reject("token issuer not accepted")
        key = keys.get(key_id)
        if key is None:
            keys.request_refresh()
            return _reject("unknown signing key" if keys.loaded else "signing keys not available yet")
        # botbuilder: a key with endorsements may only sign tokens for the channels it lists
        if channel_id and key.endorsements and channel_id not in key.endorsements:
            return _reject("signing key not endorsed for this channel")
        verified, problem = _verify(token, key)
        if problem:
            return _reject(problem)
        if verified.get("aud") != self.app_id:
            return _reject("token audience is not this bot")
        return check_identity(verified, service_url)

    def _check_channel_claims(self, claims: dict, service_url: str) -> AuthResult:
        if service_url and claims.get(ChannelValidation.SERVICE_URL_CLAIM) != service_url:
            return _reject("token serviceurl does not match the activity")
        return ACCEPTED

    def _check_emulator_claims(self, claims: dict, service_url: str) -> AuthResult:
        version = claims.get("ver")
        if version is None:
            return _reject("emulator token has no version")
        if not version or version == "1.0":
            app_id = claims.get("appid")
        elif version == "2.0":
            app_id = claims.get("azp")
        else:
            return _reject("emulator token version unknown")
        return ACCEPTED if app_id == self.app_id else _reject("token app id is not this bot")

    def _botbuilder_urls(self) -> dict[str, SigningKeys]:
        """The cache keys under which botbuilder looks up each key set (its own URLs, not ours)."""
        if self.cloud is GOVERNMENT_CLOUD:
            configured = GovernmentChannelValidation.OPEN_ID_METADATA_ENDPOINT
        else:
            configured = ChannelValidation.open_id_metadata_endpoint
        channel_url = configured or self.cloud.channel_metadata_url
        return {channel_url: self.channel_keys, self.cloud.emulator_metadata_url: self.emulator_keys}

    def _install_in_botbuilder(self) -> None:
        cache = JwtTokenExtractor.metadataCache  # class-level: shared by every extractor in the process
        for url, keys in self._botbuilder_urls().items():
            shim = _BotbuilderKeys(keys)
            self._installed[url] = (shim, cache.get(url))
            cache[url] = shim

    def _uninstall_from_botbuilder(self) -> None:
        cache = JwtTokenExtractor.metadataCache
        for url, (shim, previous) in self._installed.items():
            if cache.get(url) is not shim:
                continue  # another gate's entry now; leave it
            if previous is None:
                cache.pop(url, None)
            else:
                cache[url] = previous
        self._installed.clear()


def _bearer_token(header: str | None) -> tuple[str, str]:
    """The token of 'Bearer <token>' (split on one space and case-sensitive, as botbuilder does)."""
    if not header:
        return "", "missing Authorization header"
    if len(header) > MAX_TOKEN_CHARS:
        return "", "Authorization header too long"
    parts = header.split(" ")
    if len(parts) != 2 or parts[0] != "Bearer":
        return "", "Authorization is not a Bearer token"
    if not parts[1]:
        return "", "empty bearer token"
    return parts[1], ""


def _verify(token: str, key: SigningKey) -> tuple[dict, str]:
    """The verified claims (signature, exp, nbf with botbuilder's leeway), or why not."""
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            leeway=CLOCK_SKEW_SECONDS,
            options={"verify_aud": False, "require": ["exp"]},
        )
    except jwt.ExpiredSignatureError:
        return {}, "token expired"
    except jwt.ImmatureSignatureError:
        return {}, "token not valid yet"
    except jwt.InvalidSignatureError:
        return {}, "token signature invalid"
    except jwt.PyJWTError:
        return {}, "token invalid"
    return claims, ""
