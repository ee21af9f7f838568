"""Writes for debtors."""

from debtors.models import Debtor


def debtor_upsert(*, creditor, data) -> Debtor:
    """The creditor's debtor with this identity number, created or refreshed.

    A creditor registers the same debtor again with the address it has now, so the latest
    registration's contact details win; the identity number never changes.
    """
    fields = {
        "kind": data.kind, "name": data.name, "street": data.street,
        "postal_code": data.postal_code, "city": data.city,
    }
    # Optional channels are only overwritten with something, never blanked by an omission.
    if data.email:
        fields["email"] = data.email
    if data.phone:
        fields["phone"] = data.phone
    debtor, _ = Debtor.objects.select_for_update().update_or_create(
        creditor=creditor, identity_number=data.identity_number, defaults=fields)
    return debtor
