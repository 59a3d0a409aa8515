from django import forms
from django.core.exceptions import ValidationError

from compliance.models import Flag
from officers.models import Appointment
from organisations.models import Organisation, Region

from .audience import Audience, Webinars, audience_networks
from .models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH
from .services import message_validate


class MessageForm(forms.Form):
    """A message and its audience. The subject and body are checked by the service's own rules
    (`message_validate`); the networks offered are those the sender may write to."""

    subject = forms.CharField(
        label="Subject",
        help_text=f"One line, up to {SUBJECT_MAX_LENGTH} characters.",
        error_messages={"required": "Enter a subject."},
    )
    body = forms.CharField(
        label="Message",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=(
            "Plain text. Leave a blank line between paragraphs. Links must start with https:// or http:// "
            f"and are shown as you write them. Up to {BODY_MAX_LENGTH:,} characters."
        ),
        error_messages={"required": "Enter the message."},
    )
    roles = forms.MultipleChoiceField(
        label="Role",
        required=False,
        choices=Appointment.Role.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every role.",
    )
    regions = forms.ModelMultipleChoiceField(
        label="Region",
        required=False,
        queryset=Region.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text="The region of the organisation where they hold that role. Leave all unticked for every region.",
    )
    networks = forms.TypedMultipleChoiceField(
        label="Network",
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Current members of any of these networks. Leave all unticked for every network.",
    )
    organisation_kinds = forms.MultipleChoiceField(
        label="Organisation type",
        required=False,
        choices=Organisation.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every type.",
    )
    flag_kinds = forms.MultipleChoiceField(
        label="Organisations with an open flag",
        required=False,
        choices=Flag.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only officers of organisations with an open flag of one of these kinds.",
    )
    webinars = forms.ChoiceField(
        label="National webinar attendance",
        required=False,
        choices=Webinars.CHOICES,
        initial=Webinars.ANY,
        widget=forms.RadioSelect,
    )
    copy_mailboxes = forms.BooleanField(
        label="Send a copy to each organisation's generic MSO mailbox",
        required=False,
        initial=True,
        help_text="So that the message still arrives when an officer is away or has left.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["networks"].choices = [(network.pk, network.name) for network in audience_networks(user)]

    def clean(self):
        cleaned = super().clean()
        if "subject" in cleaned and "body" in cleaned:
            try:
                cleaned["subject"], cleaned["body"] = message_validate(subject=cleaned["subject"], body=cleaned["body"])
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    for message in messages:
                        self.add_error(field, message)
        return cleaned

    def audience(self) -> Audience:
        data = self.cleaned_data
        return Audience(
            roles=tuple(data["roles"]),
            regions=tuple(region.pk for region in data["regions"]),
            networks=tuple(data["networks"]),
            organisation_kinds=tuple(data["organisation_kinds"]),
            flag_kinds=tuple(data["flag_kinds"]),
            webinars=data["webinars"] or Webinars.ANY,
            copy_mailboxes=data["copy_mailboxes"],
        )

    @classmethod
    def initial_from(cls, draft: dict) -> dict:
        """The form's initial values from a draft kept in the session."""
        audience = draft["audience"]
        return {
            "subject": draft["subject"],
            "body": draft["body"],
            **{
                key: audience.get(key, [])
                for key in ("roles", "regions", "networks", "organisation_kinds", "flag_kinds")
            },
            "webinars": audience.get("webinars", ""),
            "copy_mailboxes": audience.get("copy_mailboxes", True),
        }


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[("", "Every recipient"), ("waiting", "Waiting"), ("sent", "Sent"), ("failed", "Failed")],
    )
