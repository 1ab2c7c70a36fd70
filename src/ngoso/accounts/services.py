from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from .models import Role, User


def create_user(username: str, password: str, role: str, place) -> User:
    if User.objects.filter(username=username).exists():
        raise ValueError(f"tài khoản «{username}» đã có / user '{username}' exists")
    if role not in Role.values:
        raise ValueError(f"vai trò không hợp lệ / unknown role: {role}")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValueError("; ".join(exc.messages)) from None
    user = User(username=username, role=role, place=place, is_staff=role == Role.PROVINCE_ADMIN,
                is_superuser=role == Role.PROVINCE_ADMIN)
    user.set_password(password)
    user.save()
    return user
