"""Pages show a service's ValidationError on the form, through the one mixin."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from oncall.forms import ServiceErrorsMixin


class NewMemberForm(ServiceErrorsMixin, forms.Form):
    new_name = forms.CharField()
    joined_on = forms.DateField(required=False)

    service_error_fields = {"name": "new_name"}


def bound_form(form_class=NewMemberForm) -> forms.Form:
    form = form_class({"new_name": "Ada Lovelace", "joined_on": "2026-12-01"})
    assert form.is_valid()
    return form


def test_service_errors_land_on_the_field_they_name_or_its_form_name():
    form = bound_form()
    form.add_service_errors(ValidationError({"joined_on": "Enter a date after 2000.", "name": ["Taken.", "Too long."]}))
    assert form.errors == {"joined_on": ["Enter a date after 2000."], "new_name": ["Taken.", "Too long."]}
    assert not form.is_valid()


def test_service_errors_of_no_field_or_of_a_field_the_form_lacks_go_above_the_form():
    form = bound_form()
    form.add_service_errors(ValidationError({"order": "Listed twice.", NON_FIELD_ERRORS: "Already signed off."}))
    assert form.non_field_errors() == ["Listed twice.", "Already signed off."]
    form = bound_form()
    form.add_service_errors(ValidationError(["Has left the team.", "No email address."]))
    assert form.non_field_errors() == ["Has left the team.", "No email address."]
    assert set(form.errors) == {NON_FIELD_ERRORS}


def test_a_form_may_show_errors_of_no_field_at_one_of_its_fields():
    class TokenForm(ServiceErrorsMixin, forms.Form):
        new_name = forms.CharField()
        service_error_fields = {NON_FIELD_ERRORS: "new_name"}

    form = bound_form(TokenForm)
    form.add_service_errors(ValidationError("That name is in use."))
    assert form.errors == {"new_name": ["That name is in use."]}


def test_the_offboarding_page_shows_a_new_members_errors_at_its_fields(manager_client, member):
    """The service names the model's `name`; the page's field is `new_name`."""
    url = f"/oncall/members/{member.user.username}/offboard/"
    response = manager_client.post(url, {"effective_date": "2027-01-04", "successor": "new", "new_name": "!!!"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "new_name": ["A name needs a letter or digit from A to Z or 0 to 9 for the username."]
    }
