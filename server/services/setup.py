"""First run: a claim token lets the operator make the first account an admin in the browser."""

from __future__ import annotations

import hmac
import secrets

from server.models import Account, Role
from server.settings import Settings

CLAIM_FILE = "admin_claim_token"


async def admin_claim_token(settings: Settings) -> str:
    """The token printed at start-up while no admin exists (kept in the data directory)."""
    path = settings.data_dir / CLAIM_FILE
    if path.exists():
        return path.read_text().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path.write_text(token)
    path.chmod(0o600)
    return token


async def claim_admin(settings: Settings, token: str, account: Account) -> bool:
    """Make `account` the first admin if the token is right and no admin exists yet."""
    path = settings.data_dir / CLAIM_FILE
    if not path.exists() or await Account.filter(role=Role.ADMIN).exists():
        return False
    # Bytes: compare_digest refuses a str holding non-ASCII characters.
    if not hmac.compare_digest(path.read_text().strip().encode(), token.encode()):
        return False
    account.role = Role.ADMIN
    await account.save(update_fields=["role"])
    path.unlink()
    return True
