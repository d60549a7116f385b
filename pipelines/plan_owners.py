"""The plan's checks across sections: one heading per pipeline, and owners that agree with the team section."""

from dataclasses import replace

from .plan import MemberSpec, PipelineSpec, PlanError


def check_unique_pipelines(specs: list[PipelineSpec]) -> None:
    seen: dict[str, PipelineSpec] = {}
    for spec in specs:
        first = seen.get(spec.slug)
        if first is not None:
            if first.name == spec.name:
                message = f'pipeline "{spec.name}" is already described under the heading on line {first.line}'
            else:
                message = (
                    f'pipeline "{spec.name}" has the same anchor #{spec.slug} as "{first.name}" on line {first.line}'
                )
            raise PlanError(spec.line, message)
        seen[spec.slug] = spec


def check_owners(members: list[MemberSpec], pipelines: list[PipelineSpec]) -> list[PipelineSpec]:
    """Owners must be members, two different people, and agree with what the team section says.

    A team-section claim for a pipeline that has no Secondary Owner field fills it in: the plan says
    who it is, just in one place only.
    """
    by_name = {member.name.casefold(): member.name for member in members}
    checked = []
    for spec in pipelines:
        primary = _member_name(by_name, spec.primary_owner, spec, "primary", spec.primary_owner_line)
        secondary = spec.secondary_owner
        if secondary is not None:
            secondary = _member_name(by_name, secondary, spec, "secondary", spec.secondary_owner_line)
        checked.append(replace(spec, primary_owner=primary, secondary_owner=secondary))
    for spec in checked:
        _check_distinct(spec)

    by_slug = {spec.slug: index for index, spec in enumerate(checked)}
    for member in members:
        for claim in member.claims:
            if claim.pipeline_slug not in by_slug:
                raise PlanError(
                    claim.line,
                    f"{member.name} is listed as {claim.role} owner of #{claim.pipeline_slug}, "
                    "but the runbook has no pipeline with that anchor",
                )
            spec = checked[by_slug[claim.pipeline_slug]]
            owner, owner_line = (
                (spec.primary_owner, spec.primary_owner_line)
                if claim.role == "primary"
                else (spec.secondary_owner, spec.secondary_owner_line)
            )
            if owner is None:
                spec = replace(spec, secondary_owner=member.name, secondary_owner_line=claim.line)
                _check_distinct(spec)
                checked[by_slug[spec.slug]] = spec
            elif owner != member.name:
                field = "its Primary Owner" if claim.role == "primary" else "its Secondary Owner"
                raise PlanError(
                    claim.line,
                    f'the team section says {member.name} is {claim.role} owner of "{spec.name}" here, '
                    f"but line {owner_line} says {field} is {owner}",
                )
    return checked


def _member_name(by_name: dict[str, str], owner: str | None, spec: PipelineSpec, role: str, line: int) -> str:
    """The member's name as the team section spells it."""
    name = by_name.get((owner or "").casefold())
    if name is None:
        raise PlanError(
            line,
            f'{role} owner "{owner}" of "{spec.name}" is not a team member (the team is {", ".join(by_name.values())})',
        )
    return name


def _check_distinct(spec: PipelineSpec) -> None:
    if spec.secondary_owner is not None and spec.secondary_owner == spec.primary_owner:
        raise PlanError(
            spec.secondary_owner_line,
            f"{spec.secondary_owner} is both primary (line {spec.primary_owner_line}) and secondary owner "
            f'of "{spec.name}"; the secondary owner must be someone else',
        )
