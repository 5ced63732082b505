"""Who is acting on a plan: a staff member for one organisation, or the person.

Every SIP service takes an actor rather than a bare user, because access depends on
*which organisation* a user acts for (a user may belong to several, with different
roles) and because the person may act without a staff account, through an invitation
link that is limited to one plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

from django.utils.translation import gettext as _

from datasmart.accounts.models import Membership, Organisation, User
from datasmart.accounts.permissions import Permission, deny

if TYPE_CHECKING:
    from datasmart.sip.models import Person

__all__ = ["Actor", "PersonActor", "StaffActor", "actor_user"]

VIA_ACCOUNT: Final = "account"
VIA_LINK: Final = "link"


@dataclass(frozen=True)
class StaffActor:
    """``user`` acting for ``organisation``.

    Construction checks that the user is active and a member of the organisation; a
    user claiming to act for an organisation they do not belong to is refused with
    ``PermissionDenied`` (and audited). Membership says nothing yet about plans: the
    access policy (:mod:`datasmart.sip.domain.access`) decides that from the role and consent.
    """

    user: User
    organisation: Organisation

    def __post_init__(self) -> None:
        if not (
            self.user.is_active
            and self.user.pk is not None
            and Membership.objects.filter(user_id=self.user.pk, organisation=self.organisation)
            .only("id")
            .exists()
        ):
            deny(
                self.user,
                Permission.READ_SIP_PLANS,
                self.organisation,
                detail={"reason": "not_a_member", "area": "sip"},
            )

    @property
    def label(self) -> str:
        return self.user.get_username()

    @property
    def organisation_name(self) -> str:
        return self.organisation.name


@dataclass(frozen=True)
class PersonActor:
    """The person a plan is about (or their guardian), acting through ``via``:

    - ``"account"``: signed in with their own account (``Person.user``); sees their plans;
    - ``"link"``: a session opened with an invitation link; ``link_id`` and ``sip_id``
      limit it to that one plan (see :func:`datasmart.sip.services.links.redeem_invitation_link`).
    """

    person: Person
    via: Literal["account", "link"]
    link_id: uuid.UUID | None = None
    sip_id: uuid.UUID | None = None
    #: The invited participant's kind for a link made for a participant (guardian,
    #: relative …); "" when the link is for the person. Set by ``redeem_invitation_link``.
    participant_kind: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.via not in (VIA_ACCOUNT, VIA_LINK):
            raise ValueError(f"unknown PersonActor.via {self.via!r}")
        if self.via == VIA_LINK and (self.link_id is None or self.sip_id is None):
            raise ValueError("a link session needs link_id and sip_id")
        if self.via == VIA_ACCOUNT and self.person.user_id is None:
            raise ValueError("the person has no account")

    @property
    def speaks_for_person(self) -> bool:
        """Whether this actor may act *as the person* (withdraw consent, end the plan,
        answer the plan): the person or a guardian, not a relative or another invitee."""
        return self.via == VIA_ACCOUNT or self.participant_kind in ("", "person", "guardian")

    @property
    def label(self) -> str:
        if self.via == VIA_ACCOUNT:
            return _("Personen (eget konto)")
        labels = {
            "guardian": _("Vårdnadshavare via länk"),
            "relative": _("Närstående via länk"),
            "other": _("Inbjuden via länk"),
        }
        return labels.get(self.participant_kind, _("Personen via länk"))

    @property
    def organisation_name(self) -> str:
        return ""


Actor: TypeAlias = StaffActor | PersonActor


def actor_user(actor: Actor) -> User | None:
    """The user account behind an actor, if any (for log and audit rows)."""
    if isinstance(actor, StaffActor):
        return actor.user
    if actor.via == VIA_ACCOUNT:
        user: User | None = actor.person.user
        return user
    return None
