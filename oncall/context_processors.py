def display_zone(request) -> dict:
    """The time zone the signed-in member chose on /account/ ("" means: the page's own default)."""
    member = getattr(getattr(request, "user", None), "team_member", None)
    return {"display_zone": getattr(member, "time_zone", "")}
