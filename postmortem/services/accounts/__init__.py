"""People and their credentials: users, roles, passwords and API tokens."""

from .preferences import CLOCKS, Preferences, preferences_of, save_preferences
from .tokens import create_token, hash_token, revoke_token, user_for_token
from .users import (
    EMAIL_RE,
    InvalidCredentials,
    authenticate,
    count_users,
    create_user,
    find_user_by_email,
    generate_password,
    get_user,
    list_active_users,
    list_owners,
    list_users,
    normalise_email,
    require_user,
    set_password,
    update_user,
)

__all__ = [
    "CLOCKS", "Preferences", "list_owners", "preferences_of", "save_preferences",
    "EMAIL_RE", "InvalidCredentials", "authenticate", "count_users", "create_token", "create_user",
    "find_user_by_email", "generate_password", "get_user", "hash_token", "list_active_users",
    "list_users", "normalise_email", "require_user", "revoke_token", "set_password", "update_user",
    "user_for_token",
]
