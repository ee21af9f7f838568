"""Writes for debtors."""

from collections import defaultdict

from debtors.models import Debtor

# A creditor registers the same debtor again with the address it has now: these are replaced.
_REPLACED = ("kind", "name", "street", "postal_code", "city")
# Optional channels are only overwritten with something, never blanked by an omission.
_OPTIONAL = ("email", "phone")


def _fields(data) -> dict:
    fields = {name: getattr(data, name) for name in _REPLACED}
    fields.update({name: getattr(data, name) for name in _OPTIONAL if getattr(data, name)})
    return fields


def debtor_upsert(*, creditor, data) -> Debtor:
    """The creditor's debtor with this identity number, created or refreshed.

    The latest registration's contact details win; the identity number never changes.
    """
    debtor, _ = Debtor.objects.select_for_update().update_or_create(
        creditor=creditor, identity_number=data.identity_number, defaults=_fields(data))
    return debtor


def debtor_upsert_many(*, creditor, data) -> dict[str, int]:
    """``debtor_upsert`` of every entry in turn, in bulk: ``{identity number: debtor id}``.

    Entries of one identity merge as successive upserts would: the latest wins, and a channel
    it omits keeps the one given before it (or stored).
    """
    latest: dict[str, dict] = {}
    for entry in data:
        latest.setdefault(entry.identity_number, {}).update(_fields(entry))
    # One INSERT ... ON CONFLICT DO UPDATE (locking the row like select_for_update) per set of
    # channels given, so that a debtor given without an e-mail keeps the stored one.
    shapes = defaultdict(list)
    for identity, fields in latest.items():
        given = tuple(name for name in _OPTIONAL if name in fields)
        shapes[given].append(Debtor(creditor=creditor, identity_number=identity, **fields))
    ids = {}
    for given, debtors in shapes.items():
        Debtor.objects.bulk_create(
            debtors, update_conflicts=True, unique_fields=["creditor", "identity_number"],
            update_fields=[*_REPLACED, *given, "updated_at"])
        ids.update((debtor.identity_number, debtor.pk) for debtor in debtors)
    return ids
