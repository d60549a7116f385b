import django_filters
from django_filters.fields import ModelChoiceField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .choices import ShiftKind
from .models import Rotation, Shift, TeamMember


class UsernameChoiceField(ModelChoiceField):
    """A member chosen by login username (`jasmine.glancy`), the name people and URLs use."""

    default_error_messages = {"invalid_choice": "No member has the username “%(value)s”."}

    def __init__(self, **kwargs):
        kwargs.setdefault("to_field_name", "user__username")
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, TeamMember):
            return value.user.username
        return super().prepare_value(value)


@extend_schema_field(OpenApiTypes.STR)
class UsernameFilter(django_filters.ModelChoiceFilter):
    field_class = UsernameChoiceField


class ShiftFilterSet(django_filters.FilterSet):
    """Shift filters, shared by `/oncall/` and `/api/shifts/`: a date range, a member, a kind, a rotation."""

    start = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="From (date)")
    end = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="Through (date)")
    member = UsernameFilter(
        field_name="member",
        queryset=TeamMember.objects.select_related("user").order_by("name"),
        label="Member",
        empty_label="Everyone",
    )
    kind = django_filters.ChoiceFilter(choices=ShiftKind.choices, empty_label="Any kind")
    rotation = django_filters.ModelChoiceFilter(queryset=Rotation.objects.all(), empty_label="Every rotation")

    class Meta:
        model = Shift
        fields = ["start", "end", "member", "kind", "rotation"]


class TeamMemberFilterSet(django_filters.FilterSet):
    """The team page's search: every word in a member's name, username, email, area or expertise."""

    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = TeamMember
        fields = ["q"]

    def search(self, queryset, name, value):
        return queryset.search(value)
