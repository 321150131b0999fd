"""Marketing e-mail that people can leave: consent, the signed unsubscribe token, and the campaign e-mail sender.

Consent (``Wallet.marketing_email``) is opt-out: on until the customer turns it off, by ``PUT /v1/wallet/settings``
``{"marketing": {"email": false}}`` or by an e-mail's unsubscribe link. Marketing e-mail goes to the customer's
``reminders.email``, so a customer without an address gets none whatever the consent. Transactional reminders
(low balance, run-out, bonus expiry) follow ``reminders`` alone and never look at this consent.

The unsubscribe token: ``base64url(payload) "." base64url(HMAC-SHA256(key, payload))`` where the payload is the
JSON ``["m1", user_id, purpose, issued_at_unix_seconds]``. The key is a secret of its own (not the webhook's),
read like the webhook's (``unsubscribe_secret``); the secret may hold several keys separated by whitespace: the
first signs, every one verifies, so a rotation keeps the links already sent working. A token is valid for
``TOKEN_VALID_DAYS`` after it was issued, for its purpose only; nothing of a payload is read before its MAC matched.

A campaign's message (``deliver_marketing``) goes to the inbox once under the notification id its caller derives
deterministically, and by e-mail only when the customer consents and has an address, through the same claim
(lease) and sent mark as the reminders' e-mail (chalicelib/services/reminders.py), so a retried delivery neither
writes the notification twice nor sends the e-mail again once it was sent. The raw message carries
``List-Unsubscribe: <https://.../v1/unsubscribe?token=...>`` and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click`` (RFC 8058) and the same link in its text. docs/marketing.md has the rest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any, Callable, Sequence

from ..config import LOCAL_UNSUBSCRIBE_SECRET, Settings
from ..domain.errors import InvalidRequest
from ..domain.model import Wallet
from ..domain.moments import format_time
from ..domain.notifications import EMAIL_NONE, EMAIL_PENDING, EMAIL_SENT, Notification
from ..observability import logger, metrics
from .ports import MarketingStore, Wallets

TOKEN_VERSION = "m1"  # nosec B105 - the tokens' format version, not a secret
# what a token may do: turn marketing e-mail off, nothing else
TOKEN_PURPOSE = "marketing_email"  # nosec B105 - a purpose's name, not a secret
TOKEN_VALID_DAYS = 365  # a link keeps working this long after its e-mail was sent (the law asks for 30 days)
CLOCK_SKEW = timedelta(minutes=5)  # a token issued this far "in the future" (another function's clock) is fine
SECRET_CACHE_SECONDS = 300
UNSUBSCRIBE_PATH = "/v1/unsubscribe"
ONE_CLICK = "List-Unsubscribe=One-Click"
_B64 = re.compile(r"^[A-Za-z0-9_-]+$")

# what send_marketing_email and deliver_marketing say about the e-mail
EMAIL = "email"  # sent now
NO_CONSENT = "no_consent"  # the customer turned marketing e-mail off
NO_ADDRESS = "no_address"  # the customer gave no e-mail address
NOT_CONFIGURED = "not_configured"  # the stage has no SES sender or no public URL for the link: nothing is sent
ALREADY_SENT = "already_sent"  # a delivery before this one sent it
BUSY = "busy"  # another delivery is sending it right now
NOT_EMAILED = "not_emailed"  # an earlier delivery put the notification in the inbox without e-mail
NOTIFICATION_EXPIRED = "notification_expired"  # the id was used by a notification that has expired since


# ---- the token ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    purpose: str
    issued_at: datetime


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not _B64.match(text):  # b64decode would skip other characters: only the canonical spelling is a token
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: str, payload: bytes) -> bytes:
    return hmac.new(key.encode(), payload, hashlib.sha256).digest()


def sign_token(key: str, user_id: str, issued_at: datetime, purpose: str = TOKEN_PURPOSE) -> str:
    """The token that lets whoever holds it do ``purpose`` for ``user_id`` (and nothing else)."""
    if not key:
        raise ValueError("an unsubscribe token needs a key")
    payload = json.dumps([TOKEN_VERSION, user_id, purpose, int(issued_at.timestamp())], separators=(",", ":"))
    raw = payload.encode()
    return f"{_b64(raw)}.{_b64(_mac(key, raw))}"


def _invalid() -> InvalidRequest:
    return InvalidRequest(
        "this unsubscribe link is not one we sent, or it was changed: open the link from the e-mail as it is, or "
        "turn marketing e-mail off in the app's settings",
        code="invalid_unsubscribe_token",
        field="token",
    )


def verify_token(keys: Sequence[str], token: str, now: datetime, purpose: str = TOKEN_PURPOSE) -> TokenClaims:
    """The token's claims if one of ``keys`` signed it, for ``purpose``, within its validity; 400
    ``invalid_unsubscribe_token`` (garbled, forged, another purpose, issued in the future) or
    ``unsubscribe_token_expired`` otherwise."""
    parts = token.split(".")
    if len(parts) != 2:
        raise _invalid()
    try:
        payload, mac = _unb64(parts[0]), _unb64(parts[1])
    except ValueError as exc:
        raise _invalid() from exc
    if not any(hmac.compare_digest(_mac(k, payload), mac) for k in keys if k):
        raise _invalid()
    # signed by us: what follows reads only what this module wrote
    try:
        version, user_id, token_purpose, issued = json.loads(payload)
    except (ValueError, TypeError) as exc:
        raise _invalid() from exc
    if (
        version != TOKEN_VERSION
        or token_purpose != purpose
        or not isinstance(user_id, str)
        or not user_id
        or isinstance(issued, bool)
        or not isinstance(issued, int)
    ):
        raise _invalid()
    issued_at = datetime.fromtimestamp(issued, timezone.utc)
    if issued_at > now + CLOCK_SKEW:
        raise _invalid()
    if now - issued_at > timedelta(days=TOKEN_VALID_DAYS):
        raise InvalidRequest(
            f"this unsubscribe link has expired (links work for {TOKEN_VALID_DAYS} days): use the link of a newer "
            "e-mail, or turn marketing e-mail off in the app's settings",
            code="unsubscribe_token_expired",
            field="token",
            valid_days=TOKEN_VALID_DAYS,
        )
    return TokenClaims(user_id=user_id, purpose=token_purpose, issued_at=issued_at)


def unsubscribe_secret(settings: Settings) -> str:
    """The tokens' secret: from Secrets Manager (cached 5 min) in the cloud, the environment locally, the local
    stack's default in the ``local`` stage; as the webhook's (chalicelib/api/signature.py)."""
    if settings.unsubscribe_secret_name:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_secret(settings.unsubscribe_secret_name, max_age=SECRET_CACHE_SECONDS))
    if settings.unsubscribe_secret:
        return settings.unsubscribe_secret
    if settings.stage == "local":
        return LOCAL_UNSUBSCRIBE_SECRET
    raise RuntimeError("no unsubscribe secret is configured")


def signing_keys(secret: str) -> tuple[str, ...]:
    """The keys a secret holds (whitespace-separated): the first signs, all verify."""
    keys = tuple(secret.split())
    if not keys:
        raise RuntimeError("the unsubscribe secret is empty")
    return keys


# ---- consent -----------------------------------------------------------------------------------------


def refusal(wallet: Wallet | None) -> str | None:
    """Why no marketing e-mail goes to this customer (NO_CONSENT before NO_ADDRESS), or None: it may."""
    if wallet is not None and not wallet.marketing_email:
        return NO_CONSENT
    if wallet is None or not wallet.reminders.email:
        return NO_ADDRESS
    return None


def _message(status: str) -> str:
    if status == "unsubscribed":
        return (
            "You will get no more marketing e-mail from us. Reminders about your balance you asked for are not "
            "affected; turn marketing e-mail back on in the app's settings whenever you like."
        )
    return "You were already unsubscribed from marketing e-mail: nothing changed."


def unsubscribe(
    store: Wallets,
    currency: str,
    keys: Sequence[str],
    token: str,
    now: datetime,
    one_click: bool | None = None,
    via: str = "link",
) -> dict[str, Any]:
    """Turn marketing e-mail off for the token's customer. A second use answers ``already_unsubscribed`` and
    writes nothing. ``one_click``: for the RFC 8058 POST, whether its body was ``List-Unsubscribe=One-Click``
    (checked after the token, before anything is written); None for the link's GET, which has no body."""
    claims = verify_token(keys, token, now)
    if one_click is False:
        raise InvalidRequest(
            f"a one-click unsubscribe is a POST whose body is {ONE_CLICK} (RFC 8058), as "
            "application/x-www-form-urlencoded or multipart/form-data",
            code="invalid_one_click_request",
        )
    wallet = store.get_wallet(claims.user_id)
    if wallet is not None and not wallet.marketing_email:
        status = "already_unsubscribed"
    else:
        store.update_settings(claims.user_id, currency, format_time(now), marketing_email=False)
        status = "unsubscribed"
        metrics.add_metric(name="MarketingUnsubscribes", unit="Count", value=1)
    logger.info("marketing unsubscribe", extra={"status": status, "via": via})
    return {"status": status, "marketing": {"email": False}, "message": _message(status)}


# ---- sending -----------------------------------------------------------------------------------------


def _send_raw_ses(sender: str, to: str, raw: bytes) -> str:
    """One raw MIME message through SES (the client chalicelib/mail.py sends with); SES's message id."""
    from ..aws import client

    response = client("ses").send_raw_email(Source=sender, Destinations=[to], RawMessage={"Data": raw})
    return str(response["MessageId"])


@dataclass(frozen=True)
class MarketingDelivery:
    """How marketing e-mail leaves: the SES sender ("" = none), the unsubscribe route's public URL ("" = none:
    without a working link nothing is sent), the tokens' keys (the first signs), and the function that sends
    one raw message (sender, to, raw bytes) -> message id."""

    sender: str
    unsubscribe_url: str
    keys: tuple[str, ...] = ()
    send_raw: Callable[[str, str, bytes], str] = field(default=_send_raw_ses)

    @classmethod
    def from_settings(cls, settings: Settings) -> "MarketingDelivery":
        """The stage's: ``SES_SENDER``, ``PUBLIC_API_URL``, the unsubscribe secret (read only when e-mail can
        go out at all)."""
        url = f"{settings.public_api_url}{UNSUBSCRIBE_PATH}" if settings.public_api_url else ""
        keys = signing_keys(unsubscribe_secret(settings)) if settings.ses_sender and url else ()
        return cls(sender=settings.ses_sender, unsubscribe_url=url, keys=keys)

    @property
    def configured(self) -> bool:
        return bool(self.sender and self.unsubscribe_url and self.keys)

    def link(self, user_id: str, now: datetime) -> str:
        return f"{self.unsubscribe_url}?token={sign_token(self.keys[0], user_id, now)}"

    def send(self, to: str, subject: str, text: str, user_id: str, now: datetime) -> str:
        raw = build_message(self.sender, to, subject, text, self.link(user_id, now), now)
        return self.send_raw(self.sender, to, raw)


# headers on one line (RFC 5322 allows 998 characters): folding a long URL could split it into encoded words
_POLICY = policy.SMTP.clone(max_line_length=998)


def build_message(sender: str, to: str, subject: str, text: str, unsubscribe_link: str, now: datetime) -> bytes:
    """The raw message: the text, a footer with the link, and the RFC 8058 one-click headers."""
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now.astimezone(timezone.utc))
    msg["List-Unsubscribe"] = f"<{unsubscribe_link}>"
    msg["List-Unsubscribe-Post"] = ONE_CLICK
    msg.set_content(
        f"{text}\n\n--\nYou get this e-mail because marketing e-mail is on in your settings. "
        f"Unsubscribe with one click: {unsubscribe_link}\n"
        "Reminders about your balance that you asked for are not affected.\n"
    )
    return msg.as_bytes()


def send_marketing_email(
    store: Wallets, delivery: MarketingDelivery, user_id: str, subject: str, text: str, now: datetime
) -> str:
    """Send one marketing e-mail now (no once-guard: ``deliver_marketing`` is the campaigns' way) when the
    customer consents and has an address. Returns ``email``, ``no_consent``, ``no_address`` or
    ``not_configured``; raises when SES refuses."""
    wallet = store.get_wallet(user_id)
    why = refusal(wallet)
    if why is not None:
        return why
    if not delivery.configured or wallet is None or not wallet.reminders.email:
        return NOT_CONFIGURED
    delivery.send(wallet.reminders.email, subject, text, user_id, now)
    return EMAIL


def deliver_marketing(
    store: MarketingStore,
    delivery: MarketingDelivery,
    user_id: str,
    notification_id: str,
    title: str,
    body: str,
    data: dict[str, Any],
    now: datetime,
    kind: str = "campaign",
) -> dict[str, Any]:
    """A campaign's message to one customer: the inbox notification once, then the e-mail where allowed.

    ``notification_id`` must be the same on every retry of this delivery (the caller derives it, e.g.
    ``domain.notifications.notification_id(f"campaign:{campaign_id}", run_started_at)``): it is the notification's
    id and its dedupe key, so a retry writes nothing twice. Returns ``{"inbox": True if this call put the
    notification, "email": outcome}``, the outcome one of ``email`` (sent now), ``no_consent``, ``no_address``,
    ``not_configured``, ``already_sent``, ``busy`` (another delivery holds the e-mail's claim: the retry sends it
    if that one failed), ``not_emailed`` (an earlier delivery put it in the inbox without e-mail) or
    ``notification_expired``. Consent is read again on every call: an e-mail still pending from a failed attempt
    is not sent once the customer has unsubscribed. Raises when SES refuses (the e-mail stays pending)."""
    if not notification_id.startswith("ntf_"):
        raise ValueError("a notification id is ntf_... (domain.notifications.notification_id)")
    wallet = store.get_wallet(user_id)
    why = refusal(wallet) or (None if delivery.configured else NOT_CONFIGURED)
    address = wallet.reminders.email if why is None and wallet is not None else None
    n = Notification(
        notification_id=notification_id,
        user_id=user_id,
        type=kind,
        title=title,
        body=body,
        data=dict(data),
        created_at=format_time(now),
        email_status=EMAIL_PENDING if address else EMAIL_NONE,
        email_to=address,
    )
    created, stored = store.put_notification(n, notification_id)
    if stored is None:
        return {"inbox": False, "email": NOTIFICATION_EXPIRED}
    if why is not None or address is None:
        return {"inbox": created, "email": why or NO_ADDRESS}
    if stored.email_status == EMAIL_SENT:
        return {"inbox": created, "email": ALREADY_SENT}
    if stored.email_status != EMAIL_PENDING:
        return {"inbox": created, "email": NOT_EMAILED}
    from .reminders import Delivery, send_pending_email

    def send(sender: str, to: str, subject: str, text: str) -> str:
        return delivery.send(to, subject, text, user_id, now)

    sent = send_pending_email(store, Delivery(delivery.sender, send), replace(stored, email_to=address), now)
    return {"inbox": created, "email": {"sent": EMAIL, "already_sent": ALREADY_SENT, "busy": BUSY}.get(sent, sent)}
