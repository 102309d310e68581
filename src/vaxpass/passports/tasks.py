"""Background work of signing and passports, run by `vaxpass db_worker` processes."""

from django_tasks import task


@task()
def sign_for_head(user_id: int) -> int:
    """Sign every dose awaiting this facility head's signature (a large batch)."""
    from vaxpass.accounts.models import User
    from vaxpass.passports.signing import sign_doses

    return sign_doses(user=User.objects.get(pk=user_id))


@task()
def sign_by_rules(dose_ids: list[int]) -> int:
    """Sign newly verified doses under their facilities' standing rules."""
    from vaxpass.passports.signing import sign_by_standing_rules

    return sign_by_standing_rules(dose_ids)


@task()
def renew_passports() -> int:
    from vaxpass.passports.renewal import renew_expiring

    return renew_expiring()
